"""The seed story's BYOK step through boto3: the customer (222222222222) owns a KMS key whose
policy lets the vendor platform role (111111111111) use it only through S3
(kms:ViaService = s3.us-east-1.amazonaws.com) and only from the vendor account
(aws:PrincipalAccount), and create grants only for AWS resources. The customer's results
bucket encrypts by default with SSE-KMS under that key. The vendor role writes and reads its
results through S3 (allowed), but cannot use the key directly (denied). Disabling the key or
scheduling its deletion stops reads and writes at once (the customer's kill switch); enabling
it, or cancelling the deletion, restores them. The customer's trail holds the KMS calls S3
made on the vendor's behalf (invokedBy s3.amazonaws.com), and no plaintext reaches the disk."""
import os

from edgeward_env import CUSTOMER, DATA_DIR, REGION, VENDOR, client
from s3_util import Sections, code_status, err, events, operator_sts, policy, s3

BUCKET = "byok-results"
ROLE = "edgeward-platform"
ROLE_ARN = f"arn:aws:iam::{VENDOR}:role/{ROLE}"
SESSION = "edgeward-edge-a-job-7"
SESSION_ARN = f"arn:aws:sts::{VENDOR}:assumed-role/{ROLE}/{SESSION}"
# A marker that must never appear in a file on disk.
MARKER = b"BYOK-PLAINTEXT-MARKER-7f3a9c1e5d"
RESULT = b'{"job": 7, "rows": 1024, "marker": "' + MARKER + b'"}' + b" padding" * 5000

kms_c = client("kms", CUSTOMER)
c = s3(CUSTOMER)
iam_v = client("iam", VENDOR)

