"""S3's API through boto3 (and raw SigV4-signed requests where boto3 cannot show the wire):
buckets (regions, ownership, deletion), objects (metadata, ranges, conditional reads,
errors), tags, copies, batch deletes, versioning, bucket policies and Block Public Access,
bucket tags, default encryption, checksums and digests, presigned URLs, path- and
virtual-host-style addressing, S3's error shape, listings and multipart uploads.

Each section uses its own buckets and asserts values both ways; every failing section is
reported (see s3_util.Sections)."""
import base64
import datetime
import hashlib
import json
import os
import socket
import time
import urllib.error
import urllib.request

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from edgeward_env import CUSTOMER, VENDOR, client, root_creds
from s3_util import (MiB, PORT, Sections, checksum, code_status, err, error_xml, events, md5_etag, multipart_etag, policy, s3,
                     signed, unsigned)

c = s3(CUSTOMER)
v = s3(VENDOR)
run = Sections("s3_api")


def body_of(resp):
    return resp["Body"].read()


@run
def buckets():
    out = c.create_bucket(Bucket="api-east")
    assert out["Location"] == "/api-east", out
    # A bucket outside us-east-1: the request is signed for that region and names it.
    eu = s3(CUSTOMER, region="eu-west-1")
    out = eu.create_bucket(Bucket="api-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200, out
    assert c.get_bucket_location(Bucket="api-eu")["LocationConstraint"] == "eu-west-1"
    assert c.get_bucket_location(Bucket="api-east")["LocationConstraint"] is None
    head = eu.head_bucket(Bucket="api-eu")
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "eu-west-1", head
    assert c.head_bucket(Bucket="api-east")["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "us-east-1"
    # A constraint that disagrees with the signing region, and us-east-1 named explicitly.
    assert code_status(eu.create_bucket, Bucket="api-eu2", CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}) == (
        "IllegalLocationConstraintException", 400)
    assert code_status(c.create_bucket, Bucket="api-east2", CreateBucketConfiguration={"LocationConstraint": "us-east-1"}) == (
        "InvalidLocationConstraint", 400)
    assert code_status(c.head_bucket, Bucket="api-east2") == ("404", 404)

    listed = c.list_buckets()["Buckets"]
    names = [b["Name"] for b in listed]
    assert "api-east" in names and "api-eu" in names, names
    assert {b["Name"]: b.get("BucketRegion") for b in listed if b["Name"].startswith("api-")} == {"api-east": "us-east-1", "api-eu": "eu-west-1"}, listed
    assert all(isinstance(b["CreationDate"], datetime.datetime) for b in listed)
    # Another account sees only its own buckets.
    v.create_bucket(Bucket="api-vendor-own")
    assert [b["Name"] for b in v.list_buckets()["Buckets"]] == ["api-vendor-own"]
    assert "api-vendor-own" not in [b["Name"] for b in c.list_buckets()["Buckets"]]

    # One namespace across accounts.
    code, status, message, _ = err(v.create_bucket, Bucket="api-east")
    assert (code, status) == ("BucketAlreadyExists", 409), (code, status, message)
    # The owner: us-east-1 answers 200 again; other regions say BucketAlreadyOwnedByYou.
    assert c.create_bucket(Bucket="api-east")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert code_status(eu.create_bucket, Bucket="api-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}) == (
        "BucketAlreadyOwnedByYou", 409)
    assert code_status(c.create_bucket, Bucket="ab") == ("InvalidBucketName", 400)
    assert code_status(c.create_bucket, Bucket="bad..name") == ("InvalidBucketName", 400)

    # Another account cannot look into a bucket it has no access to.
    assert code_status(v.head_bucket, Bucket="api-east") == ("403", 403)
    assert code_status(v.put_object, Bucket="api-east", Key="x", Body=b"x") == ("AccessDenied", 403)

    # Missing buckets.
    assert code_status(c.head_bucket, Bucket="api-missing") == ("404", 404)
    assert code_status(c.get_object, Bucket="api-missing", Key="k") == ("NoSuchBucket", 404)
    assert code_status(c.put_object, Bucket="api-missing", Key="k", Body=b"x") == ("NoSuchBucket", 404)
    assert code_status(c.delete_bucket, Bucket="api-missing") == ("NoSuchBucket", 404)

    # Deletion: not while it holds an object.
    c.put_object(Bucket="api-east", Key="keep", Body=b"x")
    code, status, _, r = err(c.delete_bucket, Bucket="api-east")
    assert (code, status) == ("BucketNotEmpty", 409), (code, status)
    assert c.head_bucket(Bucket="api-east")["ResponseMetadata"]["HTTPStatusCode"] == 200
    c.delete_object(Bucket="api-east", Key="keep")
    assert c.delete_bucket(Bucket="api-east")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert code_status(c.head_bucket, Bucket="api-east") == ("404", 404)
    assert "api-east" not in [b["Name"] for b in c.list_buckets()["Buckets"]]
    # The name is free again, for any account.
    v.create_bucket(Bucket="api-east")
    assert code_status(c.head_bucket, Bucket="api-east") == ("403", 403)
    assert eu.delete_bucket(Bucket="api-eu")["ResponseMetadata"]["HTTPStatusCode"] == 204


@run
def objects():
    c.create_bucket(Bucket="api-objects")
    data = b"0123456789abcdefghijklmnopqrstuvwxyz"
    put = c.put_object(Bucket="api-objects", Key="dir/file.txt", Body=data, ContentType="text/plain; charset=utf-8",
                       Metadata={"Job-Id": "j-17", "owner": "edge-a"}, CacheControl="max-age=60",
                       ContentDisposition="attachment; filename=file.txt", ContentLanguage="en")
    assert put["ETag"] == md5_etag(data), put
    assert put["ServerSideEncryption"] == "AES256", put
    assert "VersionId" not in put, put
    got = c.get_object(Bucket="api-objects", Key="dir/file.txt")
    assert body_of(got) == data
    assert got["ETag"] == md5_etag(data) and got["ContentLength"] == len(data)
    assert got["ContentType"] == "text/plain; charset=utf-8", got["ContentType"]
    assert got["Metadata"] == {"job-id": "j-17", "owner": "edge-a"}, got["Metadata"]
    assert got["CacheControl"] == "max-age=60" and got["ContentDisposition"] == "attachment; filename=file.txt"
    assert got["ContentLanguage"] == "en"
    assert got["AcceptRanges"] == "bytes" and got["ServerSideEncryption"] == "AES256"
    modified = got["LastModified"]
    assert abs((datetime.datetime.now(datetime.timezone.utc) - modified).total_seconds()) < 120, modified
    head = c.head_object(Bucket="api-objects", Key="dir/file.txt")
    assert head["ContentLength"] == len(data) and head["ETag"] == md5_etag(data)
    assert head["Metadata"] == {"job-id": "j-17", "owner": "edge-a"} and head["ContentType"] == "text/plain; charset=utf-8"
    # No Content-Type given: S3's default.
    c.put_object(Bucket="api-objects", Key="untyped", Body=b"")
    h = c.head_object(Bucket="api-objects", Key="untyped")
    assert h["ContentType"] == "binary/octet-stream" and h["ContentLength"] == 0 and h["ETag"] == md5_etag(b""), h
    # Overwriting replaces bytes and metadata.
    c.put_object(Bucket="api-objects", Key="untyped", Body=b"new", Metadata={"v": "2"})
    got = c.get_object(Bucket="api-objects", Key="untyped")
    assert body_of(got) == b"new" and got["Metadata"] == {"v": "2"}

    # Keys with characters that need encoding.
    odd = "a b/ü+%2F&?=#;,~.txt"
    c.put_object(Bucket="api-objects", Key=odd, Body=b"odd")
    assert body_of(c.get_object(Bucket="api-objects", Key=odd)) == b"odd"

    # Ranges.
    r = c.get_object(Bucket="api-objects", Key="dir/file.txt", Range="bytes=2-5")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 206 and body_of(r) == b"2345", r
    assert r["ContentRange"] == f"bytes 2-5/{len(data)}" and r["ContentLength"] == 4, r
    r = c.get_object(Bucket="api-objects", Key="dir/file.txt", Range="bytes=-4")
    assert body_of(r) == b"wxyz" and r["ContentRange"] == f"bytes {len(data) - 4}-{len(data) - 1}/{len(data)}"
    r = c.get_object(Bucket="api-objects", Key="dir/file.txt", Range="bytes=30-")
    assert body_of(r) == data[30:] and r["ResponseMetadata"]["HTTPStatusCode"] == 206
    r = c.get_object(Bucket="api-objects", Key="dir/file.txt", Range="bytes=30-1000")
    assert body_of(r) == data[30:] and r["ContentRange"] == f"bytes 30-{len(data) - 1}/{len(data)}"
    assert code_status(c.get_object, Bucket="api-objects", Key="dir/file.txt", Range=f"bytes={len(data)}-") == ("InvalidRange", 416)
    # A range across the server's 64 KiB encryption segments.
    big = os.urandom(200_000)
    c.put_object(Bucket="api-objects", Key="big", Body=big)
    r = c.get_object(Bucket="api-objects", Key="big", Range="bytes=65530-131080")
    assert body_of(r) == big[65530:131081]
    assert body_of(c.get_object(Bucket="api-objects", Key="big")) == big

    # Conditional reads.
    etag = md5_etag(data)
    assert code_status(c.get_object, Bucket="api-objects", Key="dir/file.txt", IfNoneMatch=etag) == ("304", 304)
    assert code_status(c.head_object, Bucket="api-objects", Key="dir/file.txt", IfNoneMatch=etag) == ("304", 304)
    assert body_of(c.get_object(Bucket="api-objects", Key="dir/file.txt", IfNoneMatch='"0000"')) == data
    assert body_of(c.get_object(Bucket="api-objects", Key="dir/file.txt", IfMatch=etag)) == data
    assert code_status(c.get_object, Bucket="api-objects", Key="dir/file.txt", IfMatch='"0000"') == ("PreconditionFailed", 412)
    assert code_status(c.head_object, Bucket="api-objects", Key="dir/file.txt", IfMatch='"0000"') == ("412", 412)
    later = modified + datetime.timedelta(hours=1)
    earlier = modified - datetime.timedelta(hours=1)
    assert code_status(c.get_object, Bucket="api-objects", Key="dir/file.txt", IfModifiedSince=later) == ("304", 304)
    assert body_of(c.get_object(Bucket="api-objects", Key="dir/file.txt", IfModifiedSince=earlier)) == data
    assert code_status(c.get_object, Bucket="api-objects", Key="dir/file.txt", IfUnmodifiedSince=earlier) == ("PreconditionFailed", 412)
    assert body_of(c.get_object(Bucket="api-objects", Key="dir/file.txt", IfUnmodifiedSince=later)) == data
    # If-Match wins over If-Unmodified-Since, If-None-Match over If-Modified-Since (RFC 7232).
    assert body_of(c.get_object(Bucket="api-objects", Key="dir/file.txt", IfMatch=etag, IfUnmodifiedSince=earlier)) == data
    assert code_status(c.get_object, Bucket="api-objects", Key="dir/file.txt", IfNoneMatch=etag, IfModifiedSince=earlier) == ("304", 304)

    # Missing keys: 404 NoSuchKey for the owner (who may list), HEAD has no body.
    code, status, _, r = err(c.get_object, Bucket="api-objects", Key="nope")
    assert (code, status) == ("NoSuchKey", 404), (code, status)
    assert r["Error"].get("Key") == "nope", r["Error"]
    assert code_status(c.head_object, Bucket="api-objects", Key="nope") == ("404", 404)
    # Deletion is idempotent.
    assert c.delete_object(Bucket="api-objects", Key="dir/file.txt")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert c.delete_object(Bucket="api-objects", Key="dir/file.txt")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert code_status(c.get_object, Bucket="api-objects", Key="dir/file.txt") == ("NoSuchKey", 404)


@run
def object_tags():
    c.create_bucket(Bucket="api-tags")
    c.put_object(Bucket="api-tags", Key="t", Body=b"t", Tagging="team=data&stage=raw%20in")
    assert sorted((t["Key"], t["Value"]) for t in c.get_object_tagging(Bucket="api-tags", Key="t")["TagSet"]) == [
        ("stage", "raw in"), ("team", "data")]
    assert c.get_object(Bucket="api-tags", Key="t")["TagCount"] == 2
    c.put_object_tagging(Bucket="api-tags", Key="t", Tagging={"TagSet": [{"Key": "only", "Value": "one"}]})
    assert c.get_object_tagging(Bucket="api-tags", Key="t")["TagSet"] == [{"Key": "only", "Value": "one"}]
    assert c.head_object(Bucket="api-tags", Key="t")["ResponseMetadata"]["HTTPHeaders"].get("x-amz-tagging-count") == "1"
    assert c.delete_object_tagging(Bucket="api-tags", Key="t")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert c.get_object_tagging(Bucket="api-tags", Key="t")["TagSet"] == []
    assert "TagCount" not in c.get_object(Bucket="api-tags", Key="t")
    dup = {"TagSet": [{"Key": "a", "Value": "1"}, {"Key": "a", "Value": "2"}]}
    assert code_status(c.put_object_tagging, Bucket="api-tags", Key="t", Tagging=dup) == ("InvalidTag", 400)
    eleven = {"TagSet": [{"Key": f"k{i}", "Value": "v"} for i in range(11)]}
    assert code_status(c.put_object_tagging, Bucket="api-tags", Key="t", Tagging=eleven) == ("BadRequest", 400)
    assert code_status(c.put_object_tagging, Bucket="api-tags", Key="missing", Tagging={"TagSet": []}) == ("NoSuchKey", 404)


@run
def copy_object():
    c.create_bucket(Bucket="api-copy")
    c.create_bucket(Bucket="api-copy-dst")
    src = os.urandom(70_000)
    c.put_object(Bucket="api-copy", Key="src", Body=src, ContentType="application/x-src", Metadata={"m": "1"}, Tagging="t=1")
    # Metadata directive COPY (the default): metadata, type and tags come along.
    out = c.copy_object(Bucket="api-copy-dst", Key="copied", CopySource={"Bucket": "api-copy", "Key": "src"})
    assert out["CopyObjectResult"]["ETag"] == md5_etag(src), out
    got = c.get_object(Bucket="api-copy-dst", Key="copied")
    assert body_of(got) == src and got["Metadata"] == {"m": "1"} and got["ContentType"] == "application/x-src"
    assert c.get_object_tagging(Bucket="api-copy-dst", Key="copied")["TagSet"] == [{"Key": "t", "Value": "1"}]
    # REPLACE: the request's metadata and type instead.
    c.copy_object(Bucket="api-copy", Key="replaced", CopySource="api-copy/src", MetadataDirective="REPLACE",
                  Metadata={"n": "2"}, ContentType="text/x-new")
    got = c.get_object(Bucket="api-copy", Key="replaced")
    assert body_of(got) == src and got["Metadata"] == {"n": "2"} and got["ContentType"] == "text/x-new", got["Metadata"]
    # Onto itself: refused unless something changes.
    code, status, message, _ = err(c.copy_object, Bucket="api-copy", Key="src", CopySource="api-copy/src")
    assert (code, status) == ("InvalidRequest", 400), (code, status, message)
    assert "copy an object to itself" in message, message
    c.copy_object(Bucket="api-copy", Key="src", CopySource="api-copy/src", MetadataDirective="REPLACE", Metadata={"m": "changed"})
    got = c.get_object(Bucket="api-copy", Key="src")
    assert body_of(got) == src and got["Metadata"] == {"m": "changed"}
    # Copy conditions and missing sources.
    assert code_status(c.copy_object, Bucket="api-copy", Key="x", CopySource="api-copy/src", CopySourceIfMatch='"0000"') == (
        "PreconditionFailed", 412)
    assert code_status(c.copy_object, Bucket="api-copy", Key="x", CopySource="api-copy/none") == ("NoSuchKey", 404)
    assert code_status(c.head_object, Bucket="api-copy", Key="x") == ("404", 404)
    # Another account may not copy out of a bucket it cannot read.
    v.create_bucket(Bucket="api-copy-vendor")
    assert code_status(v.copy_object, Bucket="api-copy-vendor", Key="stolen", CopySource="api-copy/src") == ("AccessDenied", 403)


@run
def delete_objects():
    c.create_bucket(Bucket="api-batch")
    for k in ["a", "b", "c", "d", "e"]:
        c.put_object(Bucket="api-batch", Key=k, Body=k.encode())
    out = c.delete_objects(Bucket="api-batch", Delete={"Objects": [{"Key": "a"}, {"Key": "b"}, {"Key": "never-existed"}]})
    assert sorted(d["Key"] for d in out["Deleted"]) == ["a", "b", "never-existed"], out
    assert "Errors" not in out or out["Errors"] == [], out
    quiet = c.delete_objects(Bucket="api-batch", Delete={"Objects": [{"Key": "c"}, {"Key": "d"}], "Quiet": True})
    assert "Deleted" not in quiet or quiet["Deleted"] == [], quiet
    for k in "abcd":
        assert code_status(c.head_object, Bucket="api-batch", Key=k) == ("404", 404), k
    assert body_of(c.get_object(Bucket="api-batch", Key="e")) == b"e"
    # Per-key denials are errors inside a 200 answer.
    c.put_bucket_policy(Bucket="api-batch", Policy=policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"}, "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::api-batch/e"}))
    c.put_object(Bucket="api-batch", Key="f", Body=b"f")
    out = v.delete_objects(Bucket="api-batch", Delete={"Objects": [{"Key": "e"}, {"Key": "f"}]})
    assert [d["Key"] for d in out.get("Deleted", [])] == ["e"], out
    assert [(e["Key"], e["Code"]) for e in out.get("Errors", [])] == [("f", "AccessDenied")], out
    assert body_of(c.get_object(Bucket="api-batch", Key="f")) == b"f"
    assert code_status(c.head_object, Bucket="api-batch", Key="e") == ("404", 404)


@run
def versioning():
    c.create_bucket(Bucket="api-versions")
    assert "Status" not in c.get_bucket_versioning(Bucket="api-versions")
    c.put_bucket_versioning(Bucket="api-versions", VersioningConfiguration={"Status": "Enabled"})
    assert c.get_bucket_versioning(Bucket="api-versions")["Status"] == "Enabled"
    ids = []
    for i in range(3):
        out = c.put_object(Bucket="api-versions", Key="doc", Body=f"version {i}".encode())
        ids.append(out["VersionId"])
    assert len(set(ids)) == 3 and all(i and i != "null" for i in ids), ids
    cur = c.get_object(Bucket="api-versions", Key="doc")
    assert body_of(cur) == b"version 2" and cur["VersionId"] == ids[2]
    for i, vid in enumerate(ids):
        got = c.get_object(Bucket="api-versions", Key="doc", VersionId=vid)
        assert body_of(got) == f"version {i}".encode() and got["VersionId"] == vid
    assert c.head_object(Bucket="api-versions", Key="doc", VersionId=ids[0])["ContentLength"] == len(b"version 0")
    # A delete without a version id writes a delete marker.
    d = c.delete_object(Bucket="api-versions", Key="doc")
    assert d["DeleteMarker"] is True and d["VersionId"] not in ids, d
    marker = d["VersionId"]
    assert code_status(c.get_object, Bucket="api-versions", Key="doc") == ("NoSuchKey", 404)
    assert body_of(c.get_object(Bucket="api-versions", Key="doc", VersionId=ids[1])) == b"version 1"
    assert code_status(c.get_object, Bucket="api-versions", Key="doc", VersionId=marker) == ("MethodNotAllowed", 405)
    # Deleting a specific version removes it for good.
    d = c.delete_object(Bucket="api-versions", Key="doc", VersionId=ids[1])
    assert d["VersionId"] == ids[1] and not d.get("DeleteMarker"), d
    assert code_status(c.get_object, Bucket="api-versions", Key="doc", VersionId=ids[1]) == ("NoSuchVersion", 404)
    assert code_status(c.get_object, Bucket="api-versions", Key="doc", VersionId="not-a-version") == ("InvalidArgument", 400)
    # Removing the delete marker brings the latest version back.
    d = c.delete_object(Bucket="api-versions", Key="doc", VersionId=marker)
    assert d["DeleteMarker"] is True and d["VersionId"] == marker, d
    assert body_of(c.get_object(Bucket="api-versions", Key="doc")) == b"version 2"
    # Suspended: new writes are the "null" version.
    c.put_bucket_versioning(Bucket="api-versions", VersioningConfiguration={"Status": "Suspended"})
    assert c.get_bucket_versioning(Bucket="api-versions")["Status"] == "Suspended"
    out = c.put_object(Bucket="api-versions", Key="doc", Body=b"suspended")
    assert out.get("VersionId") == "null", out
    assert body_of(c.get_object(Bucket="api-versions", Key="doc", VersionId=ids[0])) == b"version 0"
    assert body_of(c.get_object(Bucket="api-versions", Key="doc", VersionId="null")) == b"suspended"


@run
def delete_marker_headers():
    # S3 answers a read that hits a delete marker with x-amz-delete-marker and the marker's
    # x-amz-version-id headers (the only way a HEAD can tell "deleted" from "never was").
    c.create_bucket(Bucket="api-markers")
    c.put_bucket_versioning(Bucket="api-markers", VersioningConfiguration={"Status": "Enabled"})
    c.put_object(Bucket="api-markers", Key="k", Body=b"1")
    marker = c.delete_object(Bucket="api-markers", Key="k")["VersionId"]
    for method, query, want in [("GET", "", 404), ("HEAD", "", 404), ("GET", f"versionId={marker}", 405), ("HEAD", f"versionId={marker}", 405)]:
        status, headers, _ = signed(method, "/api-markers/k", account=CUSTOMER, query=query)
        assert status == want, (method, query, status)
        assert headers.get("x-amz-delete-marker") == "true" and headers.get("x-amz-version-id") == marker, (method, query, headers)


@run
def list_versions():
    c.create_bucket(Bucket="api-listver")
    c.put_bucket_versioning(Bucket="api-listver", VersioningConfiguration={"Status": "Enabled"})
    ids = [c.put_object(Bucket="api-listver", Key="k", Body=f"{i}".encode())["VersionId"] for i in range(3)]
    other = c.put_object(Bucket="api-listver", Key="other", Body=b"o")["VersionId"]
    marker = c.delete_object(Bucket="api-listver", Key="k")["VersionId"]
    out = c.list_object_versions(Bucket="api-listver")
    versions = [(x["Key"], x["VersionId"], x["IsLatest"], x["Size"]) for x in out["Versions"]]
    # Newest first within a key, keys in order.
    assert versions == [("k", ids[2], False, 1), ("k", ids[1], False, 1), ("k", ids[0], False, 1), ("other", other, True, 1)], versions
    assert [(m["Key"], m["VersionId"], m["IsLatest"]) for m in out["DeleteMarkers"]] == [("k", marker, True)], out["DeleteMarkers"]
    assert all(x["ETag"] == md5_etag(f"{i}".encode()) for i, x in zip([2, 1, 0], out["Versions"][:3])), out["Versions"]
    c.delete_object(Bucket="api-listver", Key="k", VersionId=ids[0])
    out = c.list_object_versions(Bucket="api-listver", Prefix="k")
    assert [x["VersionId"] for x in out["Versions"]] == [ids[2], ids[1]], out["Versions"]
    page = c.list_object_versions(Bucket="api-listver", MaxKeys=2)
    assert page["IsTruncated"] is True and len(page.get("Versions", [])) + len(page.get("DeleteMarkers", [])) == 2, page
    rest = c.list_object_versions(Bucket="api-listver", KeyMarker=page["NextKeyMarker"], VersionIdMarker=page["NextVersionIdMarker"])
    seen = [x["VersionId"] for x in page.get("DeleteMarkers", []) + page.get("Versions", []) + rest.get("DeleteMarkers", []) + rest.get("Versions", [])]
    assert sorted(seen) == sorted([marker, ids[2], ids[1], other]), seen


@run
def listing():
    c.create_bucket(Bucket="api-list")
    keys = ["a.txt", "logs/2024/01.log", "logs/2024/02.log", "logs/2025/01.log", "logs/top.log", "z/last"]
    for k in keys:
        c.put_object(Bucket="api-list", Key=k, Body=k.encode())
    out = c.list_objects_v2(Bucket="api-list")
    assert [o["Key"] for o in out["Contents"]] == keys and out["KeyCount"] == len(keys) and out["IsTruncated"] is False, out
    assert all(o["Size"] == len(o["Key"]) and o["ETag"] == md5_etag(o["Key"].encode()) for o in out["Contents"]), out["Contents"]
    out = c.list_objects_v2(Bucket="api-list", Prefix="logs/", Delimiter="/")
    assert [o["Key"] for o in out["Contents"]] == ["logs/top.log"], out
    assert [p["Prefix"] for p in out["CommonPrefixes"]] == ["logs/2024/", "logs/2025/"], out
    out = c.list_objects_v2(Bucket="api-list", Delimiter="/")
    assert [o["Key"] for o in out["Contents"]] == ["a.txt"] and [p["Prefix"] for p in out["CommonPrefixes"]] == ["logs/", "z/"], out
    # Pages.
    page = c.list_objects_v2(Bucket="api-list", MaxKeys=2)
    assert [o["Key"] for o in page["Contents"]] == keys[:2] and page["IsTruncated"] is True and page["KeyCount"] == 2, page
    page2 = c.list_objects_v2(Bucket="api-list", MaxKeys=10, ContinuationToken=page["NextContinuationToken"])
    assert [o["Key"] for o in page2["Contents"]] == keys[2:] and page2["IsTruncated"] is False, page2
    assert [o["Key"] for o in c.list_objects_v2(Bucket="api-list", StartAfter="logs/2025/01.log")["Contents"]] == keys[4:]
    # All pages through the paginator.
    pages = c.get_paginator("list_objects_v2").paginate(Bucket="api-list", PaginationConfig={"PageSize": 4})
    assert [o["Key"] for p in pages for o in p.get("Contents", [])] == keys
    # Version 1.
    v1 = c.list_objects(Bucket="api-list", MaxKeys=3)
    assert [o["Key"] for o in v1["Contents"]] == keys[:3] and v1["IsTruncated"] is True, v1
    v1b = c.list_objects(Bucket="api-list", Marker=keys[2])
    assert [o["Key"] for o in v1b["Contents"]] == keys[3:] and v1b["IsTruncated"] is False, v1b
    # Empty results and missing buckets.
    assert c.list_objects_v2(Bucket="api-list", Prefix="nothing/")["KeyCount"] == 0
    assert code_status(c.list_objects_v2, Bucket="api-list-missing") == ("NoSuchBucket", 404)
    assert code_status(v.list_objects_v2, Bucket="api-list") == ("AccessDenied", 403)


@run
def bucket_policy_and_public_access():
    c.create_bucket(Bucket="api-policy")
    assert code_status(c.get_bucket_policy, Bucket="api-policy") == ("NoSuchBucketPolicy", 404)
    grant = policy({"Sid": "VendorReads", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
                    "Action": "s3:GetObject", "Resource": "arn:aws:s3:::api-policy/shared/*"})
    assert c.put_bucket_policy(Bucket="api-policy", Policy=grant)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert json.loads(c.get_bucket_policy(Bucket="api-policy")["Policy"]) == json.loads(grant)
    # The policy decides: the vendor reads shared/ only.
    c.put_object(Bucket="api-policy", Key="shared/x", Body=b"shared")
    c.put_object(Bucket="api-policy", Key="private/x", Body=b"private")
    assert body_of(v.get_object(Bucket="api-policy", Key="shared/x")) == b"shared"
    assert code_status(v.get_object, Bucket="api-policy", Key="private/x") == ("AccessDenied", 403)
    # A missing key the vendor may not list: 403, not 404.
    assert code_status(v.get_object, Bucket="api-policy", Key="shared/none") == ("AccessDenied", 403)
    assert code_status(c.put_bucket_policy, Bucket="api-policy", Policy="{not json") == ("MalformedPolicy", 400)
    assert code_status(c.put_bucket_policy, Bucket="api-policy", Policy=policy(
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::other-bucket/*"})) == ("MalformedPolicy", 400)
    assert json.loads(c.get_bucket_policy(Bucket="api-policy")["Policy"]) == json.loads(grant), "a refused policy changed nothing"
    # Another account cannot read or change the policy.
    assert code_status(v.get_bucket_policy, Bucket="api-policy") == ("AccessDenied", 403)
    assert code_status(v.put_bucket_policy, Bucket="api-policy", Policy=grant) == ("AccessDenied", 403)

    assert c.get_bucket_policy_status(Bucket="api-policy")["PolicyStatus"]["IsPublic"] is False
    public = policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::api-policy/*"})
    assert code_status(c.get_public_access_block, Bucket="api-policy") == ("NoSuchPublicAccessBlockConfiguration", 404)
    c.put_public_access_block(Bucket="api-policy", PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": False})
    assert c.get_public_access_block(Bucket="api-policy")["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": False}
    code, status, message, _ = err(c.put_bucket_policy, Bucket="api-policy", Policy=public)
    assert (code, status) == ("AccessDenied", 403), (code, status, message)
    assert "BlockPublicPolicy" in message, message
    assert json.loads(c.get_bucket_policy(Bucket="api-policy")["Policy"]) == json.loads(grant)
    # A policy pinned to an account is not public, so it is accepted.
    pinned = policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::api-policy/*",
                     "Condition": {"StringEquals": {"aws:PrincipalAccount": VENDOR}}})
    c.put_bucket_policy(Bucket="api-policy", Policy=pinned)
    assert c.get_bucket_policy_status(Bucket="api-policy")["PolicyStatus"]["IsPublic"] is False
    assert body_of(v.get_object(Bucket="api-policy", Key="private/x")) == b"private"
    c.delete_public_access_block(Bucket="api-policy")
    assert code_status(c.get_public_access_block, Bucket="api-policy") == ("NoSuchPublicAccessBlockConfiguration", 404)
    c.put_bucket_policy(Bucket="api-policy", Policy=public)
    assert c.get_bucket_policy_status(Bucket="api-policy")["PolicyStatus"]["IsPublic"] is True
    assert c.delete_bucket_policy(Bucket="api-policy")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert code_status(c.get_bucket_policy, Bucket="api-policy") == ("NoSuchBucketPolicy", 404)
    assert code_status(v.get_object, Bucket="api-policy", Key="shared/x") == ("AccessDenied", 403)


@run
def anonymous_access():
    # Unsigned requests are anonymous: refused unless a policy grants everyone, and then
    # refused again once RestrictPublicBuckets is set.
    c.create_bucket(Bucket="api-public")
    c.put_object(Bucket="api-public", Key="site/index.html", Body=b"<h1>hi</h1>")
    c.put_object(Bucket="api-public", Key="private/x", Body=b"secret")
    status, _, body = unsigned("GET", "/api-public/site/index.html")
    assert status == 403 and error_xml(body)["Code"] == "AccessDenied", (status, body)
    public = policy({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::api-public/site/*"})
    c.put_bucket_policy(Bucket="api-public", Policy=public)
    status, headers, body = unsigned("GET", "/api-public/site/index.html")
    assert (status, body) == (200, b"<h1>hi</h1>"), (status, body)
    assert headers["etag"] == md5_etag(b"<h1>hi</h1>"), headers
    status, _, body = unsigned("GET", "/api-public/private/x")
    assert status == 403 and error_xml(body)["Code"] == "AccessDenied", (status, body)
    status, _, body = unsigned("PUT", "/api-public/site/evil")
    assert status == 403, (status, body)
    status, _, body = unsigned("GET", "/")
    assert status == 403 and error_xml(body)["Code"] == "AccessDenied", (status, body)
    # The anonymous read is in the bucket owner's trail, as an anonymous principal.
    reads = [e for e in events(CUSTOMER, "GetObject") if e["userIdentity"]["type"] == "AnonymousPrincipal"]
    assert any(e.get("errorCode") is None and e["requestParameters"]["key"] == "site/index.html" for e in reads), reads
    assert any(e.get("errorCode") == "AccessDenied" and e["requestParameters"]["key"] == "private/x" for e in reads), reads
    c.put_public_access_block(Bucket="api-public", PublicAccessBlockConfiguration={
        "BlockPublicAcls": False, "IgnorePublicAcls": False, "BlockPublicPolicy": False, "RestrictPublicBuckets": True})
    status, _, body = unsigned("GET", "/api-public/site/index.html")
    assert status == 403, (status, body)
    # The owner still reads.
    assert body_of(c.get_object(Bucket="api-public", Key="site/index.html")) == b"<h1>hi</h1>"


@run
def settings_never_configured():
    # Configurations edgeward does not hold read as S3 answers a bucket without them (what
    # tools that read every bucket setting expect); setting them is refused by name.
    c.create_bucket(Bucket="api-settings")
    c.put_object(Bucket="api-settings", Key="o", Body=b"x")
    for call, code in [(c.get_bucket_cors, "NoSuchCORSConfiguration"), (c.get_bucket_lifecycle_configuration, "NoSuchLifecycleConfiguration"),
                       (c.get_bucket_website, "NoSuchWebsiteConfiguration"), (c.get_bucket_replication, "ReplicationConfigurationNotFoundError"),
                       (c.get_object_lock_configuration, "ObjectLockConfigurationNotFoundError")]:
        assert code_status(call, Bucket="api-settings") == (code, 404), call
    assert c.get_bucket_request_payment(Bucket="api-settings")["Payer"] == "BucketOwner"
    assert "Status" not in c.get_bucket_accelerate_configuration(Bucket="api-settings")
    assert "LoggingEnabled" not in c.get_bucket_logging(Bucket="api-settings")
    rules = c.get_bucket_ownership_controls(Bucket="api-settings")["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}], rules
    for acl in (c.get_bucket_acl(Bucket="api-settings"), c.get_object_acl(Bucket="api-settings", Key="o")):
        owner = acl["Owner"]["ID"]
        assert acl["Grants"] == [{"Grantee": {"ID": owner, "DisplayName": CUSTOMER, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}], acl
    assert c.put_bucket_acl(Bucket="api-settings", ACL="private")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert code_status(c.put_bucket_acl, Bucket="api-settings", ACL="public-read") == ("AccessControlListNotSupported", 400)
    assert code_status(c.put_object, Bucket="api-settings", Key="p", Body=b"x", ACL="public-read") == ("AccessControlListNotSupported", 400)
    assert code_status(c.put_bucket_cors, Bucket="api-settings", CORSConfiguration={
        "CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]}) == ("NotImplemented", 501)
    # Reading settings is still authorized: another account gets AccessDenied.
    assert code_status(v.get_bucket_cors, Bucket="api-settings") == ("AccessDenied", 403)
    assert code_status(v.get_bucket_acl, Bucket="api-settings") == ("AccessDenied", 403)


@run
def bucket_policy_invalid_action():
    # S3 refuses a bucket policy naming an action S3 does not have ("Policy has invalid action").
    c.create_bucket(Bucket="api-policy-action")
    code, status, message, _ = err(c.put_bucket_policy, Bucket="api-policy-action", Policy=policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"}, "Action": "s3:NoSuchAction",
         "Resource": "arn:aws:s3:::api-policy-action/*"}))
    assert (code, status) == ("MalformedPolicy", 400), (code, status, message)
    assert code_status(c.get_bucket_policy, Bucket="api-policy-action") == ("NoSuchBucketPolicy", 404)


@run
def bucket_tags():
    c.create_bucket(Bucket="api-btags")
    assert code_status(c.get_bucket_tagging, Bucket="api-btags") == ("NoSuchTagSet", 404)
    c.put_bucket_tagging(Bucket="api-btags", Tagging={"TagSet": [{"Key": "cost-center", "Value": "42"}, {"Key": "env", "Value": "test"}]})
    assert sorted((t["Key"], t["Value"]) for t in c.get_bucket_tagging(Bucket="api-btags")["TagSet"]) == [("cost-center", "42"), ("env", "test")]
    c.put_bucket_tagging(Bucket="api-btags", Tagging={"TagSet": [{"Key": "env", "Value": "prod"}]})
    assert c.get_bucket_tagging(Bucket="api-btags")["TagSet"] == [{"Key": "env", "Value": "prod"}]
    assert code_status(c.put_bucket_tagging, Bucket="api-btags", Tagging={"TagSet": [{"Key": "aws:reserved", "Value": "x"}]}) == ("InvalidTag", 400)
    assert c.delete_bucket_tagging(Bucket="api-btags")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert code_status(c.get_bucket_tagging, Bucket="api-btags") == ("NoSuchTagSet", 404)
    assert code_status(v.get_bucket_tagging, Bucket="api-btags") == ("AccessDenied", 403)


@run
def default_encryption():
    c.create_bucket(Bucket="api-enc")
    rule = c.get_bucket_encryption(Bucket="api-enc")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"} and rule["BucketKeyEnabled"] is False, rule
    kms = client("kms", CUSTOMER)
    key_arn = kms.create_key(Description="api-enc")["KeyMetadata"]["Arn"]
    c.put_bucket_encryption(Bucket="api-enc", ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}, "BucketKeyEnabled": True}]})
    rule = c.get_bucket_encryption(Bucket="api-enc")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn} and rule["BucketKeyEnabled"] is True, rule
    out = c.put_object(Bucket="api-enc", Key="k", Body=b"kms-protected")
    assert out["ServerSideEncryption"] == "aws:kms" and out["SSEKMSKeyId"] == key_arn and out["BucketKeyEnabled"] is True, out
    got = c.get_object(Bucket="api-enc", Key="k")
    assert body_of(got) == b"kms-protected" and got["SSEKMSKeyId"] == key_arn and got["ServerSideEncryption"] == "aws:kms"
    # A request's own header overrides the default.
    out = c.put_object(Bucket="api-enc", Key="s3-managed", Body=b"x", ServerSideEncryption="AES256")
    assert out["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in out, out
    assert code_status(c.put_bucket_encryption, Bucket="api-enc", ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": key_arn}}]}) == ("InvalidArgument", 400)
    assert c.delete_bucket_encryption(Bucket="api-enc")["ResponseMetadata"]["HTTPStatusCode"] == 204
    rule = c.get_bucket_encryption(Bucket="api-enc")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}, rule
    out = c.put_object(Bucket="api-enc", Key="after", Body=b"x")
    assert out["ServerSideEncryption"] == "AES256" and "SSEKMSKeyId" not in out, out
    # The KMS-encrypted object still reads after the default changed.
    assert body_of(c.get_object(Bucket="api-enc", Key="k")) == b"kms-protected"


@run
def checksums_and_digests():
    c.create_bucket(Bucket="api-sums")
    data = b"checksum me " * 1000
    for alg in ["CRC32", "CRC32C", "SHA1", "SHA256"]:
        want = checksum(alg, data)
        if alg == "CRC32C":
            # botocore computes CRC32C only with awscrt: send the value we computed.
            out = c.put_object(Bucket="api-sums", Key=alg, Body=data, ChecksumCRC32C=want)
        else:
            out = c.put_object(Bucket="api-sums", Key=alg, Body=data, ChecksumAlgorithm=alg)
        assert out.get(f"Checksum{alg}") == want, (alg, out)
        got = c.get_object(Bucket="api-sums", Key=alg, ChecksumMode="ENABLED")
        assert body_of(got) == data and got.get(f"Checksum{alg}") == want, (alg, got)
        assert c.head_object(Bucket="api-sums", Key=alg, ChecksumMode="ENABLED").get(f"Checksum{alg}") == want, alg
        # Without ChecksumMode no checksum is sent.
        assert f"Checksum{alg}" not in c.head_object(Bucket="api-sums", Key=alg), alg
        attrs = c.get_object_attributes(Bucket="api-sums", Key=alg, ObjectAttributes=["Checksum", "ObjectSize", "ETag"])
        assert attrs["Checksum"][f"Checksum{alg}"] == want and attrs["ObjectSize"] == len(data), (alg, attrs)
        assert attrs["ETag"] == md5_etag(data).strip('"'), attrs
    # A wrong checksum value is refused and stores nothing.
    assert code_status(c.put_object, Bucket="api-sums", Key="bad-sha", Body=data, ChecksumSHA256=checksum("SHA256", b"other")) == ("BadDigest", 400)
    assert code_status(c.put_object, Bucket="api-sums", Key="bad-crc", Body=data, ChecksumCRC32C=checksum("CRC32C", b"other")) == ("BadDigest", 400)
    assert code_status(c.head_object, Bucket="api-sums", Key="bad-sha") == ("404", 404)
    # Content-MD5: right → stored; wrong → BadDigest; not MD5-shaped → InvalidDigest.
    good = base64.b64encode(hashlib.md5(data).digest()).decode()
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    assert c.put_object(Bucket="api-sums", Key="md5", Body=data, ContentMD5=good)["ETag"] == md5_etag(data)
    assert code_status(c.put_object, Bucket="api-sums", Key="md5-bad", Body=data, ContentMD5=wrong) == ("BadDigest", 400)
    assert code_status(c.put_object, Bucket="api-sums", Key="md5-bad", Body=data, ContentMD5="bm90LW1kNQ==") == ("InvalidDigest", 400)
    assert code_status(c.head_object, Bucket="api-sums", Key="md5-bad") == ("404", 404)
    # A body that does not match its signed x-amz-content-sha256.
    status, _, body = signed("PUT", "/api-sums/tampered", account=CUSTOMER, body=b"signed bytes")
    assert status == 200, body
    status, _, body = signed("PUT", "/api-sums/tampered", account=CUSTOMER, body=b"signed bytes", send_body=b"SIGNED BYTES")
    assert status == 400 and error_xml(body)["Code"] == "XAmzContentSHA256Mismatch", (status, body)
    assert body_of(c.get_object(Bucket="api-sums", Key="tampered")) == b"signed bytes"


@run
def presigned_urls():
    c.create_bucket(Bucket="api-presign")
    c.put_object(Bucket="api-presign", Key="report.csv", Body=b"a,b\n1,2\n")
    # boto3's default presigned S3 URL in us-east-1 is SigV2 (AWSAccessKeyId/Signature/Expires),
    # which S3 refuses for new buckets as edgeward does.
    url = c.generate_presigned_url("get_object", Params={"Bucket": "api-presign", "Key": "report.csv"}, ExpiresIn=300)
    assert "AWSAccessKeyId=" in url and "Signature=" in url, url
    try:
        urllib.request.urlopen(url)
        raise AssertionError("a SigV2 presigned URL was accepted")
    except urllib.error.HTTPError as e:
        fields = error_xml(e.read())
        assert e.code == 400 and fields["Code"] == "InvalidRequest" and "AWS4-HMAC-SHA256" in fields["Message"], (e.code, fields)
    c4 = s3(CUSTOMER, signature_version="s3v4")
    url = c4.generate_presigned_url("get_object", Params={"Bucket": "api-presign", "Key": "report.csv"}, ExpiresIn=300)
    assert "X-Amz-Signature=" in url and "X-Amz-Expires=300" in url, url
    with urllib.request.urlopen(url) as r:
        assert r.status == 200 and r.read() == b"a,b\n1,2\n"
        assert r.headers["ETag"] == md5_etag(b"a,b\n1,2\n")
    # response-* overrides ride on the signed query.
    url = c4.generate_presigned_url("get_object", Params={"Bucket": "api-presign", "Key": "report.csv",
                                                         "ResponseContentDisposition": "attachment; filename=r.csv"}, ExpiresIn=300)
    with urllib.request.urlopen(url) as r:
        assert r.headers["Content-Disposition"] == "attachment; filename=r.csv"
    # Upload through a presigned PUT.
    put_url = c4.generate_presigned_url("put_object", Params={"Bucket": "api-presign", "Key": "upload.bin"}, ExpiresIn=300)
    payload = os.urandom(100_000)
    req = urllib.request.Request(put_url, data=payload, method="PUT", headers={"Content-Type": "application/octet-stream"})
    with urllib.request.urlopen(req) as r:
        assert r.status == 200 and r.headers["ETag"] == md5_etag(payload)
    assert body_of(c.get_object(Bucket="api-presign", Key="upload.bin")) == payload
    # A presigned URL signs one key: another key with its signature is refused.
    tampered = url.replace("report.csv", "upload.bin")
    try:
        urllib.request.urlopen(tampered)
        raise AssertionError("a presigned URL worked for another key")
    except urllib.error.HTTPError as e:
        assert e.code == 403 and error_xml(e.read())["Code"] == "SignatureDoesNotMatch"
    # Expired.
    short = c4.generate_presigned_url("get_object", Params={"Bucket": "api-presign", "Key": "report.csv"}, ExpiresIn=1)
    time.sleep(2.2)
    try:
        urllib.request.urlopen(short)
        raise AssertionError("an expired presigned URL worked")
    except urllib.error.HTTPError as e:
        fields = error_xml(e.read())
        assert e.code == 403 and fields["Code"] == "AccessDenied", (e.code, fields)
        assert fields["Message"] == "Request has expired", fields
    # Presigned by an account without access: the policy still decides.
    vurl = s3(VENDOR, signature_version="s3v4").generate_presigned_url("get_object", Params={"Bucket": "api-presign", "Key": "report.csv"}, ExpiresIn=300)
    try:
        urllib.request.urlopen(vurl)
        raise AssertionError("another account's presigned URL read a private object")
    except urllib.error.HTTPError as e:
        assert e.code == 403 and error_xml(e.read())["Code"] == "AccessDenied"


@run
def addressing_styles():
    c.create_bucket(Bucket="api-vhost")
    # Path style, raw.
    status, headers, body = signed("PUT", "/api-vhost/path-style.txt", account=CUSTOMER, body=b"via path",
                                   headers={"Content-Type": "text/plain"})
    assert status == 200 and headers["etag"] == md5_etag(b"via path"), (status, body)
    # Virtual-host style: the bucket is in Host (signed as such), the path is the key.
    host = f"api-vhost.localhost:{PORT}"
    status, headers, body = signed("GET", "/path-style.txt", account=CUSTOMER, host=host)
    assert status == 200 and body == b"via path" and headers["content-type"] == "text/plain", (status, body)
    status, headers, body = signed("PUT", "/vhost/key.txt", account=CUSTOMER, host=host, body=b"via vhost")
    assert status == 200, body
    assert body_of(c.get_object(Bucket="api-vhost", Key="vhost/key.txt")) == b"via vhost"
    status, headers, body = signed("HEAD", "/vhost/key.txt", account=CUSTOMER, host=host)
    assert status == 200 and headers["content-length"] == str(len(b"via vhost")) and body == b""
    # The bucket's own subresources through the virtual host.
    status, _, body = signed("GET", "/", account=CUSTOMER, host=host, query="location=")
    assert status == 200 and b"LocationConstraint" in body, body
    # boto3 itself in virtual-host mode against an *.s3.localhost-style name is covered by Host above;
    # a missing bucket by virtual host is NoSuchBucket.
    status, _, body = signed("GET", "/k", account=CUSTOMER, host=f"api-nobucket.localhost:{PORT}")
    assert status == 404 and error_xml(body)["Code"] == "NoSuchBucket", body


@run
def error_shape():
    c.create_bucket(Bucket="api-errors")
    status, headers, body = signed("GET", "/api-errors/missing-key", account=CUSTOMER)
    assert status == 404, status
    assert headers["content-type"] == "application/xml", headers
    assert body.startswith(b"<?xml"), body
    fields = error_xml(body)
    assert fields["Code"] == "NoSuchKey" and fields["Message"] == "The specified key does not exist.", fields
    assert fields["Key"] == "missing-key", fields
    assert fields["RequestId"] == headers["x-amz-request-id"] and fields["RequestId"], (fields, headers)
    assert "HostId" in fields, fields
    # HEAD errors carry no body.
    for path in ["/api-errors/missing-key", "/api-errors-missing"]:
        status, headers, body = signed("HEAD", path, account=CUSTOMER)
        assert status == 404 and body == b"", (path, status, body)
        assert headers.get("x-amz-request-id"), headers
    status, _, body = signed("GET", "/api-errors-missing/k", account=CUSTOMER)
    f = error_xml(body)
    assert status == 404 and f["Code"] == "NoSuchBucket" and f["BucketName"] == "api-errors-missing", f
    # A bad signature names the string to sign.
    status, headers, body = signed("GET", "/api-errors/missing-key", creds={"AccessKeyId": root_creds(CUSTOMER)[0],
                                                                           "SecretAccessKey": "wrong" * 8, "SessionToken": None})
    f = error_xml(body)
    assert status == 403 and f["Code"] == "SignatureDoesNotMatch" and "StringToSign" in f, (status, f)
    status, _, body = signed("GET", "/api-errors/k", creds={"AccessKeyId": "AKIAEXAMPLEEXAMPLE12", "SecretAccessKey": "x" * 40, "SessionToken": None})
    assert status == 403 and error_xml(body)["Code"] == "InvalidAccessKeyId", body
    # Unsigned requests: anonymous access is refused.
    status, _, body = unsigned("GET", "/api-errors/missing-key")
    assert status == 403 and error_xml(body)["Code"] == "AccessDenied", (status, body)
    # Subresources edgeward does not implement say so by name.
    status, _, body = signed("PUT", "/api-errors", account=CUSTOMER, query="lifecycle=", body=b"<LifecycleConfiguration/>")
    assert status == 501 and error_xml(body)["Code"] == "NotImplemented", body
    assert b"PutBucketLifecycle" in body, body


@run
def early_answers_to_expect_100_continue():
    # boto3 sends PutObject/UploadPart with `Expect: 100-continue` and, when the answer is a
    # final status (403 here) instead of 100 Continue, never sends the body. A server that
    # answers before reading the body must say it closes the connection (RFC 9110 10.1.1):
    # if it keeps it open, the next request's first Content-Length bytes are taken as the
    # unread body (`DELETE` arrives as `ELETE`: 405 MethodNotAllowed).
    c.create_bucket(Bucket="api-expect")
    c.put_object(Bucket="api-expect", Key="k", Body=b"the right bytes")
    req = AWSRequest(method="PUT", url=f"http://127.0.0.1:{PORT}/api-expect/denied", data=b"x",
                     headers={"Expect": "100-continue", "Content-Length": "1"})
    S3SigV4Auth(Credentials(*root_creds(VENDOR)), "s3", "us-east-1").add_auth(req)
    head = f"PUT /api-expect/denied HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in req.headers.items()) + "\r\n"
    sock = socket.create_connection(("127.0.0.1", PORT), timeout=10)
    sock.sendall(head.encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    status_line, *lines = data.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
    headers = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines}
    sock.close()
    assert status_line.split()[1] == "403", status_line
    assert headers.get("connection", "").lower() == "close", (status_line, headers)
    # What a client sees: a denied PUT, then reads on the same pooled connection.
    for i in range(30):
        assert code_status(v.put_object, Bucket="api-expect", Key=f"denied-{i}", Body=b"x") == ("AccessDenied", 403)
        assert body_of(c.get_object(Bucket="api-expect", Key="k")) == b"the right bytes"
        assert code_status(v.get_object, Bucket="api-expect", Key="k") == ("AccessDenied", 403)


@run
def multipart():
    c.create_bucket(Bucket="api-multipart")
    part1 = os.urandom(5 * MiB)
    part2 = os.urandom(5 * MiB)
    part3 = os.urandom(1 * MiB + 17)
    up = c.create_multipart_upload(Bucket="api-multipart", Key="big.bin", ContentType="application/x-big", Metadata={"job": "m1"})
    uid = up["UploadId"]
    assert uid and up["Key"] == "big.bin" and up["Bucket"] == "api-multipart", up
    listed = c.list_multipart_uploads(Bucket="api-multipart")
    assert [(u["Key"], u["UploadId"]) for u in listed["Uploads"]] == [("big.bin", uid)], listed
    etags = []
    for n, part in [(1, part1), (2, part2), (3, part3)]:
        out = c.upload_part(Bucket="api-multipart", Key="big.bin", UploadId=uid, PartNumber=n, Body=part)
        assert out["ETag"] == md5_etag(part), (n, out)
        etags.append(out["ETag"])
    # Re-uploading a part replaces it.
    out = c.upload_part(Bucket="api-multipart", Key="big.bin", UploadId=uid, PartNumber=2, Body=part2)
    assert out["ETag"] == etags[1]
    parts = c.list_parts(Bucket="api-multipart", Key="big.bin", UploadId=uid)
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts["Parts"]] == [
        (1, etags[0], len(part1)), (2, etags[1], len(part2)), (3, etags[2], len(part3))], parts["Parts"]
    page = c.list_parts(Bucket="api-multipart", Key="big.bin", UploadId=uid, MaxParts=2)
    assert [p["PartNumber"] for p in page["Parts"]] == [1, 2] and page["IsTruncated"] is True, page
    # Not yet visible.
    assert code_status(c.head_object, Bucket="api-multipart", Key="big.bin") == ("404", 404)
    # Wrong ETag or order: refused.
    assert code_status(c.complete_multipart_upload, Bucket="api-multipart", Key="big.bin", UploadId=uid, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": etags[0]}, {"PartNumber": 2, "ETag": md5_etag(b"nope")}]}) == ("InvalidPart", 400)
    assert code_status(c.complete_multipart_upload, Bucket="api-multipart", Key="big.bin", UploadId=uid, MultipartUpload={"Parts": [
        {"PartNumber": 2, "ETag": etags[1]}, {"PartNumber": 1, "ETag": etags[0]}]}) == ("InvalidPartOrder", 400)
    done = c.complete_multipart_upload(Bucket="api-multipart", Key="big.bin", UploadId=uid, MultipartUpload={"Parts": [
        {"PartNumber": n + 1, "ETag": e} for n, e in enumerate(etags)]})
    assert done["ETag"] == multipart_etag([part1, part2, part3]) and done["Key"] == "big.bin", done
    whole = part1 + part2 + part3
    got = c.get_object(Bucket="api-multipart", Key="big.bin")
    assert hashlib.sha256(body_of(got)).digest() == hashlib.sha256(whole).digest()
    assert got["ContentLength"] == len(whole) and got["ETag"] == done["ETag"]
    assert got["ContentType"] == "application/x-big" and got["Metadata"] == {"job": "m1"}, got
    # A range across the part boundary, and a part by number.
    r = c.get_object(Bucket="api-multipart", Key="big.bin", Range=f"bytes={5 * MiB - 10}-{5 * MiB + 9}")
    assert body_of(r) == whole[5 * MiB - 10:5 * MiB + 10]
    h = c.head_object(Bucket="api-multipart", Key="big.bin", PartNumber=3)
    assert h["ContentLength"] == len(part3) and h["PartsCount"] == 3, h
    assert code_status(c.list_parts, Bucket="api-multipart", Key="big.bin", UploadId=uid) == ("NoSuchUpload", 404)
    assert c.list_multipart_uploads(Bucket="api-multipart").get("Uploads", []) == []

    # A part smaller than 5 MiB that is not the last: EntityTooSmall.
    small = c.create_multipart_upload(Bucket="api-multipart", Key="small.bin")["UploadId"]
    e1 = c.upload_part(Bucket="api-multipart", Key="small.bin", UploadId=small, PartNumber=1, Body=b"a" * 1000)["ETag"]
    e2 = c.upload_part(Bucket="api-multipart", Key="small.bin", UploadId=small, PartNumber=2, Body=b"b" * 1000)["ETag"]
    assert code_status(c.complete_multipart_upload, Bucket="api-multipart", Key="small.bin", UploadId=small, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]}) == ("EntityTooSmall", 400)
    # Abort: the upload and its parts are gone.
    assert c.abort_multipart_upload(Bucket="api-multipart", Key="small.bin", UploadId=small)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert code_status(c.list_parts, Bucket="api-multipart", Key="small.bin", UploadId=small) == ("NoSuchUpload", 404)
    assert code_status(c.upload_part, Bucket="api-multipart", Key="small.bin", UploadId=small, PartNumber=3, Body=b"x") == ("NoSuchUpload", 404)
    assert code_status(c.head_object, Bucket="api-multipart", Key="small.bin") == ("404", 404)
    # Another account cannot upload into the bucket.
    assert code_status(v.create_multipart_upload, Bucket="api-multipart", Key="v.bin") == ("AccessDenied", 403)
    # UploadPartCopy: a range of an existing object as a part.
    cp = c.create_multipart_upload(Bucket="api-multipart", Key="copied.bin")["UploadId"]
    pc = c.upload_part_copy(Bucket="api-multipart", Key="copied.bin", UploadId=cp, PartNumber=1,
                            CopySource="api-multipart/big.bin", CopySourceRange=f"bytes=0-{5 * MiB - 1}")
    assert pc["CopyPartResult"]["ETag"] == md5_etag(part1), pc
    last = c.upload_part(Bucket="api-multipart", Key="copied.bin", UploadId=cp, PartNumber=2, Body=b"tail")["ETag"]
    c.complete_multipart_upload(Bucket="api-multipart", Key="copied.bin", UploadId=cp, MultipartUpload={"Parts": [
        {"PartNumber": 1, "ETag": pc["CopyPartResult"]["ETag"]}, {"PartNumber": 2, "ETag": last}]})
    assert body_of(c.get_object(Bucket="api-multipart", Key="copied.bin")) == part1 + b"tail"


run.done()
