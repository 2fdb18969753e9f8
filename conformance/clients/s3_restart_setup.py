"""Before a kill -9: objects of many shapes (empty, one byte, exactly one and one more than
one 64 KiB encryption segment, metadata and tags, SSE-KMS, a copy, a multipart object),
a versioned bucket with versions, a delete marker and a deleted version, an unfinished
multipart upload, and bucket configuration. Each acknowledged write is recorded (ETag,
SHA-256, version id) in DATA_DIR-s3.json for s3_restart_check.py, with the number of blob
files the live objects and parts must leave on disk."""
import hashlib
import json
import os

from edgeward_env import CUSTOMER, DATA_DIR, client
from s3_util import MiB, md5_etag, multipart_etag, policy, s3

RECORD = DATA_DIR + "-s3.json"
c = s3(CUSTOMER)
kms = client("kms", CUSTOMER)
key_arn = kms.create_key(Description="durable")["KeyMetadata"]["Arn"]
record = {"objects": [], "absent": [], "markers": [], "pieces": 0, "key_arn": key_arn}


def save():
    with open(RECORD, "w") as f:
        json.dump(record, f)


def remember(bucket, key, data, out, pieces=1, **extra):
    etag = out["ETag"]
    record["objects"].append({"bucket": bucket, "key": key, "versionId": out.get("VersionId"), "etag": etag,
                              "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), **extra})
    record["pieces"] += pieces
    save()


c.create_bucket(Bucket="durable-plain")
shapes = {"empty": b"", "one": b"x", "seg-exact": os.urandom(64 * 1024), "seg-plus-one": os.urandom(64 * 1024 + 1),
          "nested/dir/key with space": b"spaces survive", "mib": os.urandom(MiB + 3)}
for k, data in shapes.items():
    out = c.put_object(Bucket="durable-plain", Key=k, Body=data)
    assert out["ETag"] == md5_etag(data), (k, out)
    remember("durable-plain", k, data, out)
meta = os.urandom(5000)
out = c.put_object(Bucket="durable-plain", Key="with-meta", Body=meta, ContentType="application/x-durable",
                   Metadata={"job": "d1", "edge": "a"}, Tagging="keep=yes")
remember("durable-plain", "with-meta", meta, out, contentType="application/x-durable", metadata={"job": "d1", "edge": "a"},
         tags={"keep": "yes"})
kms_data = os.urandom(200_000)
out = c.put_object(Bucket="durable-plain", Key="kms/obj", Body=kms_data, ServerSideEncryption="aws:kms", SSEKMSKeyId=key_arn)
assert out["SSEKMSKeyId"] == key_arn, out
remember("durable-plain", "kms/obj", kms_data, out, kmsKey=key_arn)
# Overwritten: only the last bytes stay (the first blob goes).
c.put_object(Bucket="durable-plain", Key="overwritten", Body=b"first")
out = c.put_object(Bucket="durable-plain", Key="overwritten", Body=b"second")
remember("durable-plain", "overwritten", b"second", out)
# Deleted: nothing stays.
c.put_object(Bucket="durable-plain", Key="deleted", Body=b"gone")
c.delete_object(Bucket="durable-plain", Key="deleted")
record["absent"].append({"bucket": "durable-plain", "key": "deleted"})
# A copy has its own bytes.
out = c.copy_object(Bucket="durable-plain", Key="copy-of-mib", CopySource="durable-plain/mib")["CopyObjectResult"]
remember("durable-plain", "copy-of-mib", shapes["mib"], out)
# A multipart object.
p1, p2 = os.urandom(5 * MiB), os.urandom(MiB + 7)
up = c.create_multipart_upload(Bucket="durable-plain", Key="mp/big")["UploadId"]
e1 = c.upload_part(Bucket="durable-plain", Key="mp/big", UploadId=up, PartNumber=1, Body=p1)["ETag"]
e2 = c.upload_part(Bucket="durable-plain", Key="mp/big", UploadId=up, PartNumber=2, Body=p2)["ETag"]
out = c.complete_multipart_upload(Bucket="durable-plain", Key="mp/big", UploadId=up,
                                  MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]})
assert out["ETag"] == multipart_etag([p1, p2]), out
remember("durable-plain", "mp/big", p1 + p2, out, pieces=2)
# An unfinished upload: its part is kept (and counted) until completed or aborted.
pending = os.urandom(5 * MiB)
up = c.create_multipart_upload(Bucket="durable-plain", Key="mp/pending")["UploadId"]
pe = c.upload_part(Bucket="durable-plain", Key="mp/pending", UploadId=up, PartNumber=1, Body=pending)["ETag"]
tail = b"the tail"
record["pending"] = {"bucket": "durable-plain", "key": "mp/pending", "uploadId": up, "etag": pe,
                     "final_etag": multipart_etag([pending, tail]), "sha256": hashlib.sha256(pending + tail).hexdigest(), "tail": tail.decode()}
record["pieces"] += 1
save()

# A versioned bucket: versions, a delete marker, a version deleted for good.
c.create_bucket(Bucket="durable-versions")
c.put_bucket_versioning(Bucket="durable-versions", VersioningConfiguration={"Status": "Enabled"})
for i in range(3):
    data = f"doc version {i}".encode() * (i + 1)
    out = c.put_object(Bucket="durable-versions", Key="doc", Body=data)
    remember("durable-versions", "doc", data, out)
marker = c.delete_object(Bucket="durable-versions", Key="doc")
assert marker["DeleteMarker"] is True, marker
record["markers"].append({"bucket": "durable-versions", "key": "doc", "versionId": marker["VersionId"]})
kept = c.put_object(Bucket="durable-versions", Key="doc2", Body=b"doc2 kept")
remember("durable-versions", "doc2", b"doc2 kept", kept)
dropped = c.put_object(Bucket="durable-versions", Key="doc2", Body=b"doc2 dropped")
c.delete_object(Bucket="durable-versions", Key="doc2", VersionId=dropped["VersionId"])
record["absent"].append({"bucket": "durable-versions", "key": "doc2", "versionId": dropped["VersionId"]})
save()

# Bucket configuration.
c.create_bucket(Bucket="durable-config")
bucket_policy = policy({"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::durable-config/*"})
c.put_bucket_policy(Bucket="durable-config", Policy=bucket_policy)
c.put_bucket_tagging(Bucket="durable-config", Tagging={"TagSet": [{"Key": "env", "Value": "durable"}]})
c.put_bucket_encryption(Bucket="durable-config", ServerSideEncryptionConfiguration={"Rules": [{
    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}}]})
c.put_public_access_block(Bucket="durable-config", PublicAccessBlockConfiguration={
    "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
record["config"] = {"policy": bucket_policy}
# The bucket the crash test uploads into.
c.create_bucket(Bucket="durable-crash")
save()
print("s3_restart_setup: ok")
