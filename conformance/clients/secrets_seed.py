"""The seed story's secrets step through boto3, each rule asserted both ways.

The edge (an identity in the customer account 222222222222) assumes a customer role tagged
edgeward:edge:customer-provided=true, with session name edgeward-job-session-<edge> and session
tag edgeward:edge:instance:name=<edge>. The role's policy grants GetSecretValue on exact secret
ARNs (plus per-edge ABAC on secretsmanager:ResourceTag) and kms:Decrypt on the customer key,
whose own policy must also allow the role. A secret in the separate secrets account
333333333333 needs its resource policy, the role's IAM policy and a customer managed key whose
policy allows the role; the AWS managed key cannot serve another account. Disabling the key
revokes at once; enabling it restores. The trail of each account has the GetSecretValue events
and the KMS Decrypt events made on the caller's behalf (invokedBy secretsmanager.amazonaws.com),
and no secret value anywhere.
"""
import json

import botocore.exceptions

from edgeward_env import CUSTOMER, SECRETS, client, error_code

ROLE_TAG = {"Key": "edgeward:edge:customer-provided", "Value": "true"}
EDGE_TAG = "edgeward:edge:instance:name"
VALUES = ["db-password-0f9c1e", "abac-a-value-51d2", "abac-b-value-77e3", "cross-account-9a8b", "managed-key-4c4c", "other-secret-3e3e"]


def err(fn, **kw):
    try:
        fn(**kw)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    raise AssertionError(f"{fn.__name__} succeeded, an error was expected")


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


iam_c = client("iam", CUSTOMER)
sm_c = client("secretsmanager", CUSTOMER)
kms_c = client("kms", CUSTOMER)
sm_s = client("secretsmanager", SECRETS)
kms_s = client("kms", SECRETS)
iam_s = client("iam", SECRETS)

ROLE_ARN = f"arn:aws:iam::{CUSTOMER}:role/edgeward-secrets-reader"
ADMIN = {"Sid": "KeyAdministration", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CUSTOMER}:root"},
         "Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:Disable*", "kms:Put*", "kms:Get*", "kms:List*",
                    "kms:Encrypt", "kms:GenerateDataKey*", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:TagResource"],
         "Resource": "*"}
ROLE_DECRYPT = {"Sid": "EdgeSecretsReaderDecrypts", "Effect": "Allow", "Principal": {"AWS": ROLE_ARN}, "Action": "kms:Decrypt", "Resource": "*"}

# The customer key: its policy administers the key but does not (yet) let the role decrypt,
# and does not delegate decryption to IAM policies.
key = kms_c.create_key(Description="customer secrets key", Policy=policy(ADMIN))["KeyMetadata"]

# Secrets: one read by exact ARN, two for per-edge ABAC, one the role has no grant on.
db = sm_c.create_secret(Name="edge/db-password", SecretString=VALUES[0], KmsKeyId=key["Arn"])
assert db["ARN"].startswith(f"arn:aws:secretsmanager:us-east-1:{CUSTOMER}:secret:edge/db-password-") and len(db["ARN"].rsplit("-", 1)[1]) == 6
abac_a = sm_c.create_secret(Name="edge/abac/a", SecretString=VALUES[1], KmsKeyId=key["Arn"], Tags=[{"Key": EDGE_TAG, "Value": "a"}])
abac_b = sm_c.create_secret(Name="edge/abac/b", SecretString=VALUES[2], KmsKeyId=key["Arn"], Tags=[{"Key": EDGE_TAG, "Value": "b"}])
other = sm_c.create_secret(Name="other/secret", SecretString=VALUES[5], KmsKeyId=key["Arn"])

# The edge identity may assume only roles tagged customer-provided=true.
iam_c.create_user(UserName="edgeward-edge-a")
iam_c.put_user_policy(UserName="edgeward-edge-a", PolicyName="assume-customer-roles", PolicyDocument=policy({
    "Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*",
    "Condition": {"StringEquals": {"aws:ResourceTag/edgeward:edge:customer-provided": "true"}}}))
edge_key = iam_c.create_access_key(UserName="edgeward-edge-a")["AccessKey"]
edge_sts = client("sts", key=edge_key["AccessKeyId"], secret=edge_key["SecretAccessKey"])

cross_secret_arn_pattern = f"arn:aws:secretsmanager:us-east-1:{SECRETS}:secret:shared/db-*"
iam_c.create_role(
    RoleName="edgeward-secrets-reader",
    AssumeRolePolicyDocument=policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CUSTOMER}:root"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}),
    Tags=[ROLE_TAG],
)
iam_c.put_role_policy(RoleName="edgeward-secrets-reader", PolicyName="read-secrets", PolicyDocument=policy(
    {"Sid": "ExactSecrets", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
     "Resource": [db["ARN"], cross_secret_arn_pattern]},
    {"Sid": "PerEdgeSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
     "Resource": f"arn:aws:secretsmanager:us-east-1:{CUSTOMER}:secret:edge/abac/*",
     "Condition": {"StringEquals": {f"secretsmanager:ResourceTag/{EDGE_TAG}": "${aws:PrincipalTag/" + EDGE_TAG + "}"}}},
    {"Sid": "TestConnection", "Effect": "Allow", "Action": "secretsmanager:ListSecrets", "Resource": "*"},
    {"Sid": "DecryptWithCustomerKeys", "Effect": "Allow", "Action": "kms:Decrypt",
     "Resource": [key["Arn"], f"arn:aws:kms:us-east-1:{SECRETS}:key/*"]},
))


