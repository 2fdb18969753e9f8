"""S3 through the aws CLI (v1, pinned): `aws s3` mb/cp/sync/ls/rm/presign/rb, including a
12 MiB file the CLI sends as a multipart upload and fetches with ranged GETs, a directory
tree synced up and back, and `aws s3api` put-object/get-object/list-objects-v2."""
import hashlib
import os
import shutil
import subprocess
import tempfile
import json
import urllib.error
import urllib.request

from edgeward_env import CUSTOMER, ENDPOINT, REGION, root_creds
from s3_util import MiB, Sections, error_xml, md5_etag, multipart_etag, s3

BUCKET = "cli-bucket"
work = tempfile.mkdtemp(prefix="edgeward-s3-cli-")
c = s3(CUSTOMER)
run = Sections("s3_cli")


def aws(*args, check=True, env=None):
    """Runs the aws CLI as the customer's root; returns (exit code, stdout, stderr)."""
    key, secret = root_creds(CUSTOMER)
    env = dict(os.environ, AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret, AWS_DEFAULT_REGION=REGION, AWS_ENDPOINT_URL=ENDPOINT, **(env or {}))
    env.pop("AWS_SESSION_TOKEN", None)
    out = subprocess.run(["aws"] + list(args), env=env, capture_output=True, text=True, timeout=300)
    if check and out.returncode != 0:
        raise AssertionError(f"aws {' '.join(args)} failed ({out.returncode}): {out.stderr.strip()}")
    return out.returncode, out.stdout, out.stderr


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(MiB), b""):
            h.update(block)
    return h.hexdigest()


def tree(root):
    """{relative path: sha256} of every file under root."""
    out = {}
    for d, _, files in os.walk(root):
        for name in files:
            p = os.path.join(d, name)
            out[os.path.relpath(p, root)] = sha(p)
    return out


def ls_recursive(prefix=""):
    """`aws s3 ls --recursive` parsed as {key: size}."""
    _, text, _ = aws("s3", "ls", f"s3://{BUCKET}/{prefix}", "--recursive")
    out = {}
    for line in text.splitlines():
        parts = line.split(None, 3)
        if len(parts) == 4:
            out[parts[3]] = int(parts[2])
    return out


@run
def make_bucket():
    _, text, _ = aws("s3", "mb", f"s3://{BUCKET}")
    assert text.strip() == f"make_bucket: {BUCKET}", text
    assert c.head_bucket(Bucket=BUCKET)["ResponseMetadata"]["HTTPStatusCode"] == 200
    code, _, errtext = aws("s3", "mb", f"s3://{BUCKET}", check=False)
    # us-east-1 answers 200 to the owner re-creating; the CLI then prints make_bucket again.
    assert code == 0 or "BucketAlreadyOwnedByYou" in errtext, (code, errtext)
    _, text, _ = aws("s3", "ls")
    assert any(line.split()[-1] == BUCKET for line in text.splitlines()), text


