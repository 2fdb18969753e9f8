"""After kill -9 and a restart: every object s3_restart_setup.py had acknowledged reads back
byte-exact with its ETag, metadata, tags and encryption; versions, the delete marker, the
deleted version and bucket configuration are as they were; the unfinished multipart upload
still has its part and completes; the upload cut short by the kill left no object, nothing
in DATA_DIR/s3/tmp, and DATA_DIR/s3/blobs holds exactly one file per live piece."""
import hashlib
import json
import os

from edgeward_env import CUSTOMER, DATA_DIR
from s3_util import MiB, Sections, code_status, s3

with open(DATA_DIR + "-s3.json") as f:
    record = json.load(f)
c = s3(CUSTOMER)
run = Sections("s3_restart_check")
BLOBS = os.path.join(DATA_DIR, "s3", "blobs")
TMP = os.path.join(DATA_DIR, "s3", "tmp")


@run
def nothing_left_by_the_crashed_upload():
    # Checked first, before anything here writes.
    assert os.listdir(TMP) == [], os.listdir(TMP)
    blobs = os.listdir(BLOBS)
    assert len(blobs) == record["pieces"], f"{len(blobs)} blob files, {record['pieces']} live pieces"
    assert code_status(c.head_object, Bucket="durable-crash", Key="big-upload") == ("404", 404)
    assert code_status(c.get_object, Bucket="durable-crash", Key="big-upload") == ("NoSuchKey", 404)
    assert c.list_objects_v2(Bucket="durable-crash")["KeyCount"] == 0


@run
def acknowledged_objects_read_back():
    for o in record["objects"]:
        kw = {"VersionId": o["versionId"]} if o["versionId"] else {}
        got = c.get_object(Bucket=o["bucket"], Key=o["key"], **kw)
        h = hashlib.sha256()
        for chunk in got["Body"].iter_chunks(MiB):
            h.update(chunk)
        where = f"{o['bucket']}/{o['key']}@{o['versionId']}"
        assert h.hexdigest() == o["sha256"], where
        assert got["ContentLength"] == o["size"] and got["ETag"] == o["etag"], (where, got["ETag"], o["etag"])
        if "contentType" in o:
            assert got["ContentType"] == o["contentType"] and got["Metadata"] == o["metadata"], (where, got["Metadata"])
        if "tags" in o:
            tags = {t["Key"]: t["Value"] for t in c.get_object_tagging(Bucket=o["bucket"], Key=o["key"])["TagSet"]}
            assert tags == o["tags"], (where, tags)
        if "kmsKey" in o:
            assert got["ServerSideEncryption"] == "aws:kms" and got["SSEKMSKeyId"] == o["kmsKey"], where
        else:
            assert got["ServerSideEncryption"] == "AES256", where
    # Ranges still decrypt the right segments after the restart.
    mib = next(o for o in record["objects"] if o["key"] == "mib")
    r = c.get_object(Bucket="durable-plain", Key="mib", Range="bytes=65530-65545")
    assert r["ContentLength"] == 16 and r["ContentRange"] == f"bytes 65530-65545/{mib['size']}"


@run
def versions_markers_and_deletions():
    for m in record["markers"]:
        assert code_status(c.get_object, Bucket=m["bucket"], Key=m["key"]) == ("NoSuchKey", 404)
        assert code_status(c.get_object, Bucket=m["bucket"], Key=m["key"], VersionId=m["versionId"]) == ("MethodNotAllowed", 405)
    for a in record["absent"]:
        if "versionId" in a:
            assert code_status(c.get_object, Bucket=a["bucket"], Key=a["key"], VersionId=a["versionId"]) == ("NoSuchVersion", 404)
        else:
            assert code_status(c.get_object, Bucket=a["bucket"], Key=a["key"]) == ("NoSuchKey", 404)
    assert c.get_object(Bucket="durable-versions", Key="doc2")["Body"].read() == b"doc2 kept"
    assert c.get_bucket_versioning(Bucket="durable-versions")["Status"] == "Enabled"
    listed = c.list_object_versions(Bucket="durable-versions")
    want = sorted(o["versionId"] for o in record["objects"] if o["bucket"] == "durable-versions")
    assert sorted(v["VersionId"] for v in listed["Versions"]) == want, listed["Versions"]
    assert [m["VersionId"] for m in listed["DeleteMarkers"]] == [record["markers"][0]["versionId"]], listed["DeleteMarkers"]
    # The plain bucket lists what was acknowledged and nothing else.
    keys = [o["Key"] for p in c.get_paginator("list_objects_v2").paginate(Bucket="durable-plain") for o in p.get("Contents", [])]
    assert keys == sorted({o["key"] for o in record["objects"] if o["bucket"] == "durable-plain"}), keys


@run
def bucket_configuration():
    assert json.loads(c.get_bucket_policy(Bucket="durable-config")["Policy"]) == json.loads(record["config"]["policy"])
    assert c.get_bucket_tagging(Bucket="durable-config")["TagSet"] == [{"Key": "env", "Value": "durable"}]
    rule = c.get_bucket_encryption(Bucket="durable-config")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": record["key_arn"]}, rule
    assert c.get_public_access_block(Bucket="durable-config")["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    # The restarted server still writes with the default KMS key.
    out = c.put_object(Bucket="durable-config", Key="after-restart", Body=b"after")
    assert out["SSEKMSKeyId"] == record["key_arn"], out


@run
def the_unfinished_upload_survives_and_completes():
    p = record["pending"]
    parts = c.list_parts(Bucket=p["bucket"], Key=p["key"], UploadId=p["uploadId"])["Parts"]
    assert [(x["PartNumber"], x["ETag"], x["Size"]) for x in parts] == [(1, p["etag"], 5 * MiB)], parts
    tail = c.upload_part(Bucket=p["bucket"], Key=p["key"], UploadId=p["uploadId"], PartNumber=2, Body=p["tail"].encode())["ETag"]
    out = c.complete_multipart_upload(Bucket=p["bucket"], Key=p["key"], UploadId=p["uploadId"], MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": p["etag"]}, {"PartNumber": 2, "ETag": tail}]})
    assert out["ETag"] == p["final_etag"], out
    assert hashlib.sha256(c.get_object(Bucket=p["bucket"], Key=p["key"])["Body"].read()).hexdigest() == p["sha256"]


run.done()
