"""IAM policies written through IAM take effect on the next call: a user's rights come from
its groups' managed and inline policies, its own policies and its permissions boundary;
explicit denies win; the IAM condition keys (aws:RequestTag, aws:TagKeys,
iam:PermissionsBoundary, iam:PolicyARN, aws:ResourceTag, ${aws:username}) are supplied."""
import json

from edgeward_env import CUSTOMER, client, error_code

root = client("iam", CUSTOMER)
A = f"arn:aws:iam::{CUSTOMER}"


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action, resource="*", **condition):
    s = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition:
        s["Condition"] = condition
    return s


def denied(fn, *args, **kwargs):
    """Calls fn, expects AccessDenied, returns the message."""
    try:
        fn(*args, **kwargs)
    except Exception as e:  # botocore ClientError
        assert e.response["Error"]["Code"] == "AccessDenied", e.response
        return e.response["Error"]["Message"]
    raise AssertionError(f"{fn.__name__} was allowed")


root.create_user(UserName="alice")
root.create_user(UserName="bob")
key = root.create_access_key(UserName="alice")["AccessKey"]
alice = client("iam", key=key["AccessKeyId"], secret=key["SecretAccessKey"])

# Nothing is allowed by default.
msg = denied(alice.list_users)
assert f"{A}:user/alice is not authorized to perform: iam:ListUsers on resource: {A}:user/" in msg, msg
assert "because no identity-based policy allows" in msg, msg

# A group with an attached managed policy grants read access.
read = root.create_policy(PolicyName="iam-read", PolicyDocument=doc(allow(["iam:Get*", "iam:List*"])))["Policy"]["Arn"]
root.create_group(GroupName="readers")
root.attach_group_policy(GroupName="readers", PolicyArn=read)
denied(alice.list_users)  # not a member yet
root.add_user_to_group(GroupName="readers", UserName="alice")
assert {u["UserName"] for u in alice.list_users()["Users"]} == {"alice", "bob"}
assert alice.get_group(GroupName="readers")["Users"][0]["UserName"] == "alice"

# An explicit deny in the group's inline policy wins.
root.put_group_policy(GroupName="readers", PolicyName="no-roles",
                      PolicyDocument=doc({"Effect": "Deny", "Action": "iam:ListRoles", "Resource": "*"}))
assert "with an explicit deny in an identity-based policy" in denied(alice.list_roles)
root.delete_group_policy(GroupName="readers", PolicyName="no-roles")
alice.list_roles()

# A new default version of the managed policy takes effect at once.
root.create_policy_version(PolicyArn=read, PolicyDocument=doc(allow("iam:ListUsers")), SetAsDefault=True)
denied(alice.list_groups)
alice.list_users()
root.set_default_policy_version(PolicyArn=read, VersionId="v1")
alice.list_groups()

# A permissions boundary caps what the group grants.
boundary = root.create_policy(PolicyName="boundary", PolicyDocument=doc(allow(["iam:ListUsers", "iam:GetUser"])))["Policy"]["Arn"]
root.put_user_permissions_boundary(UserName="alice", PermissionsBoundary=boundary)
alice.list_users()
assert "because no permissions boundary allows the iam:ListGroups action" in denied(alice.list_groups)
root.delete_user_permissions_boundary(UserName="alice")
alice.list_groups()

# Leaving the group takes the rights away.
root.remove_user_from_group(GroupName="readers", UserName="alice")
denied(alice.list_users)

# Self-service on one's own user only, with ${aws:username}; attached directly.
self_service = root.create_policy(PolicyName="self", PolicyDocument=doc(
    allow(["iam:ListAccessKeys", "iam:CreateAccessKey", "iam:GetUser", "iam:TagUser"], f"{A}:user/${{aws:username}}")))["Policy"]["Arn"]
root.attach_user_policy(UserName="alice", PolicyArn=self_service)
assert [k["AccessKeyId"] for k in alice.list_access_keys()["AccessKeyMetadata"]] == [key["AccessKeyId"]]
assert alice.get_user()["User"]["UserName"] == "alice"
denied(alice.list_access_keys, UserName="bob")
denied(alice.get_user, UserName="bob")
# Asking about a user that does not exist is an authorization question first.
denied(alice.get_user, UserName="nobody")

# aws:RequestTag and aws:TagKeys on tagging.
root.put_user_policy(UserName="alice", PolicyName="tag-team-only", PolicyDocument=doc(
    {"Effect": "Deny", "Action": "iam:TagUser", "Resource": "*",
     "Condition": {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["team"]}}}))
alice.tag_user(UserName="alice", Tags=[{"Key": "team", "Value": "red"}])
assert "explicit deny" in denied(alice.tag_user, UserName="alice", Tags=[{"Key": "cost", "Value": "1"}])

# aws:ResourceTag on IAM users: read only users tagged like oneself.
root.tag_user(UserName="bob", Tags=[{"Key": "team", "Value": "blue"}])
root.put_user_policy(UserName="alice", PolicyName="same-team", PolicyDocument=doc(
    allow("iam:ListUserTags", f"{A}:user/*", StringEquals={"aws:ResourceTag/team": "${aws:PrincipalTag/team}"})))
alice.list_user_tags(UserName="alice")
denied(alice.list_user_tags, UserName="bob")
root.tag_user(UserName="bob", Tags=[{"Key": "team", "Value": "red"}])
assert alice.list_user_tags(UserName="bob")["Tags"] == [{"Key": "team", "Value": "red"}]

# iam:PermissionsBoundary: alice may create users only with the boundary.
root.put_user_policy(UserName="alice", PolicyName="delegated-admin", PolicyDocument=doc(
    allow("iam:CreateUser", f"{A}:user/*", StringEquals={"iam:PermissionsBoundary": boundary}),
    allow(["iam:AttachUserPolicy", "iam:DetachUserPolicy"], f"{A}:user/*",
          StringEquals={"iam:PermissionsBoundary": boundary}, ArnEquals={"iam:PolicyARN": read})))
denied(alice.create_user, UserName="free")
alice.create_user(UserName="capped", PermissionsBoundary=boundary)
assert root.get_user(UserName="capped")["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
# iam:PolicyARN and the target's boundary on attachment.
alice.attach_user_policy(UserName="capped", PolicyArn=read)
denied(alice.attach_user_policy, UserName="capped", PolicyArn=self_service)
denied(alice.attach_user_policy, UserName="bob", PolicyArn=read)  # bob has no boundary
alice.detach_user_policy(UserName="capped", PolicyArn=read)

# Denials are recorded with their explanation; a role session obeys the role's policies.
trust = doc({"Effect": "Allow", "Principal": {"AWS": f"{A}:user/alice"}, "Action": "sts:AssumeRole"})
root.create_role(RoleName="auditor", AssumeRolePolicyDocument=trust)
root.attach_role_policy(RoleName="auditor", PolicyArn=read)
root.put_user_policy(UserName="alice", PolicyName="assume", PolicyDocument=doc(allow("sts:AssumeRole", f"{A}:role/auditor")))
sts = client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
creds = sts.assume_role(RoleArn=f"{A}:role/auditor", RoleSessionName="audit")["Credentials"]
session = client("iam", creds=creds)
session.list_users()
denied(session.create_user, UserName="x")
root.detach_role_policy(RoleName="auditor", PolicyArn=read)
denied(session.list_users)
print("iam_enforcement: ok")