def session(edge):
    out = edge_sts.assume_role(RoleArn=ROLE_ARN, RoleSessionName=f"edgeward-job-session-{edge}", Tags=[{"Key": EDGE_TAG, "Value": edge}])
    return client("secretsmanager", creds=out["Credentials"]), out["AssumedRoleUser"]["Arn"]


sm_a, arn_a = session("a")
sm_b, _ = session("b")

# 1. The key policy does not allow the role: Secrets Manager cannot decrypt for it.
assert err(sm_a.get_secret_value, SecretId=db["ARN"]) == ("AccessDeniedException", "Access to KMS is not allowed")
kms_c.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=policy(ADMIN, ROLE_DECRYPT))
v = sm_a.get_secret_value(SecretId=db["ARN"])
assert v["SecretString"] == VALUES[0] and v["VersionStages"] == ["AWSCURRENT"] and v["ARN"] == db["ARN"]
assert sm_a.describe_secret(SecretId=db["ARN"])["Name"] == "edge/db-password"
# "Test connection": ListSecrets is account-wide.
assert {s["Name"] for s in sm_a.list_secrets()["SecretList"]} >= {"edge/db-password", "other/secret"}

# 2. Exact ARNs: a secret outside the policy is denied, with AWS's message naming the secret.
code, message = err(sm_a.get_secret_value, SecretId=other["ARN"])
assert code == "AccessDeniedException", code
assert message == (f"User: {arn_a} is not authorized to perform: secretsmanager:GetSecretValue on resource: {other['ARN']} "
                   "because no identity-based policy allows the secretsmanager:GetSecretValue action"), message
assert err(sm_a.describe_secret, SecretId=abac_a["ARN"])[0] == "AccessDeniedException"
assert err(sm_a.put_secret_value, SecretId=db["ARN"], SecretString="x")[0] == "AccessDeniedException"

# 3. Per-edge ABAC: each edge's session reads only the secret tagged with its name.
assert sm_a.get_secret_value(SecretId=abac_a["ARN"])["SecretString"] == VALUES[1]
assert sm_b.get_secret_value(SecretId=abac_b["ARN"])["SecretString"] == VALUES[2]
assert err(sm_a.get_secret_value, SecretId=abac_b["ARN"])[0] == "AccessDeniedException"
assert err(sm_b.get_secret_value, SecretId=abac_a["ARN"])[0] == "AccessDeniedException"
# Retagging the secret moves it to the other edge at once.
sm_c.tag_resource(SecretId=abac_b["ARN"], Tags=[{"Key": EDGE_TAG, "Value": "a"}])
assert sm_a.get_secret_value(SecretId=abac_b["ARN"])["SecretString"] == VALUES[2]
assert err(sm_b.get_secret_value, SecretId=abac_b["ARN"])[0] == "AccessDeniedException"

# 4. The customer's kill switch: disabling the key revokes at once, enabling restores.
kms_c.disable_key(KeyId=key["KeyId"])
code, message = err(sm_a.get_secret_value, SecretId=db["ARN"])
assert code == "DecryptionFailure" and "DisabledException" in message, (code, message)
# The key policy does not let the root decrypt: authorization comes before the key state.
assert err(sm_c.get_secret_value, SecretId=db["ARN"]) == ("AccessDeniedException", "Access to KMS is not allowed")
kms_c.enable_key(KeyId=key["KeyId"])
assert sm_a.get_secret_value(SecretId=db["ARN"])["SecretString"] == VALUES[0]

# 5. Cross-account: the secret lives in 333333333333 under a customer managed key there.
KEY_ADMIN_S = dict(ADMIN, Principal={"AWS": f"arn:aws:iam::{SECRETS}:root"})
cmk_s = kms_s.create_key(Description="secrets account key", Policy=policy(KEY_ADMIN_S))["KeyMetadata"]
shared = sm_s.create_secret(Name="shared/db", SecretString=VALUES[3], KmsKeyId=cmk_s["Arn"])
managed = sm_s.create_secret(Name="shared/db-managed-key", SecretString=VALUES[4])  # AWS managed key
# No resource policy: the secrets account has not shared it.
code, message = err(sm_a.get_secret_value, SecretId=shared["ARN"])
assert code == "AccessDeniedException" and "resource-based policy" in message, message
resource_policy = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CUSTOMER}:root"},
                          "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "Resource": "*"})
