"""Bad input to S3, signed by a valid key so it gets past authentication: random methods,
paths, subresources, headers and bodies (a fixed seed, so every run sends the same
requests). Every answer must be an S3 error or success with S3's shape — never a 5xx, a
dropped connection or a hang — and the server must still serve normal requests after."""
import random
import xml.etree.ElementTree as ET

from edgeward_env import CUSTOMER
from s3_util import s3, signed

rng = random.Random(20261127)
c = s3(CUSTOMER)
c.create_bucket(Bucket="fuzz")
c.put_object(Bucket="fuzz", Key="k", Body=b"hello")
c.put_bucket_versioning(Bucket="fuzz", VersioningConfiguration={"Status": "Enabled"})

SUBRESOURCES = ["policy", "publicAccessBlock", "tagging", "versioning", "encryption", "location", "versions", "uploads",
                "list-type=2", "delete", "uploadId=x", "partNumber=1&uploadId=y", "attributes", "acl", "cors", "policyStatus",
                "max-keys=-1", "max-keys=abc", "continuation-token=%%%", "versionId=null", "versionId=zzz", "prefix=%00",
                "encoding-type=nope", "delimiter=/", "key-marker=a&version-id-marker=b", "partNumber=0", "partNumber=99999"]
HEADERS = [("x-amz-copy-source", "fuzz/k"), ("x-amz-copy-source", "nobucket"), ("x-amz-copy-source", "/fuzz/k?versionId=bad"),
           ("range", "bytes=5-1"), ("range", "bytes=-0"), ("range", "bytes=999-"), ("if-match", "\"nope\""),
           ("if-modified-since", "not a date"), ("x-amz-server-side-encryption", "aws:kms"),
           ("x-amz-server-side-encryption-aws-kms-key-id", "alias/none"), ("x-amz-server-side-encryption", "bogus"),
           ("x-amz-checksum-crc32", "AAAA"), ("x-amz-checksum-sha256", "x"), ("x-amz-sdk-checksum-algorithm", "MD4"),
           ("content-md5", "bm90IGFuIG1kNQ=="), ("x-amz-tagging", "a=b&a=c"), ("x-amz-storage-class", "NOPE"),
           ("x-amz-metadata-directive", "MAYBE"), ("x-amz-object-attributes", "Nothing"), ("x-amz-copy-source-range", "bytes=0-999999"),
           ("x-amz-acl", "public-read"), ("x-amz-trailer", "x-amz-checksum-md5")]
BODIES = [b"", b"<", b"<a>", b"<?xml version='1.0'?><Delete></Delete>", b"<Tagging><TagSet><Tag><Key></Key></Tag></TagSet></Tagging>",
          b"<CompleteMultipartUpload><Part><PartNumber>x</PartNumber></Part></CompleteMultipartUpload>", b"{not json",
          b'{"Version":"2012-10-17","Statement":[]}', b"<!DOCTYPE a [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><a>&e;</a>",
          b"<VersioningConfiguration><Status>Maybe</Status></VersioningConfiguration>", bytes(rng.randrange(256) for _ in range(300)),
          b"<" * 10000, b"<CreateBucketConfiguration><LocationConstraint>mars-1</LocationConstraint></CreateBucketConfiguration>"]
KEYS = ["", "k", "k/", "a%2Fb", "%ZZ", "..%2F..%2Fetc", "x" * 1100, "%F0%9F%92%A9", "sp%20ace", "nul%00byte"]

answered = 0
for i in range(600):
    method = rng.choice(["GET", "PUT", "POST", "DELETE", "HEAD"])
    bucket = rng.choice(["fuzz", "fuzz", "nosuchbucket", "Bad_Name", "x"])
    key = rng.choice(KEYS)
    path = f"/{bucket}/{key}" if key else rng.choice([f"/{bucket}", f"/{bucket}/", "/"])
    query = "&".join(rng.sample(SUBRESOURCES, rng.randrange(0, 3)))
    headers = dict(rng.sample(HEADERS, rng.randrange(0, 3)))
    body = rng.choice(BODIES) if method in ("PUT", "POST") else b""
    try:
        status, resp_headers, data = signed(method, path, account=CUSTOMER, query=query, body=body, headers=headers)
    except Exception as e:  # a dropped connection or a timeout
        raise AssertionError(f"request {i} {method} {path}?{query} {headers} got no answer: {e!r}")
    assert status < 500 or status == 501, f"request {i}: {method} {path}?{query} {headers} {body[:60]!r} -> {status} {data[:300]!r}"
    if status == 501 and method != "HEAD":
        assert b"<Code>NotImplemented</Code>" in data, data
    if status >= 300 and method != "HEAD" and status != 304:
        try:
            root = ET.fromstring(data)
        except ET.ParseError as e:
            raise AssertionError(f"request {i}: {method} {path}?{query}: not XML ({e}): {data[:400]!r}")
        assert root.tag == "Error" and root.find("Code") is not None and root.find("RequestId") is not None, data
    if method == "HEAD":
        assert data == b"", f"HEAD answered a body: {data[:100]!r}"
    answered += 1

# Still serving, reads and writes alike (the random requests may have changed `k` itself:
# PUT and DELETE on it are ordinary operations).
c.put_object(Bucket="fuzz", Key="after", Body=b"still here")
assert c.get_object(Bucket="fuzz", Key="after")["Body"].read() == b"still here"
assert any(v["Key"] == "after" for v in c.list_object_versions(Bucket="fuzz").get("Versions", []))
print(f"s3_malformed: ok ({answered} malformed requests answered with S3's shapes)")