@run
def copy_small_and_large_files():
    small = os.path.join(work, "small.txt")
    with open(small, "wb") as f:
        f.write(b"hello from the aws cli\n")
    large = os.path.join(work, "large.bin")
    with open(large, "wb") as f:
        f.write(os.urandom(12 * MiB))
    _, text, _ = aws("s3", "cp", small, f"s3://{BUCKET}/files/small.txt")
    assert f"upload: " in text and f"s3://{BUCKET}/files/small.txt" in text, text
    _, text, _ = aws("s3", "cp", large, f"s3://{BUCKET}/files/large.bin")
    assert f"s3://{BUCKET}/files/large.bin" in text, text
    # The CLI splits files over 8 MiB into 8 MiB parts: the ETag says so.
    with open(large, "rb") as f:
        data = f.read()
    head = c.head_object(Bucket=BUCKET, Key="files/large.bin")
    assert head["ContentLength"] == 12 * MiB, head
    assert head["ETag"] == multipart_etag([data[:8 * MiB], data[8 * MiB:]]), head["ETag"]
    assert c.head_object(Bucket=BUCKET, Key="files/small.txt")["ETag"] == md5_etag(b"hello from the aws cli\n")
    # And back down (the large one in ranged GETs).
    down = os.path.join(work, "down")
    os.makedirs(down)
    aws("s3", "cp", f"s3://{BUCKET}/files/small.txt", os.path.join(down, "small.txt"))
    aws("s3", "cp", f"s3://{BUCKET}/files/large.bin", os.path.join(down, "large.bin"))
    assert sha(os.path.join(down, "small.txt")) == sha(small)
    assert sha(os.path.join(down, "large.bin")) == sha(large)
    # S3 to S3 copy.
    aws("s3", "cp", f"s3://{BUCKET}/files/small.txt", f"s3://{BUCKET}/copies/small.txt")
    assert c.get_object(Bucket=BUCKET, Key="copies/small.txt")["Body"].read() == b"hello from the aws cli\n"
    # A missing object is an error with S3's code.
    code, _, errtext = aws("s3", "cp", f"s3://{BUCKET}/files/none", os.path.join(down, "none"), check=False)
    assert code != 0 and ("404" in errtext or "Not Found" in errtext), (code, errtext)


