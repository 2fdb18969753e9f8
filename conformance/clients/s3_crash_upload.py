"""A large PUT (64 MiB) into durable-crash/big-upload that the test cuts short with kill -9:
a raw SigV4-signed request whose body is sent slowly after the first 16 MiB, writing the
number of bytes sent so far to PROGRESS_FILE. It exits when the server goes away."""
import hashlib
import http.client
import os
import time

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from edgeward_env import CUSTOMER, REGION, root_creds
from s3_util import MiB, PORT

PROGRESS = os.environ["PROGRESS_FILE"]
SIZE = 64 * MiB
data = os.urandom(SIZE)
path = "/durable-crash/big-upload"
req = AWSRequest(method="PUT", url=f"http://127.0.0.1:{PORT}{path}", data=data, headers={"Content-Length": str(SIZE)})
S3SigV4Auth(Credentials(*root_creds(CUSTOMER)), "s3", REGION).add_auth(req)
assert req.headers["X-Amz-Content-SHA256"] == hashlib.sha256(data).hexdigest()

conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
conn.putrequest("PUT", path, skip_accept_encoding=True)
for k, v in req.headers.items():
    conn.putheader(k, v)
conn.endheaders()
sent = 0
try:
    while sent < SIZE:
        chunk = data[sent:sent + MiB]
        conn.send(chunk)
        sent += len(chunk)
        with open(PROGRESS + ".tmp", "w") as f:
            f.write(str(sent))
        os.replace(PROGRESS + ".tmp", PROGRESS)
        if sent >= 16 * MiB:
            time.sleep(0.5)
    resp = conn.getresponse()
    print(f"s3_crash_upload: the upload finished with {resp.status}, it should have been cut short")
except OSError as e:
    print(f"s3_crash_upload: cut short after {sent} bytes: {e}")