sm_s.put_resource_policy(SecretId=shared["ARN"], ResourcePolicy=resource_policy, BlockPublicPolicy=True)
sm_s.put_resource_policy(SecretId=managed["ARN"], ResourcePolicy=resource_policy)
assert json.loads(sm_s.get_resource_policy(SecretId=shared["ARN"])["ResourcePolicy"]) == json.loads(resource_policy)
# Shared, but the key's policy does not allow the role yet.
assert err(sm_a.get_secret_value, SecretId=shared["ARN"]) == ("AccessDeniedException", "Access to KMS is not allowed")
kms_s.put_key_policy(KeyId=cmk_s["KeyId"], PolicyName="default", Policy=policy(KEY_ADMIN_S, ROLE_DECRYPT))
assert sm_a.get_secret_value(SecretId=shared["ARN"])["SecretString"] == VALUES[3]
assert sm_a.describe_secret(SecretId=shared["ARN"])["ARN"] == shared["ARN"]
# Cross-account reads go by ARN; a bare name is looked up in the caller's own account.
assert err(sm_a.get_secret_value, SecretId="shared/db")[0] in ("ResourceNotFoundException", "AccessDeniedException")
# The resource policy alone is not enough: a principal whose IAM policy does not allow is denied.
iam_c.create_role(RoleName="edgeward-no-grant", AssumeRolePolicyDocument=policy(
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CUSTOMER}:root"}, "Action": ["sts:AssumeRole", "sts:TagSession"]}), Tags=[ROLE_TAG])
no_grant = edge_sts.assume_role(RoleArn=f"arn:aws:iam::{CUSTOMER}:role/edgeward-no-grant", RoleSessionName="edgeward-job-session-a")
code, message = err(client("secretsmanager", creds=no_grant["Credentials"]).get_secret_value, SecretId=shared["ARN"])
assert code == "AccessDeniedException" and "identity-based policy" in message, message
# The AWS managed key cannot be used across accounts, whatever the policies say.
assert err(sm_a.get_secret_value, SecretId=managed["ARN"]) == ("AccessDeniedException", "Access to KMS is not allowed")
# A public resource policy is refused when BlockPublicPolicy is set.
public = policy({"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
assert err(sm_s.put_resource_policy, SecretId=shared["ARN"], ResourcePolicy=public, BlockPublicPolicy=True)[0] == "PublicPolicyException"
# Removing the resource policy revokes the other account again.
sm_s.delete_resource_policy(SecretId=shared["ARN"])
assert err(sm_a.get_secret_value, SecretId=shared["ARN"])[0] == "AccessDeniedException"

# 6. The trail.
ct_c = client("cloudtrail", CUSTOMER)
ct_s = client("cloudtrail", SECRETS)


def events(ct, name):
    out = []
    for page in ct.get_paginator("lookup_events").paginate(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}]):
        out.extend(json.loads(e["CloudTrailEvent"]) for e in page["Events"])
    return out


gets = events(ct_c, "GetSecretValue")
mine = [e for e in gets if e["userIdentity"]["arn"] == arn_a and e.get("errorCode") is None]
assert mine, "the edge's reads are in the customer's trail"
assert all(e["eventSource"] == "secretsmanager.amazonaws.com" and e["readOnly"] for e in mine)
assert any(e["requestParameters"].get("secretId") == db["ARN"] for e in mine)
assert any(e.get("errorCode") == "AccessDeniedException" and e["userIdentity"]["arn"] == arn_a for e in gets), "denials are recorded"
assert any(e.get("errorCode") == "DecryptionFailure" for e in gets), "the disabled-key failure is recorded"
# The cross-account read is in the caller's trail and in the owner's, with one sharedEventID.
cross_c = [e for e in gets if e["requestParameters"].get("secretId") == shared["ARN"] and e.get("errorCode") is None]
cross_s = [e for e in events(ct_s, "GetSecretValue") if e["requestParameters"].get("secretId") == shared["ARN"] and e.get("errorCode") is None]
assert cross_c and cross_s and {e["sharedEventID"] for e in cross_c} == {e["sharedEventID"] for e in cross_s}
assert all(e["recipientAccountId"] == SECRETS and e["userIdentity"]["accountId"] == CUSTOMER for e in cross_s)
# The KMS Decrypt calls made for the edge: as the edge's session, invoked by Secrets Manager.
decrypts = [e for e in events(ct_c, "Decrypt") if e["userIdentity"]["arn"] == arn_a]
assert decrypts and all(e["userIdentity"].get("invokedBy") == "secretsmanager.amazonaws.com" for e in decrypts), decrypts[:1]
assert any(e["requestParameters"]["encryptionContext"] == {"SecretARN": db["ARN"], "SecretVersionId": db["VersionId"]} for e in decrypts)
assert any(e.get("errorCode") for e in decrypts), "the refused decrypts are recorded too"
s_decrypts = [e for e in events(ct_s, "Decrypt") if e["userIdentity"]["arn"] == arn_a]
assert s_decrypts and all(e["userIdentity"].get("invokedBy") == "secretsmanager.amazonaws.com" for e in s_decrypts)
# No secret value anywhere in either account's trail.
for ct in (ct_c, ct_s, client("cloudtrail", "111111111111")):
    dump = json.dumps([e for page in ct.get_paginator("lookup_events").paginate() for e in page["Events"]], default=str)
    for value in VALUES:
        assert value not in dump, f"a secret value reached the trail: {value}"

print("secrets_seed: ok")