# --- the vendor: an operator who may assume the platform role, the role and its identity
# policy (across accounts the caller's own policy must allow the S3 and KMS actions too) ---
op_sts = operator_sts(VENDOR, f"arn:aws:iam::{VENDOR}:role/edgeward-*")
trust = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"}, "Action": "sts:AssumeRole"})
iam_v.create_role(RoleName=ROLE, AssumeRolePolicyDocument=trust)
iam_v.create_role(RoleName="edgeward-other", AssumeRolePolicyDocument=trust)
IDENTITY = policy(
    {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"], "Resource": f"arn:aws:s3:::{BUCKET}/*"},
    {"Effect": "Allow", "Action": ["kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt", "kms:CreateGrant", "kms:DescribeKey"],
     "Resource": f"arn:aws:kms:{REGION}:{CUSTOMER}:key/*"})
for r in [ROLE, "edgeward-other"]:
    iam_v.put_role_policy(RoleName=r, PolicyName="customer-results", PolicyDocument=IDENTITY)

# --- the customer: the key, its policy, the bucket ---
KEY_POLICY = policy(
    {"Sid": "CustomerAdministers", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CUSTOMER}:root"}, "Action": "kms:*", "Resource": "*"},
    {"Sid": "VendorOnlyViaS3", "Effect": "Allow", "Principal": {"AWS": ROLE_ARN},
     "Action": ["kms:GenerateDataKey", "kms:Decrypt"], "Resource": "*",
     "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com", "aws:PrincipalAccount": VENDOR}}},
    {"Sid": "GrantsOnlyForAwsResources", "Effect": "Allow", "Principal": {"AWS": ROLE_ARN},
     "Action": "kms:CreateGrant", "Resource": "*", "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}})
key = kms_c.create_key(Description="customer results key", Policy=KEY_POLICY)["KeyMetadata"]
KEY_ARN = key["Arn"]
c.create_bucket(Bucket=BUCKET)
c.put_bucket_encryption(Bucket=BUCKET, ServerSideEncryptionConfiguration={"Rules": [{
    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": KEY_ARN}, "BucketKeyEnabled": False}]})
c.put_bucket_policy(Bucket=BUCKET, Policy=policy(
    {"Sid": "VendorWritesResults", "Effect": "Allow",
     "Principal": {"AWS": [ROLE_ARN, f"arn:aws:iam::{VENDOR}:role/edgeward-other"]},
     "Action": ["s3:PutObject", "s3:GetObject"], "Resource": f"arn:aws:s3:::{BUCKET}/*"}))


def assume(role, session):
    return op_sts.assume_role(RoleArn=f"arn:aws:iam::{VENDOR}:role/{role}", RoleSessionName=session)["Credentials"]


creds = assume(ROLE, SESSION)
vendor_s3 = s3(creds=creds)
vendor_kms = client("kms", creds=creds)
run = Sections("s3_byok")


def read_back(key="results/job-7.json"):
    return vendor_s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


@run
def vendor_writes_and_reads_through_s3():
    out = vendor_s3.put_object(Bucket=BUCKET, Key="results/job-7.json", Body=RESULT, ContentType="application/json")
    assert out["ServerSideEncryption"] == "aws:kms" and out["SSEKMSKeyId"] == KEY_ARN, out
    assert not out.get("BucketKeyEnabled"), out
    got = vendor_s3.get_object(Bucket=BUCKET, Key="results/job-7.json")
    assert got["Body"].read() == RESULT
    assert got["ServerSideEncryption"] == "aws:kms" and got["SSEKMSKeyId"] == KEY_ARN, got
    h = c.head_object(Bucket=BUCKET, Key="results/job-7.json")
    assert h["ServerSideEncryption"] == "aws:kms" and h["SSEKMSKeyId"] == KEY_ARN and h["ContentLength"] == len(RESULT), h
    # Naming the key explicitly works the same way; a ranged read decrypts too.
    out = vendor_s3.put_object(Bucket=BUCKET, Key="results/explicit.json", Body=b"explicit", ServerSideEncryption="aws:kms", SSEKMSKeyId=KEY_ARN)
    assert out["SSEKMSKeyId"] == KEY_ARN, out
    r = vendor_s3.get_object(Bucket=BUCKET, Key="results/job-7.json", Range="bytes=0-9")
    assert r["Body"].read() == RESULT[:10]
    # The customer reads it too (the key policy lets the customer account use the key).
    assert c.get_object(Bucket=BUCKET, Key="results/job-7.json")["Body"].read() == RESULT


@run
def vendor_cannot_use_the_key_directly():
    ct = kms_c.encrypt(KeyId=KEY_ARN, Plaintext=b"customer secret")["CiphertextBlob"]
    code, status, message, _ = err(vendor_kms.decrypt, CiphertextBlob=ct)
    assert (code, status) == ("AccessDeniedException", 400), (code, status, message)
    assert SESSION_ARN in message and "kms:Decrypt" in message, message
    assert code_status(vendor_kms.generate_data_key, KeyId=KEY_ARN, KeySpec="AES_256")[0] == "AccessDeniedException"
    assert code_status(vendor_kms.encrypt, KeyId=KEY_ARN, Plaintext=b"x")[0] == "AccessDeniedException"
    code, _, message, _ = err(vendor_kms.create_grant, KeyId=KEY_ARN, GranteePrincipal=ROLE_ARN, Operations=["Decrypt"])
    assert code == "AccessDeniedException", (code, message)
    assert kms_c.list_grants(KeyId=KEY_ARN)["Grants"] == []


@run
def the_key_policy_names_the_role():
    # Another vendor role that the bucket policy and its own policy allow, but the key policy
    # does not name: S3 cannot get a data key for it.
    other = s3(creds=assume("edgeward-other", "other-job"))
    code, status, message, _ = err(other.put_object, Bucket=BUCKET, Key="results/other.json", Body=b"x")
    assert (code, status) == ("AccessDenied", 403), (code, status, message)
    assert "kms:GenerateDataKey" in message, message
    assert code_status(c.head_object, Bucket=BUCKET, Key="results/other.json") == ("404", 404)
    assert code_status(other.get_object, Bucket=BUCKET, Key="results/job-7.json") == ("AccessDenied", 403)
    # An object encrypted with SSE-S3 in the same bucket is readable by it: only KMS said no.
    c.put_object(Bucket=BUCKET, Key="results/sse-s3.txt", Body=b"s3-managed", ServerSideEncryption="AES256")
    assert other.get_object(Bucket=BUCKET, Key="results/sse-s3.txt")["Body"].read() == b"s3-managed"


@run
def disabling_the_key_is_a_kill_switch():
    kms_c.disable_key(KeyId=KEY_ARN)
    try:
        code, status, message, _ = err(vendor_s3.get_object, Bucket=BUCKET, Key="results/job-7.json")
        assert (code, status) == ("KMS.DisabledException", 400), (code, status, message)
        code, status, _, _ = err(vendor_s3.put_object, Bucket=BUCKET, Key="results/job-8.json", Body=b"x")
        assert (code, status) == ("KMS.DisabledException", 400), (code, status)
        assert code_status(c.get_object, Bucket=BUCKET, Key="results/job-7.json") == ("KMS.DisabledException", 400)
        # Metadata stays readable: HEAD needs no key.
        assert c.head_object(Bucket=BUCKET, Key="results/job-7.json")["SSEKMSKeyId"] == KEY_ARN
        assert code_status(c.head_object, Bucket=BUCKET, Key="results/job-8.json") == ("404", 404)
    finally:
        kms_c.enable_key(KeyId=KEY_ARN)
    assert read_back() == RESULT
    assert vendor_s3.put_object(Bucket=BUCKET, Key="results/job-8.json", Body=b"eight")["SSEKMSKeyId"] == KEY_ARN
    assert read_back("results/job-8.json") == b"eight"


@run
def scheduled_deletion_is_a_kill_switch():
    out = kms_c.schedule_key_deletion(KeyId=KEY_ARN, PendingWindowInDays=7)
    assert out["KeyState"] == "PendingDeletion", out
    try:
        code, status, message, _ = err(vendor_s3.get_object, Bucket=BUCKET, Key="results/job-7.json")
        assert (code, status) == ("KMS.KMSInvalidStateException", 400), (code, status, message)
        assert code_status(vendor_s3.put_object, Bucket=BUCKET, Key="results/job-9.json", Body=b"x") == ("KMS.KMSInvalidStateException", 400)
    finally:
        kms_c.cancel_key_deletion(KeyId=KEY_ARN)
    # Cancelled, the key is Disabled until enabled again.
    assert kms_c.describe_key(KeyId=KEY_ARN)["KeyMetadata"]["KeyState"] == "Disabled"
    assert code_status(vendor_s3.get_object, Bucket=BUCKET, Key="results/job-7.json") == ("KMS.DisabledException", 400)
    kms_c.enable_key(KeyId=KEY_ARN)
    assert read_back() == RESULT
    assert read_back("results/job-8.json") == b"eight"


@run
def the_customer_trail_shows_s3_using_the_key_for_the_vendor():
    for name in ["GenerateDataKey", "Decrypt"]:
        evs = [e for e in events(CUSTOMER, name) if e["userIdentity"].get("arn") == SESSION_ARN]
        ok = [e for e in evs if not e.get("errorCode")]
        assert ok, (name, evs[:2])
        for e in ok:
            ui = e["userIdentity"]
            assert ui.get("invokedBy") == "s3.amazonaws.com", (name, ui)
            assert ui["accountId"] == VENDOR and ui["type"] == "AssumedRole", ui
            assert e["eventSource"] == "kms.amazonaws.com" and e["recipientAccountId"] == CUSTOMER, e
            assert e["sourceIPAddress"] == "s3.amazonaws.com" and e["userAgent"] == "s3.amazonaws.com", e
            assert e["requestParameters"]["encryptionContext"]["aws:s3:arn"].startswith(f"arn:aws:s3:::{BUCKET}/results/"), e["requestParameters"]
            assert {"ARN": KEY_ARN, "type": "AWS::KMS::Key", "accountId": CUSTOMER} in e["resources"], e["resources"]
            # No data key in the trail: any plaintext member is hidden.
            resp = e.get("responseElements") or {}
            assert all(v == "HIDDEN_DUE_TO_SECURITY_REASONS" for k, v in resp.items() if k.lower() == "plaintext"), resp
        # The object ARN of the first write is the context of one of them.
        assert any(e["requestParameters"]["encryptionContext"]["aws:s3:arn"] == f"arn:aws:s3:::{BUCKET}/results/job-7.json" for e in ok), name
    # The refused reads are there too, with KMS's error.
    decrypts = [e for e in events(CUSTOMER, "Decrypt") if e["userIdentity"].get("arn") == SESSION_ARN]
    assert any(e.get("errorCode") == "DisabledException" for e in decrypts), [e.get("errorCode") for e in decrypts]
    assert any(e.get("errorCode") == "KMSInvalidStateException" for e in decrypts), [e.get("errorCode") for e in decrypts]
    # The direct attempts are denied events without invokedBy.
    direct = [e for e in decrypts if "invokedBy" not in e["userIdentity"]]
    assert direct and all(e["errorCode"] == "AccessDeniedException" for e in direct), direct
    # The vendor's trail has its own copy of the forwarded calls.
    vendor_copies = [e for e in events(VENDOR, "GenerateDataKey") if e["userIdentity"].get("invokedBy") == "s3.amazonaws.com"]
    assert vendor_copies and all(e["recipientAccountId"] == VENDOR for e in vendor_copies), vendor_copies[:1]


@run
def no_plaintext_on_disk():
    blobs_dir = os.path.join(DATA_DIR, "s3", "blobs")
    files = [os.path.join(blobs_dir, f) for f in os.listdir(blobs_dir)]
    total = sum(os.path.getsize(f) for f in files)
    # Not vacuous: the object's bytes are on disk (encrypted, so at least as many bytes).
    assert files and total >= len(RESULT), (len(files), total)
    probe = MARKER[:16]
    for path in files + [os.path.join(DATA_DIR, "edgeward.redb")]:
        with open(path, "rb") as f:
            data = f.read()
        assert probe not in data, f"plaintext found in {path}"
        assert b"padding padding" not in data, f"plaintext found in {path}"


run.done()
