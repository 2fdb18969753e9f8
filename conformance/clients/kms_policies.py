"""KMS through boto3 and the aws CLI: key policies deciding both ways, cross-account use by
ARN, the seed story's BYOK key policy (vendor principal only via S3 and from the vendor
account: direct Decrypt denied), grants limited by kms:GrantIsForAWSResource, grants that
allow exactly their operations, the kill switch (disable → DisabledException at once,
enable → works), encryption context mismatch, rotation keeping old ciphertexts, and the
KMS events in both accounts' trails."""
import json

from edgeward_env import CUSTOMER, REGION, VENDOR, aws_cli, client, error_code

kms_c = client("kms", CUSTOMER)
iam_v = client("iam", VENDOR)


def user(account_iam, name, actions):
    account_iam.create_user(UserName=name)
    account_iam.put_user_policy(UserName=name, PolicyName="kms", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}))
    k = account_iam.create_access_key(UserName=name)["AccessKey"]
    return client("kms", key=k["AccessKeyId"], secret=k["SecretAccessKey"])


# --- a customer key with the default policy: the customer account's IAM decides ---
key = kms_c.create_key(Description="customer data", Tags=[{"TagKey": "team", "TagValue": "data"}])["KeyMetadata"]
assert key["KeyState"] == "Enabled" and key["KeyManager"] == "CUSTOMER" and key["KeySpec"] == "SYMMETRIC_DEFAULT"
arn = key["Arn"]
kms_c.create_alias(AliasName="alias/customer-data", TargetKeyId=key["KeyId"])
policy = json.loads(kms_c.get_key_policy(KeyId=arn, PolicyName="default")["Policy"])
assert policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{CUSTOMER}:root"}

ctx = {"edgeward:job": "j-1"}
ct = kms_c.encrypt(KeyId="alias/customer-data", Plaintext=b"result", EncryptionContext=ctx)["CiphertextBlob"]
assert kms_c.decrypt(CiphertextBlob=ct, EncryptionContext=ctx)["Plaintext"] == b"result"
assert error_code(kms_c.decrypt, CiphertextBlob=ct, EncryptionContext={"edgeward:job": "j-2"}) == "InvalidCiphertextException"
assert error_code(kms_c.decrypt, CiphertextBlob=ct) == "InvalidCiphertextException"
assert error_code(kms_c.describe_key, KeyId="alias/nope") == "NotFoundException"

