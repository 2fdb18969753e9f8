"""Helpers shared by the S3 client scripts: S3 clients for any region, raw SigV4-signed
requests (for virtual-host-style addressing and the error shape), errors with their HTTP
status, the trail, checksums boto3 cannot compute without awscrt (CRC32C), and a
section runner that reports every failing section rather than only the first."""
import base64
import hashlib
import http.client
import json
import sys
import traceback
import urllib.parse
import xml.etree.ElementTree as ET
import zlib

import boto3
import botocore.exceptions
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from edgeward_env import ENDPOINT, REGION, client, root_creds

PORT = urllib.parse.urlsplit(ENDPOINT).port
MiB = 1024 * 1024


def s3(account=None, creds=None, region=REGION, **config):
    """An S3 client as an account's root or as STS credentials, signing for `region`."""
    if creds is not None:
        key, secret, token = creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
    else:
        key, secret = root_creds(account)
        token = None
    return boto3.client("s3", endpoint_url=ENDPOINT, region_name=region, aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token,
                        config=Config(retries={"max_attempts": 1, "mode": "standard"}, **config))


LAST_ERROR = []


def err(fn, *args, **kwargs):
    """Calls fn; returns (code, HTTP status, message, the whole error response). Fails if it
    succeeded. The last error seen is printed when a section fails."""
    try:
        fn(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        r = e.response
        LAST_ERROR[:] = [(getattr(fn, "__name__", fn), kwargs, r["Error"].get("Code"), r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message"))]
        return r["Error"].get("Code"), r["ResponseMetadata"]["HTTPStatusCode"], r["Error"].get("Message"), r
    raise AssertionError(f"{getattr(fn, '__name__', fn)} succeeded, an error was expected")


def code_status(fn, *args, **kwargs):
    c, s, _, _ = err(fn, *args, **kwargs)
    return c, s


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def operator_sts(account, roles):
    """STS as an IAM user `platform-operator` of `account` allowed to assume the roles
    matching `roles` (an ARN pattern): AWS does not let an account's root user assume roles."""
    iam = client("iam", account)
    iam.create_user(UserName="platform-operator")
    iam.put_user_policy(UserName="platform-operator", PolicyName="assume", PolicyDocument=policy(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": roles}))
    key = iam.create_access_key(UserName="platform-operator")["AccessKey"]
    return client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"])


def signed(method, path, account=None, creds=None, query="", body=b"", headers=None, host=None, region=REGION, send_body=None):
    """Signs a request with SigV4 (S3's variant: x-amz-content-sha256 of the body) and sends
    it to the server; `host` overrides the Host header (virtual-host-style addressing);
    `send_body` sends other bytes than the signed ones. Returns (status, headers as a
    lower-cased dict, body bytes)."""
    if creds is not None:
        c = Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    else:
        c = Credentials(*root_creds(account))
    url = f"http://{host or f'127.0.0.1:{PORT}'}{path}" + (f"?{query}" if query else "")
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    S3SigV4Auth(c, "s3", region).add_auth(req)
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    try:
        send = {k: v for k, v in req.headers.items()}
        send.setdefault("Host", host or f"127.0.0.1:{PORT}")
        conn.request(method, path + (f"?{query}" if query else ""), body=body if send_body is None else send_body, headers=send)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def unsigned(method, path):
    """An anonymous request (no signature); returns (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def error_xml(body):
    """The children of an S3 `<Error>` document, as a dict; asserts the root is `<Error>`."""
    root = ET.fromstring(body)
    assert root.tag == "Error", body
    return {child.tag: (child.text or "") for child in root}


def events(account, name, limit=500):
    """The account's trail events named `name` (newest first, up to `limit`), as parsed
    CloudTrail records, following LookupEvents' pages."""
    ct = client("cloudtrail", account)
    out, token = [], None
    while len(out) < limit:
        kw = {"NextToken": token} if token else {}
        page = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}], MaxResults=50, **kw)
        out.extend(json.loads(e["CloudTrailEvent"]) for e in page["Events"])
        token = page.get("NextToken")
        if not token:
            break
    return out


# --- checksums as S3 shows them (base64 of the big-endian digest) ---
def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C = _crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC32C[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def checksum(algorithm, data):
    if algorithm == "CRC32":
        raw = (zlib.crc32(data) & 0xFFFFFFFF).to_bytes(4, "big")
    elif algorithm == "CRC32C":
        raw = crc32c(data).to_bytes(4, "big")
    elif algorithm == "SHA1":
        raw = hashlib.sha1(data).digest()
    elif algorithm == "SHA256":
        raw = hashlib.sha256(data).digest()
    else:
        raise ValueError(algorithm)
    return base64.b64encode(raw).decode()


def md5_etag(data):
    return '"' + hashlib.md5(data).hexdigest() + '"'


def multipart_etag(parts):
    """S3's ETag of a completed multipart upload: MD5 of the parts' MD5s, dash, count."""
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


class Sections:
    """Runs named sections; a failing section is reported and the rest still run. `done()`
    prints '<script>: ok' only when every section passed, else exits non-zero."""

    def __init__(self, script):
        self.script = script
        self.failed = []
        self.passed = []

    def __call__(self, fn):
        name = fn.__name__
        LAST_ERROR.clear()
        try:
            fn()
            self.passed.append(name)
            print(f"  section {name}: passed", flush=True)
        except Exception:  # noqa: BLE001 - every failure is reported
            self.failed.append(name)
            last = f"  (last error answered: {LAST_ERROR[0]})\n" if LAST_ERROR else ""
            print(f"  section {name}: FAILED\n{traceback.format_exc()}{last}", flush=True)
        return fn

    def done(self):
        if self.failed:
            print(f"{self.script}: {len(self.failed)} section(s) failed: {', '.join(self.failed)}; passed: {', '.join(self.passed)}")
            sys.exit(1)
        print(f"{self.script}: ok")