@run
def sync_a_tree_up_and_back():
    src = os.path.join(work, "tree")
    files = {"a.txt": b"alpha\n", "sub/b.txt": b"beta\n", "sub/deeper/c.bin": os.urandom(300_000),
             "sub/deeper/empty": b"", "with space/d e.txt": b"spaces\n"}
    for rel, data in files.items():
        p = os.path.join(src, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
    _, text, _ = aws("s3", "sync", src, f"s3://{BUCKET}/tree/")
    assert text.count("upload: ") == len(files), text
    assert ls_recursive("tree/") == {f"tree/{k}": len(v) for k, v in files.items()}, ls_recursive("tree/")
    back = os.path.join(work, "tree-back")
    _, text, _ = aws("s3", "sync", f"s3://{BUCKET}/tree/", back)
    assert text.count("download: ") == len(files), text
    assert tree(back) == tree(src), (tree(back), tree(src))
    # A second sync with no change transfers nothing; a changed file goes alone.
    _, text, _ = aws("s3", "sync", src, f"s3://{BUCKET}/tree/")
    assert "upload:" not in text, text
    with open(os.path.join(src, "sub/b.txt"), "wb") as f:
        f.write(b"beta, changed and longer\n")
    _, text, _ = aws("s3", "sync", src, f"s3://{BUCKET}/tree/")
    assert text.count("upload: ") == 1 and "sub/b.txt" in text, text
    assert c.get_object(Bucket=BUCKET, Key="tree/sub/b.txt")["Body"].read() == b"beta, changed and longer\n"
    # --delete removes what is gone locally.
    os.remove(os.path.join(src, "a.txt"))
    _, text, _ = aws("s3", "sync", src, f"s3://{BUCKET}/tree/", "--delete")
    assert text.count("delete: ") == 1 and f"s3://{BUCKET}/tree/a.txt" in text, text
    assert "tree/a.txt" not in ls_recursive("tree/")


@run
def list_and_remove():
    listed = ls_recursive()
    assert listed.get("files/large.bin") == 12 * MiB and listed.get("files/small.txt") == 23, listed
    _, text, _ = aws("s3", "ls", f"s3://{BUCKET}/")
    lines = [l.strip() for l in text.splitlines()]
    assert "PRE files/" in lines and "PRE tree/" in lines, lines
    _, text, _ = aws("s3", "rm", f"s3://{BUCKET}/tree/", "--recursive")
    assert text.count("delete: ") >= 4, text
    assert not any(k.startswith("tree/") for k in ls_recursive()), ls_recursive()
    assert "files/small.txt" in ls_recursive()
    _, text, _ = aws("s3", "rm", f"s3://{BUCKET}/copies/small.txt")
    assert "delete: " in text, text
    assert "copies/small.txt" not in ls_recursive()


@run
def s3api_commands():
    body = os.path.join(work, "api.json")
    with open(body, "wb") as f:
        f.write(b'{"via": "s3api"}')
    _, text, _ = aws("--output", "json", "s3api", "put-object", "--bucket", BUCKET, "--key", "api/one.json", "--body", body,
                     "--content-type", "application/json", "--metadata", "origin=cli")
    out = json.loads(text)
    assert out["ETag"] == md5_etag(b'{"via": "s3api"}') and out["ServerSideEncryption"] == "AES256", out
    dest = os.path.join(work, "api-out.json")
    _, text, _ = aws("--output", "json", "s3api", "get-object", "--bucket", BUCKET, "--key", "api/one.json", dest)
    meta = json.loads(text)
    assert meta["ContentType"] == "application/json" and meta["Metadata"] == {"origin": "cli"} and meta["ContentLength"] == 16, meta
    with open(dest, "rb") as f:
        assert f.read() == b'{"via": "s3api"}'
    _, text, _ = aws("--output", "json", "s3api", "list-objects-v2", "--bucket", BUCKET, "--prefix", "api/", "--no-paginate")
    out = json.loads(text)
    assert [o["Key"] for o in out["Contents"]] == ["api/one.json"] and out["KeyCount"] == 1, out
    code, _, errtext = aws("s3api", "get-object", "--bucket", BUCKET, "--key", "api/none", dest, check=False)
    assert code != 0 and "NoSuchKey" in errtext, (code, errtext)
    code, _, errtext = aws("s3api", "head-bucket", "--bucket", "cli-no-such-bucket", check=False)
    assert code != 0 and "404" in errtext, (code, errtext)


@run
def presign():
    # aws CLI v1 presigns S3 URLs with SigV2 unless told otherwise; S3 refuses SigV2 for
    # buckets made since 2020, and so does edgeward, naming the mechanism to use.
    _, url, _ = aws("s3", "presign", f"s3://{BUCKET}/files/small.txt", "--expires-in", "120")
    url = url.strip()
    assert url.startswith(f"{ENDPOINT}/{BUCKET}/files/small.txt?") and "AWSAccessKeyId=" in url, url
    try:
        urllib.request.urlopen(url)
        raise AssertionError("a SigV2 presigned URL was accepted")
    except urllib.error.HTTPError as e:
        fields = error_xml(e.read())
        assert e.code == 400 and fields["Code"] == "InvalidRequest" and "AWS4-HMAC-SHA256" in fields["Message"], (e.code, fields)
    # With s3.signature_version = s3v4 in the CLI's config, the URL is SigV4 and works.
    config = os.path.join(work, "aws-config")
    with open(config, "w") as f:
        f.write("[default]\ns3 =\n    signature_version = s3v4\n")
    _, url, _ = aws("s3", "presign", f"s3://{BUCKET}/files/small.txt", "--expires-in", "120", env={"AWS_CONFIG_FILE": config})
    url = url.strip()
    assert url.startswith(f"{ENDPOINT}/{BUCKET}/files/small.txt?") and "X-Amz-Expires=120" in url, url
    with urllib.request.urlopen(url) as r:
        assert r.status == 200 and r.read() == b"hello from the aws cli\n"


@run
def remove_bucket():
    code, _, errtext = aws("s3", "rb", f"s3://{BUCKET}", check=False)
    assert code != 0 and "BucketNotEmpty" in errtext, (code, errtext)
    _, text, _ = aws("s3", "rb", f"s3://{BUCKET}", "--force")
    assert f"remove_bucket: {BUCKET}" in text, text
    code, _, _ = aws("s3api", "head-bucket", "--bucket", BUCKET, check=False)
    assert code != 0


shutil.rmtree(work, ignore_errors=True)
run.done()