iam_c = client("iam", CUSTOMER)
# ABAC on the key's tags: aws:ResourceTag/team.
abac = user(iam_c, "analyst", ["kms:Decrypt"])
iam_c.put_user_policy(UserName="analyst", PolicyName="kms", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*", "Condition": {"StringEquals": {"aws:ResourceTag/team": "data"}}}]}))
assert abac.decrypt(CiphertextBlob=ct, EncryptionContext=ctx)["Plaintext"] == b"result"
kms_c.tag_resource(KeyId=arn, Tags=[{"TagKey": "team", "TagValue": "other"}])
assert error_code(abac.decrypt, CiphertextBlob=ct, EncryptionContext=ctx) == "AccessDeniedException"
kms_c.tag_resource(KeyId=arn, Tags=[{"TagKey": "team", "TagValue": "data"}])
assert {"TagKey": "team", "TagValue": "data"} in kms_c.list_resource_tags(KeyId=arn)["Tags"]

# An explicit deny in the key policy wins over the account's IAM.
nodecrypt = dict(policy)
nodecrypt["Statement"] = policy["Statement"] + [{"Sid": "no-analyst", "Effect": "Deny",
    "Principal": {"AWS": f"arn:aws:iam::{CUSTOMER}:user/analyst"}, "Action": "kms:Decrypt", "Resource": "*"}]
kms_c.put_key_policy(KeyId=arn, PolicyName="default", Policy=json.dumps(nodecrypt))
assert error_code(abac.decrypt, CiphertextBlob=ct, EncryptionContext=ctx) == "AccessDeniedException"
assert kms_c.decrypt(CiphertextBlob=ct, EncryptionContext=ctx)["Plaintext"] == b"result"
assert error_code(kms_c.put_key_policy, KeyId=arn, PolicyName="default", Policy="{not json") == "MalformedPolicyDocumentException"
# The lockout safety check.
assert error_code(kms_c.put_key_policy, KeyId=arn, PolicyName="default", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"}, "Action": "kms:*", "Resource": "*"}]})) == "MalformedPolicyDocumentException"
kms_c.put_key_policy(KeyId=arn, PolicyName="default", Policy=json.dumps(policy))

# --- cross-account: the key policy and the caller's IAM policy must both allow ---
vendor_reader = user(iam_v, "reader", ["kms:Decrypt", "kms:DescribeKey"])
assert error_code(vendor_reader.decrypt, CiphertextBlob=ct, EncryptionContext=ctx) == "AccessDeniedException"
cross = dict(policy)
cross["Statement"] = policy["Statement"] + [{"Sid": "vendor", "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"}, "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}]
kms_c.put_key_policy(KeyId=arn, PolicyName="default", Policy=json.dumps(cross))
assert vendor_reader.decrypt(CiphertextBlob=ct, EncryptionContext=ctx)["Plaintext"] == b"result"
assert vendor_reader.describe_key(KeyId=arn)["KeyMetadata"]["KeyId"] == key["KeyId"]
# The vendor's own IAM must allow it too.
vendor_other = user(iam_v, "other", ["s3:GetObject"])
assert error_code(vendor_other.decrypt, CiphertextBlob=ct, EncryptionContext=ctx) == "AccessDeniedException"
# Aliases name keys of the caller's account only; another account's key needs its ARN.
assert error_code(vendor_reader.describe_key, KeyId="alias/customer-data") == "NotFoundException"

# --- the kill switch ---
kms_c.disable_key(KeyId=arn)
assert error_code(vendor_reader.decrypt, CiphertextBlob=ct, EncryptionContext=ctx) == "DisabledException"
assert error_code(kms_c.encrypt, KeyId=arn, Plaintext=b"x") == "DisabledException"
kms_c.enable_key(KeyId=arn)
assert vendor_reader.decrypt(CiphertextBlob=ct, EncryptionContext=ctx)["Plaintext"] == b"result"

# --- BYOK: the vendor platform principal may use the key only via S3, only from its account ---
platform = user(iam_v, "edgeward-platform", ["kms:*"])
byok = {"Version": "2012-10-17", "Statement": [
    {"Sid": "owner", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CUSTOMER}:root"}, "Action": "kms:*", "Resource": "*"},
    {"Sid": "vendor-via-s3", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:user/edgeward-platform"},
     "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*",
     "Condition": {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com", "aws:PrincipalAccount": VENDOR}}},
    {"Sid": "grants-for-aws-resources", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:user/edgeward-platform"},
     "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"], "Resource": "*",
     "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}}},
]}
byok_key = kms_c.create_key(Description="byok", Policy=json.dumps(byok))["KeyMetadata"]["Arn"]
byok_ct = kms_c.encrypt(KeyId=byok_key, Plaintext=b"job output")["CiphertextBlob"]
assert error_code(platform.decrypt, CiphertextBlob=byok_ct) == "AccessDeniedException"
assert error_code(platform.generate_data_key, KeyId=byok_key, KeySpec="AES_256") == "AccessDeniedException"
# Grants only for AWS resources: a direct CreateGrant by the vendor is denied.
assert error_code(platform.create_grant, KeyId=byok_key, GranteePrincipal=f"arn:aws:iam::{VENDOR}:user/edgeward-platform",
                  Operations=["Decrypt"]) == "AccessDeniedException"

# --- grants allow exactly their operations to their grantee ---
grantee_arn = f"arn:aws:iam::{VENDOR}:user/other"
g = kms_c.create_grant(KeyId=byok_key, GranteePrincipal=grantee_arn, Operations=["Decrypt"], Name="job-reader",
                       RetiringPrincipal=f"arn:aws:iam::{CUSTOMER}:root")
again = kms_c.create_grant(KeyId=byok_key, GranteePrincipal=grantee_arn, Operations=["Decrypt"], Name="job-reader",
                           RetiringPrincipal=f"arn:aws:iam::{CUSTOMER}:root")
assert again["GrantId"] == g["GrantId"]
assert vendor_other.decrypt(CiphertextBlob=byok_ct, GrantTokens=[g["GrantToken"]])["Plaintext"] == b"job output"
assert error_code(vendor_other.encrypt, KeyId=byok_key, Plaintext=b"x") == "AccessDeniedException"
grants = kms_c.list_grants(KeyId=byok_key)["Grants"]
assert [x["GrantId"] for x in grants] == [g["GrantId"]] and grants[0]["Operations"] == ["Decrypt"]
assert grants[0]["KeyId"] == byok_key and grants[0]["IssuingAccount"] == f"arn:aws:iam::{CUSTOMER}:root"
assert [x["GrantId"] for x in kms_c.list_retirable_grants(RetiringPrincipal=f"arn:aws:iam::{CUSTOMER}:root")["Grants"]] == [g["GrantId"]]
# A grant with an encryption-context constraint.
cg = kms_c.create_grant(KeyId=byok_key, GranteePrincipal=grantee_arn, Operations=["Encrypt"],
                        Constraints={"EncryptionContextSubset": {"tenant": "t1"}})
vendor_other.encrypt(KeyId=byok_key, Plaintext=b"x", EncryptionContext={"tenant": "t1", "more": "y"})
assert error_code(vendor_other.encrypt, KeyId=byok_key, Plaintext=b"x", EncryptionContext={"tenant": "t2"}) == "AccessDeniedException"
kms_c.retire_grant(KeyId=byok_key, GrantId=g["GrantId"])
assert error_code(vendor_other.decrypt, CiphertextBlob=byok_ct) == "AccessDeniedException"
kms_c.revoke_grant(KeyId=byok_key, GrantId=cg["GrantId"])
assert kms_c.list_grants(KeyId=byok_key)["Grants"] == []
assert error_code(kms_c.revoke_grant, KeyId=byok_key, GrantId="0" * 64) == "NotFoundException"

# --- rotation keeps old ciphertexts ---
kms_c.rotate_key_on_demand(KeyId=arn)
kms_c.enable_key_rotation(KeyId=arn, RotationPeriodInDays=180)
status = kms_c.get_key_rotation_status(KeyId=arn)
assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 180
rot = kms_c.list_key_rotations(KeyId=arn)["Rotations"]
assert len(rot) == 1 and rot[0]["RotationType"] == "ON_DEMAND"
assert kms_c.decrypt(CiphertextBlob=ct, EncryptionContext=ctx)["Plaintext"] == b"result"
re = kms_c.re_encrypt(CiphertextBlob=ct, SourceEncryptionContext=ctx, DestinationKeyId=byok_key)
assert re["SourceKeyId"] == arn and re["KeyId"] == byok_key
assert kms_c.decrypt(CiphertextBlob=re["CiphertextBlob"])["Plaintext"] == b"result"

# --- data keys, random, HMAC ---
dk = kms_c.generate_data_key(KeyId=arn, KeySpec="AES_256", EncryptionContext=ctx)
assert len(dk["Plaintext"]) == 32
assert kms_c.decrypt(CiphertextBlob=dk["CiphertextBlob"], EncryptionContext=ctx)["Plaintext"] == dk["Plaintext"]
assert "Plaintext" not in kms_c.generate_data_key_without_plaintext(KeyId=arn, NumberOfBytes=64)
assert len(kms_c.generate_random(NumberOfBytes=17)["Plaintext"]) == 17
mac_key = kms_c.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
mac = kms_c.generate_mac(KeyId=mac_key, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
assert kms_c.verify_mac(KeyId=mac_key, Message=b"m", MacAlgorithm="HMAC_SHA_256", Mac=mac)["MacValid"] is True
assert error_code(kms_c.verify_mac, KeyId=mac_key, Message=b"n", MacAlgorithm="HMAC_SHA_256", Mac=mac) == "KMSInvalidMacException"

# --- deletion ---
doomed = kms_c.create_key()["KeyMetadata"]["KeyId"]
assert error_code(kms_c.schedule_key_deletion, KeyId=doomed, PendingWindowInDays=5) == "ValidationException"
out = kms_c.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
assert out["KeyState"] == "PendingDeletion"
assert error_code(kms_c.encrypt, KeyId=doomed, Plaintext=b"x") == "KMSInvalidStateException"
kms_c.cancel_key_deletion(KeyId=doomed)
assert kms_c.describe_key(KeyId=doomed)["KeyMetadata"]["KeyState"] == "Disabled"

# --- the aws CLI ---
listed = aws_cli(["kms", "list-aliases"], account=CUSTOMER)
assert any(a["AliasName"] == "alias/customer-data" for a in listed["Aliases"])
assert aws_cli(["kms", "describe-key", "--key-id", "alias/customer-data"], account=CUSTOMER)["KeyMetadata"]["Arn"] == arn

# --- the trail: the cross-account Decrypt is in both accounts' trails ---
def names(account, event):
    ct_client = client("cloudtrail", account)
    evs = ct_client.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": event}], MaxResults=50)["Events"]
    return [json.loads(e["CloudTrailEvent"]) for e in evs]

vendor_decrypts = [e for e in names(VENDOR, "Decrypt") if e["userIdentity"]["accountId"] == VENDOR]
customer_copies = [e for e in names(CUSTOMER, "Decrypt") if e["userIdentity"]["accountId"] == VENDOR]
assert vendor_decrypts and customer_copies
assert any(e.get("errorCode") == "AccessDeniedException" for e in vendor_decrypts)
assert all(e["eventSource"] == "kms.amazonaws.com" for e in vendor_decrypts)
assert all("Plaintext" not in json.dumps(e.get("responseElements")) or "HIDDEN" in json.dumps(e) for e in vendor_decrypts)
print("kms_policies: ok")
