"""The seed story's secrets step at the STS level: a vendor-side edge identity assumes a
customer role only when the role carries edgeward:edge:customer-provided=true, with session
tags; denials carry AWS's AccessDenied message; bad keys and signatures are refused."""
import json

from edgeward_env import CUSTOMER, VENDOR, aws_cli, client, error_code

ROLE_TAG = {"Key": "edgeward:edge:customer-provided", "Value": "true"}

iam_c = client("iam", CUSTOMER)
trust = {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {"StringLike": {"aws:PrincipalArn": f"arn:aws:iam::{VENDOR}:user/edgeward-edge-*"}},
    }],
}
role = iam_c.create_role(RoleName="customer-secrets", AssumeRolePolicyDocument=json.dumps(trust), Tags=[ROLE_TAG])["Role"]
untagged = iam_c.create_role(RoleName="customer-untagged", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
iam_c.put_role_policy(
    RoleName="customer-secrets",
    PolicyName="read-role",
    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"}]}),
)
assert error_code(iam_c.create_role, RoleName="customer-secrets", AssumeRolePolicyDocument=json.dumps(trust)) == "EntityAlreadyExists"
assert error_code(iam_c.create_role, RoleName="bad", AssumeRolePolicyDocument='{"Statement": "nope"}') == "MalformedPolicyDocument"

iam_v = client("iam", VENDOR)
iam_v.create_user(UserName="edgeward-edge-a")
iam_v.put_user_policy(
    UserName="edgeward-edge-a",
    PolicyName="assume-customer-roles",
    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:ResourceTag/edgeward:edge:customer-provided": "true"}},
    }]}),
)
key = iam_v.create_access_key(UserName="edgeward-edge-a")["AccessKey"]
edge = client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
assert edge.get_caller_identity()["Arn"] == f"arn:aws:iam::{VENDOR}:user/edgeward-edge-a"

# The tagged role can be assumed, with the session name and tag of the seed story.
out = edge.assume_role(
    RoleArn=role["Arn"],
    RoleSessionName="edgeward-job-session-a",
    Tags=[{"Key": "edgeward:edge:instance:name", "Value": "a"}],
)
assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{CUSTOMER}:assumed-role/customer-secrets/edgeward-job-session-a"
assert out["AssumedRoleUser"]["AssumedRoleId"].startswith("AROA")
assert out["Credentials"]["AccessKeyId"].startswith("ASIA")
session = client("sts", creds=out["Credentials"])
assert session.get_caller_identity()["Arn"] == out["AssumedRoleUser"]["Arn"]
assert client("iam", creds=out["Credentials"]).get_role(RoleName="customer-secrets")["Role"]["Arn"] == role["Arn"]

# The untagged role is refused by the edge's own identity policy.
try:
    edge.assume_role(RoleArn=untagged["Arn"], RoleSessionName="edgeward-job-session-a")
    raise AssertionError("assuming an untagged role must be denied")
except Exception as e:
    msg = str(e)
    assert "AccessDenied" in msg and "sts:AssumeRole" in msg and "identity-based policy" in msg, msg

# The session may do only what the role's policy allows.
assert error_code(client("iam", creds=out["Credentials"]).create_user, UserName="x") == "AccessDenied"

# Unknown keys and wrong secrets.
assert error_code(client("sts", key="AKIAAAAAAAAAAAAAAAAA", secret="x").get_caller_identity) == "InvalidClientTokenId"
assert error_code(client("sts", key=key["AccessKeyId"], secret="wrong").get_caller_identity) == "SignatureDoesNotMatch"

# The aws CLI, unchanged, against the same endpoint.
ident = aws_cli(["sts", "get-caller-identity"], account=CUSTOMER)
assert ident["Arn"] == f"arn:aws:iam::{CUSTOMER}:root", ident
got = aws_cli(["iam", "get-role", "--role-name", "customer-secrets"], account=CUSTOMER)
assert got["Role"]["Tags"] == [ROLE_TAG], got
print("sts_assume_role: ok")
