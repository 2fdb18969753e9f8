"""AssumeRole's finer rules with boto3: ExternalId, SourceIdentity (needs
sts:SetSourceIdentity, immutable through a chain), transitive session tags, role chaining
limited to one hour, DurationSeconds against the role's maximum, session policies that
limit the session, and the sts:RoleSessionName condition key."""
import json

from edgeward_env import CUSTOMER, VENDOR, client, error_code

iam_c = client("iam", CUSTOMER)
iam_v = client("iam", VENDOR)

iam_v.create_user(UserName="edge-a")
iam_v.put_user_policy(
    UserName="edge-a",
    PolicyName="assume",
    PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"], "Resource": "*"}]}),
)
k = iam_v.create_access_key(UserName="edge-a")["AccessKey"]
edge = client("sts", key=k["AccessKeyId"], secret=k["SecretAccessKey"])

# Role A: the vendor's edge may assume it with the right external id.
trust_a = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:user/edge-a"},
    "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
    "Condition": {"StringEquals": {"sts:ExternalId": "ext-1"}},
}]}
role_a = iam_c.create_role(RoleName="A", AssumeRolePolicyDocument=json.dumps(trust_a))["Role"]
iam_c.put_role_policy(RoleName="A", PolicyName="all-iam-reads", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"},
                                            {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"], "Resource": "*"}]}))

# Role B: sessions of role A may assume it (a chain); long maximum to isolate the chain limit.
trust_b = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": role_a["Arn"]},
    "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
}]}
role_b = iam_c.create_role(RoleName="B", AssumeRolePolicyDocument=json.dumps(trust_b), MaxSessionDuration=43200)["Role"]
iam_c.put_role_policy(RoleName="B", PolicyName="by-tag", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "red"}}},
    {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/env": "dev"}}},
]}))

# External id: missing or wrong is denied by the trust policy.
assert error_code(edge.assume_role, RoleArn=role_a["Arn"], RoleSessionName="s1") == "AccessDenied"
assert error_code(edge.assume_role, RoleArn=role_a["Arn"], RoleSessionName="s1", ExternalId="wrong") == "AccessDenied"
# DurationSeconds above the role's maximum (3600 by default).
assert error_code(edge.assume_role, RoleArn=role_a["Arn"], RoleSessionName="s1", ExternalId="ext-1", DurationSeconds=7200) == "ValidationError"

tags = [{"Key": "team", "Value": "red"}, {"Key": "env", "Value": "dev"}]
a = edge.assume_role(RoleArn=role_a["Arn"], RoleSessionName="edgeward-job-session-a", ExternalId="ext-1",
                     SourceIdentity="alice", Tags=tags, TransitiveTagKeys=["team"])
assert a["SourceIdentity"] == "alice"
sts_a = client("sts", creds=a["Credentials"])

# Chained sessions are limited to one hour.
assert error_code(sts_a.assume_role, RoleArn=role_b["Arn"], RoleSessionName="chained", DurationSeconds=7200) == "ValidationError"
# The source identity cannot change along the chain, and transitive tags cannot be overridden.
assert error_code(sts_a.assume_role, RoleArn=role_b["Arn"], RoleSessionName="chained", SourceIdentity="bob") == "ValidationError"
assert error_code(sts_a.assume_role, RoleArn=role_b["Arn"], RoleSessionName="chained", Tags=[{"Key": "team", "Value": "blue"}]) == "ValidationError"

b = sts_a.assume_role(RoleArn=role_b["Arn"], RoleSessionName="chained")
assert b.get("SourceIdentity") == "alice", b
iam_b = client("iam", creds=b["Credentials"])
# team=red was transitive and came along; env=dev did not.
assert iam_b.get_role(RoleName="B")["Role"]["RoleName"] == "B"
assert error_code(iam_b.list_roles) == "AccessDenied"

# A session policy limits the session below the role's own permissions.
limited = edge.assume_role(RoleArn=role_a["Arn"], RoleSessionName="limited", ExternalId="ext-1", Policy=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:GetRole", "Resource": "*"}]}))
iam_l = client("iam", creds=limited["Credentials"])
assert iam_l.get_role(RoleName="A")["Role"]["RoleName"] == "A"
code = error_code(iam_l.list_roles)
assert code == "AccessDenied", code
try:
    iam_l.list_roles()
except Exception as e:
    assert "session policy" in str(e), str(e)
assert error_code(edge.assume_role, RoleArn=role_a["Arn"], RoleSessionName="bad", ExternalId="ext-1", Policy="{not json") == "MalformedPolicyDocument"

# A managed policy passed as PolicyArns limits the session too.
pol = iam_c.create_policy(PolicyName="only-list", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}]}))["Policy"]
m = edge.assume_role(RoleArn=role_a["Arn"], RoleSessionName="managed", ExternalId="ext-1", PolicyArns=[{"arn": pol["Arn"]}])
iam_m = client("iam", creds=m["Credentials"])
assert iam_m.list_roles()["Roles"]
assert error_code(iam_m.get_role, RoleName="A") == "AccessDenied"

# sts:RoleSessionName in a trust policy.
trust_c = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:user/edge-a"},
    "Action": "sts:AssumeRole",
    "Condition": {"StringLike": {"sts:RoleSessionName": "edgeward-job-session-*"}},
}]}
role_c = iam_c.create_role(RoleName="C", AssumeRolePolicyDocument=json.dumps(trust_c))["Role"]
assert error_code(edge.assume_role, RoleArn=role_c["Arn"], RoleSessionName="other") == "AccessDenied"
assert edge.assume_role(RoleArn=role_c["Arn"], RoleSessionName="edgeward-job-session-x")["AssumedRoleUser"]["Arn"].endswith("/C/edgeward-job-session-x")

# Tags need sts:TagSession in the trust policy.
trust_d = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:user/edge-a"}, "Action": "sts:AssumeRole"}]}
role_d = iam_c.create_role(RoleName="D", AssumeRolePolicyDocument=json.dumps(trust_d))["Role"]
assert edge.assume_role(RoleArn=role_d["Arn"], RoleSessionName="plain")
assert error_code(edge.assume_role, RoleArn=role_d["Arn"], RoleSessionName="tagged", Tags=[{"Key": "a", "Value": "b"}]) == "AccessDenied"
assert error_code(edge.assume_role, RoleArn=role_d["Arn"], RoleSessionName="si", SourceIdentity="alice") == "AccessDenied"

# GetSessionToken acts as the long-term identity; session credentials cannot call it.
t = edge.get_session_token(DurationSeconds=900)["Credentials"]
assert client("sts", creds=t).get_caller_identity()["Arn"] == f"arn:aws:iam::{VENDOR}:user/edge-a"
assert error_code(sts_a.get_session_token) == "AccessDenied"
print("sts_chaining: ok")
