"""IAM with boto3, as an account's root: every operation family edgeward implements, with
AWS's response shapes, error codes, pagination and deletion conflicts."""
import json
import urllib.parse
import urllib.request

import botocore.auth
import botocore.awsrequest
import botocore.credentials

from edgeward_env import CUSTOMER, ENDPOINT, REGION, VENDOR, client, error_code, root_creds

iam = client("iam", CUSTOMER)


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ALLOW_ALL_READ = doc({"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"})
TRUST = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CUSTOMER}:root"}, "Action": "sts:AssumeRole"})


def collect(method, key, **kwargs):
    """Follows Marker/IsTruncated by hand; returns every item and the number of pages."""
    items, pages, marker = [], 0, None
    while True:
        args = dict(kwargs)
        if marker:
            args["Marker"] = marker
        out = method(**args)
        pages += 1
        items += out[key]
        if not out["IsTruncated"]:
            assert "Marker" not in out, out
            return items, pages
        marker = out["Marker"]


def raw_iam(action, **params):
    """A signed awsQuery request for any action name; returns (status, body)."""
    key, secret = root_creds(CUSTOMER)
    body = urllib.parse.urlencode({"Action": action, "Version": "2010-05-08", **params})
    req = botocore.awsrequest.AWSRequest(method="POST", url=ENDPOINT + "/", data=body,
                                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), "iam", REGION).add_auth(req)
    prepared = req.prepare()
    r = urllib.request.Request(prepared.url, data=body.encode(), headers=dict(prepared.headers), method="POST")
    try:
        with urllib.request.urlopen(r) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


# ---------------------------------------------------------------- users
u = iam.create_user(UserName="ana", Path="/eng/", Tags=[{"Key": "team", "Value": "red"}])["User"]
assert u["Arn"] == f"arn:aws:iam::{CUSTOMER}:user/eng/ana" and u["UserId"].startswith("AIDA") and u["Path"] == "/eng/", u
assert iam.get_user(UserName="ana")["User"]["Tags"] == [{"Key": "team", "Value": "red"}]
assert iam.get_user()["User"]["Arn"] == f"arn:aws:iam::{CUSTOMER}:root"
for n in ["bo", "cy", "di", "ed"]:
    iam.create_user(UserName=n)
assert error_code(iam.create_user, UserName="ANA") == "EntityAlreadyExists"  # names are case-insensitive
assert error_code(iam.create_user, UserName="bad name!") == "ValidationError"
assert error_code(iam.get_user, UserName="nobody") == "NoSuchEntity"

users, pages = collect(iam.list_users, "Users", MaxItems=2)
assert [x["UserName"] for x in users] == ["ana", "bo", "cy", "di", "ed"] and pages == 3, (users, pages)
assert "Tags" not in users[0] and "PermissionsBoundary" not in users[0]
assert [x["UserName"] for x in iam.list_users(PathPrefix="/eng/")["Users"]] == ["ana"]
paged = [x["UserName"] for page in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 1}) for x in page["Users"]]
assert paged == ["ana", "bo", "cy", "di", "ed"], paged

iam.update_user(UserName="ed", NewUserName="eve", NewPath="/ops/")
assert error_code(iam.get_user, UserName="ed") == "NoSuchEntity"
assert iam.get_user(UserName="eve")["User"]["Arn"] == f"arn:aws:iam::{CUSTOMER}:user/ops/eve"
assert error_code(iam.update_user, UserName="eve", NewUserName="ana") == "EntityAlreadyExists"
assert error_code(iam.update_user, UserName="nobody", NewUserName="x") == "NoSuchEntity"

iam.tag_user(UserName="ana", Tags=[{"Key": "TEAM", "Value": "blue"}, {"Key": "cost", "Value": "1"}])
tags = iam.list_user_tags(UserName="ana")
assert sorted((t["Key"], t["Value"]) for t in tags["Tags"]) == [("TEAM", "blue"), ("cost", "1")] and not tags["IsTruncated"], tags
iam.untag_user(UserName="ana", TagKeys=["team"])
assert iam.list_user_tags(UserName="ana")["Tags"] == [{"Key": "cost", "Value": "1"}]
assert error_code(iam.tag_user, UserName="ana", Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]) == "InvalidInput"
assert error_code(iam.tag_user, UserName="ana", Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)]) == "LimitExceeded"
assert error_code(iam.list_user_tags, UserName="nobody") == "NoSuchEntity"

# ---------------------------------------------------------------- managed policies
pol = iam.create_policy(PolicyName="read", Path="/app/", PolicyDocument=ALLOW_ALL_READ, Description="reads",
                        Tags=[{"Key": "owner", "Value": "sec"}])["Policy"]
PARN = f"arn:aws:iam::{CUSTOMER}:policy/app/read"
assert pol["Arn"] == PARN and pol["PolicyId"].startswith("ANPA") and pol["DefaultVersionId"] == "v1", pol
assert pol["AttachmentCount"] == 0 and pol["IsAttachable"] is True
assert error_code(iam.create_policy, PolicyName="read", PolicyDocument=ALLOW_ALL_READ) == "EntityAlreadyExists"
assert error_code(iam.create_policy, PolicyName="bad", PolicyDocument='{"Statement": 1}') == "MalformedPolicyDocument"
big = doc(*[{"Effect": "Allow", "Action": f"iam:GetUser{i}", "Resource": f"arn:aws:iam::{CUSTOMER}:user/{'x' * 40}{i}"} for i in range(80)])
assert error_code(iam.create_policy, PolicyName="big", PolicyDocument=big) == "LimitExceeded"
got = iam.get_policy(PolicyArn=PARN)["Policy"]
assert got["Description"] == "reads" and got["Tags"] == [{"Key": "owner", "Value": "sec"}], got
assert error_code(iam.get_policy, PolicyArn=f"arn:aws:iam::{CUSTOMER}:policy/nope") == "NoSuchEntity"
assert error_code(iam.get_policy, PolicyArn="not-an-arn-at-all-really") == "InvalidInput"
for n in ["p2", "p3", "p4"]:
    iam.create_policy(PolicyName=n, PolicyDocument=ALLOW_ALL_READ)
local, pages = collect(iam.list_policies, "Policies", Scope="Local", MaxItems=3)
assert [x["PolicyName"] for x in local] == ["p2", "p3", "p4", "read"] and pages == 2, local
assert iam.list_policies(Scope="AWS")["Policies"] == []
assert [x["PolicyName"] for x in iam.list_policies(PathPrefix="/app/")["Policies"]] == ["read"]
assert error_code(iam.list_policies, Scope="Nope") == "ValidationError"

# versions: at most five, the default one cannot be deleted
for i in range(2, 6):
    v = iam.create_policy_version(PolicyArn=PARN, PolicyDocument=ALLOW_ALL_READ, SetAsDefault=(i == 3))["PolicyVersion"]
    assert v["VersionId"] == f"v{i}" and v["IsDefaultVersion"] == (i == 3), v
assert error_code(iam.create_policy_version, PolicyArn=PARN, PolicyDocument=ALLOW_ALL_READ) == "LimitExceeded"
versions = iam.list_policy_versions(PolicyArn=PARN)["Versions"]
assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [("v1", False), ("v2", False), ("v3", True), ("v4", False), ("v5", False)]
assert iam.get_policy(PolicyArn=PARN)["Policy"]["DefaultVersionId"] == "v3"
pv = iam.get_policy_version(PolicyArn=PARN, VersionId="v3")["PolicyVersion"]
assert pv["Document"] == json.loads(ALLOW_ALL_READ) and pv["IsDefaultVersion"], pv  # boto3 decodes the URL-encoded JSON
assert error_code(iam.get_policy_version, PolicyArn=PARN, VersionId="v9") == "NoSuchEntity"
assert error_code(iam.delete_policy_version, PolicyArn=PARN, VersionId="v3") == "DeleteConflict"
iam.set_default_policy_version(PolicyArn=PARN, VersionId="v1")
for v in ["v2", "v3", "v4"]:
    iam.delete_policy_version(PolicyArn=PARN, VersionId=v)
assert error_code(iam.delete_policy, PolicyArn=PARN) == "DeleteConflict"  # v5 is still there
iam.delete_policy_version(PolicyArn=PARN, VersionId="v5")
assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=PARN)["Versions"]] == ["v1"]
iam.tag_policy(PolicyArn=PARN, Tags=[{"Key": "stage", "Value": "prod"}])
iam.untag_policy(PolicyArn=PARN, TagKeys=["owner"])
assert iam.list_policy_tags(PolicyArn=PARN)["Tags"] == [{"Key": "stage", "Value": "prod"}]

# ---------------------------------------------------------------- groups
g = iam.create_group(GroupName="devs", Path="/eng/")["Group"]
assert g["Arn"] == f"arn:aws:iam::{CUSTOMER}:group/eng/devs" and g["GroupId"].startswith("AGPA"), g
assert error_code(iam.create_group, GroupName="DEVS") == "EntityAlreadyExists"
iam.create_group(GroupName="ops")
for n in ["ana", "bo", "cy"]:
    iam.add_user_to_group(GroupName="devs", UserName=n)
iam.add_user_to_group(GroupName="devs", UserName="ana")  # idempotent
iam.add_user_to_group(GroupName="ops", UserName="ana")
assert error_code(iam.add_user_to_group, GroupName="devs", UserName="nobody") == "NoSuchEntity"
assert error_code(iam.add_user_to_group, GroupName="nogroup", UserName="ana") == "NoSuchEntity"
gg = iam.get_group(GroupName="devs", MaxItems=2)
assert gg["Group"]["GroupName"] == "devs" and [x["UserName"] for x in gg["Users"]] == ["ana", "bo"] and gg["IsTruncated"], gg
rest = iam.get_group(GroupName="devs", Marker=gg["Marker"])
assert [x["UserName"] for x in rest["Users"]] == ["cy"] and not rest["IsTruncated"]
assert [x["GroupName"] for x in iam.list_groups_for_user(UserName="ana")["Groups"]] == ["devs", "ops"]
assert [x["GroupName"] for x in iam.list_groups(PathPrefix="/eng/")["Groups"]] == ["devs"]
iam.remove_user_from_group(GroupName="ops", UserName="ana")
assert error_code(iam.remove_user_from_group, GroupName="ops", UserName="ana") == "NoSuchEntity"
assert error_code(iam.delete_group, GroupName="devs") == "DeleteConflict"  # it has users
iam.update_group(GroupName="devs", NewGroupName="developers")
assert [x["GroupName"] for x in iam.list_groups_for_user(UserName="bo")["Groups"]] == ["developers"]
assert len(iam.get_group(GroupName="developers")["Users"]) == 3

# ---------------------------------------------------------------- inline policies, all three kinds
r = iam.create_role(RoleName="app", AssumeRolePolicyDocument=TRUST, Description="the app", MaxSessionDuration=7200)["Role"]
for kind, name_arg, name in [("user", "UserName", "ana"), ("group", "GroupName", "developers"), ("role", "RoleName", "app")]:
    put = getattr(iam, f"put_{kind}_policy")
    get = getattr(iam, f"get_{kind}_policy")
    lst = getattr(iam, f"list_{kind}_policies")
    dele = getattr(iam, f"delete_{kind}_policy")
    for pn in ["b-inline", "a-inline", "c-inline"]:
        put(**{name_arg: name}, PolicyName=pn, PolicyDocument=ALLOW_ALL_READ)
    out = get(**{name_arg: name}, PolicyName="a-inline")
    assert out[name_arg] == name and out["PolicyName"] == "a-inline" and out["PolicyDocument"] == json.loads(ALLOW_ALL_READ), out
    first = lst(**{name_arg: name}, MaxItems=2)
    assert first["PolicyNames"] == ["a-inline", "b-inline"] and first["IsTruncated"], first
    assert lst(**{name_arg: name}, Marker=first["Marker"])["PolicyNames"] == ["c-inline"]
    assert error_code(get, **{name_arg: name}, PolicyName="zz") == "NoSuchEntity"
    assert error_code(dele, **{name_arg: name}, PolicyName="zz") == "NoSuchEntity"
    assert error_code(put, **{name_arg: name}, PolicyName="bad", PolicyDocument="{") == "MalformedPolicyDocument"
    assert error_code(put, **{name_arg: "nobody"}, PolicyName="x", PolicyDocument=ALLOW_ALL_READ) == "NoSuchEntity"
    dele(**{name_arg: name}, PolicyName="c-inline")
    assert lst(**{name_arg: name})["PolicyNames"] == ["a-inline", "b-inline"]

# aggregate inline size quotas: user 2,048 < group 5,120 < role 10,240
mid = doc(*[{"Effect": "Allow", "Action": "iam:GetUser", "Resource": f"arn:aws:iam::{CUSTOMER}:user/{'y' * 60}{i}"} for i in range(25)])
assert error_code(iam.put_user_policy, UserName="bo", PolicyName="mid", PolicyDocument=mid) == "LimitExceeded"
iam.put_group_policy(GroupName="ops", PolicyName="mid", PolicyDocument=mid)
iam.put_role_policy(RoleName="app", PolicyName="mid", PolicyDocument=mid)
iam.delete_role_policy(RoleName="app", PolicyName="mid")
iam.delete_group_policy(GroupName="ops", PolicyName="mid")

# ---------------------------------------------------------------- roles
assert r["RoleId"].startswith("AROA") and r["MaxSessionDuration"] == 7200
iam.create_role(RoleName="batch", Path="/svc/", AssumeRolePolicyDocument=TRUST)
roles, pages = collect(iam.list_roles, "Roles", MaxItems=1)
assert [x["RoleName"] for x in roles] == ["app", "batch"] and pages == 2
assert roles[0]["AssumeRolePolicyDocument"] == json.loads(TRUST)
assert [x["RoleName"] for x in iam.list_roles(PathPrefix="/svc/")["Roles"]] == ["batch"]
iam.update_role(RoleName="app", Description="new", MaxSessionDuration=3600)
got = iam.get_role(RoleName="app")["Role"]
assert got["Description"] == "new" and got["MaxSessionDuration"] == 3600, got
assert iam.update_role_description(RoleName="app", Description="newer")["Role"]["Description"] == "newer"
assert error_code(iam.update_role, RoleName="app", MaxSessionDuration=50000) == "ValidationError"
new_trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"}, "Action": "sts:AssumeRole"})
iam.update_assume_role_policy(RoleName="app", PolicyDocument=new_trust)
assert iam.get_role(RoleName="app")["Role"]["AssumeRolePolicyDocument"] == json.loads(new_trust)
assert error_code(iam.update_assume_role_policy, RoleName="app", PolicyDocument=ALLOW_ALL_READ) == "MalformedPolicyDocument"
iam.tag_role(RoleName="app", Tags=[{"Key": "env", "Value": "dev"}])
assert iam.list_role_tags(RoleName="app")["Tags"] == [{"Key": "env", "Value": "dev"}]
iam.untag_role(RoleName="app", TagKeys=["env"])
assert iam.list_role_tags(RoleName="app")["Tags"] == []
assert error_code(iam.get_role, RoleName="nope") == "NoSuchEntity"

# ---------------------------------------------------------------- boundaries
P2 = f"arn:aws:iam::{CUSTOMER}:policy/p2"
assert error_code(iam.put_user_permissions_boundary, UserName="bo", PermissionsBoundary=f"arn:aws:iam::{CUSTOMER}:policy/none") == "NoSuchEntity"
assert error_code(iam.put_user_permissions_boundary, UserName="bo", PermissionsBoundary="arn:aws:s3:::bucket/thing") == "InvalidInput"
iam.put_user_permissions_boundary(UserName="bo", PermissionsBoundary=P2)
assert iam.get_user(UserName="bo")["User"]["PermissionsBoundary"] == {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": P2}
iam.put_role_permissions_boundary(RoleName="batch", PermissionsBoundary=P2)
assert iam.get_role(RoleName="batch")["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == P2
assert iam.get_policy(PolicyArn=P2)["Policy"]["PermissionsBoundaryUsageCount"] == 2
assert error_code(iam.delete_policy, PolicyArn=P2) == "DeleteConflict"  # in use as a boundary
iam.delete_role_permissions_boundary(RoleName="batch")
assert "PermissionsBoundary" not in iam.get_role(RoleName="batch")["Role"]
withb = iam.create_role(RoleName="bounded", AssumeRolePolicyDocument=TRUST, PermissionsBoundary=P2)["Role"]
assert withb["PermissionsBoundary"]["PermissionsBoundaryArn"] == P2

# ---------------------------------------------------------------- attachments
for kind, name_arg, name in [("user", "UserName", "ana"), ("group", "GroupName", "developers"), ("role", "RoleName", "app")]:
    getattr(iam, f"attach_{kind}_policy")(**{name_arg: name}, PolicyArn=PARN)
    getattr(iam, f"attach_{kind}_policy")(**{name_arg: name}, PolicyArn=PARN)  # idempotent
    getattr(iam, f"attach_{kind}_policy")(**{name_arg: name}, PolicyArn=P2)
    att = getattr(iam, f"list_attached_{kind}_policies")(**{name_arg: name})["AttachedPolicies"]
    assert sorted(a["PolicyName"] for a in att) == ["p2", "read"], att
    att = getattr(iam, f"list_attached_{kind}_policies")(**{name_arg: name}, PathPrefix="/app/")["AttachedPolicies"]
    assert att == [{"PolicyName": "read", "PolicyArn": PARN}], att
    assert error_code(getattr(iam, f"attach_{kind}_policy"), **{name_arg: name}, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess") == "NoSuchEntity"
    assert error_code(getattr(iam, f"attach_{kind}_policy"), **{name_arg: name}, PolicyArn=f"arn:aws:iam::{CUSTOMER}:policy/none") == "NoSuchEntity"
    assert error_code(getattr(iam, f"detach_{kind}_policy"), **{name_arg: name}, PolicyArn=f"arn:aws:iam::{CUSTOMER}:policy/p3") == "NoSuchEntity"
assert iam.get_policy(PolicyArn=PARN)["Policy"]["AttachmentCount"] == 3
ents = iam.list_entities_for_policy(PolicyArn=PARN)
assert [x["UserName"] for x in ents["PolicyUsers"]] == ["ana"] and [x["GroupName"] for x in ents["PolicyGroups"]] == ["developers"]
assert [x["RoleName"] for x in ents["PolicyRoles"]] == ["app"] and ents["PolicyUsers"][0]["UserId"].startswith("AIDA")
only_roles = iam.list_entities_for_policy(PolicyArn=PARN, EntityFilter="Role")
assert only_roles["PolicyUsers"] == [] and len(only_roles["PolicyRoles"]) == 1
bounds = iam.list_entities_for_policy(PolicyArn=P2, PolicyUsageFilter="PermissionsBoundary")
assert [x["UserName"] for x in bounds["PolicyUsers"]] == ["bo"] and [x["RoleName"] for x in bounds["PolicyRoles"]] == ["bounded"], bounds
assert [x["PolicyName"] for x in iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]] == ["p2", "read"]
assert [x["PolicyName"] for x in iam.list_policies(OnlyAttached=True, PolicyUsageFilter="PermissionsBoundary")["Policies"]] == ["p2"]
assert error_code(iam.delete_policy, PolicyArn=PARN) == "DeleteConflict"

# ---------------------------------------------------------------- deletion conflicts
assert error_code(iam.delete_user, UserName="ana") == "DeleteConflict"
assert error_code(iam.delete_role, RoleName="app") == "DeleteConflict"
iam.detach_role_policy(RoleName="app", PolicyArn=PARN)
iam.detach_role_policy(RoleName="app", PolicyArn=P2)
assert error_code(iam.delete_role, RoleName="app") == "DeleteConflict"  # inline policies remain
for pn in iam.list_role_policies(RoleName="app")["PolicyNames"]:
    iam.delete_role_policy(RoleName="app", PolicyName=pn)
iam.delete_role(RoleName="app")
assert error_code(iam.get_role, RoleName="app") == "NoSuchEntity"
assert error_code(iam.delete_role, RoleName="app") == "NoSuchEntity"

# ---------------------------------------------------------------- access keys
k1 = iam.create_access_key(UserName="cy")["AccessKey"]
k2 = iam.create_access_key(UserName="cy")["AccessKey"]
assert k1["AccessKeyId"].startswith("AKIA") and k1["Status"] == "Active" and len(k1["SecretAccessKey"]) == 40
assert error_code(iam.create_access_key, UserName="cy") == "LimitExceeded"
listed = iam.list_access_keys(UserName="cy")["AccessKeyMetadata"]
assert sorted(x["AccessKeyId"] for x in listed) == sorted([k1["AccessKeyId"], k2["AccessKeyId"]]) and all(x["UserName"] == "cy" for x in listed)
assert "SecretAccessKey" not in listed[0]
lu = iam.get_access_key_last_used(AccessKeyId=k1["AccessKeyId"])
assert lu["UserName"] == "cy" and lu["AccessKeyLastUsed"]["ServiceName"] == "N/A" and "LastUsedDate" not in lu["AccessKeyLastUsed"], lu
cy_sts = client("sts", key=k1["AccessKeyId"], secret=k1["SecretAccessKey"])
assert cy_sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{CUSTOMER}:user/cy"
lu = iam.get_access_key_last_used(AccessKeyId=k1["AccessKeyId"])["AccessKeyLastUsed"]
assert lu["ServiceName"] == "sts" and lu["Region"] == REGION and "LastUsedDate" in lu, lu
iam.update_access_key(UserName="cy", AccessKeyId=k1["AccessKeyId"], Status="Inactive")
assert error_code(cy_sts.get_caller_identity) == "InvalidClientTokenId"  # inactive keys stop authenticating
assert [x["Status"] for x in iam.list_access_keys(UserName="cy")["AccessKeyMetadata"] if x["AccessKeyId"] == k1["AccessKeyId"]] == ["Inactive"]
iam.update_access_key(UserName="cy", AccessKeyId=k1["AccessKeyId"], Status="Active")
assert cy_sts.get_caller_identity()["Account"] == CUSTOMER
assert error_code(iam.update_access_key, UserName="cy", AccessKeyId=k1["AccessKeyId"], Status="Sleeping") == "ValidationError"
assert error_code(iam.update_access_key, UserName="bo", AccessKeyId=k1["AccessKeyId"], Status="Inactive") == "NoSuchEntity"
assert error_code(iam.delete_user, UserName="cy") == "DeleteConflict"  # keys, then groups
iam.delete_access_key(UserName="cy", AccessKeyId=k1["AccessKeyId"])
iam.delete_access_key(UserName="cy", AccessKeyId=k2["AccessKeyId"])
assert error_code(cy_sts.get_caller_identity) == "InvalidClientTokenId"
assert error_code(iam.delete_access_key, UserName="cy", AccessKeyId=k1["AccessKeyId"]) == "NoSuchEntity"
assert error_code(iam.delete_user, UserName="cy") == "DeleteConflict"  # still in a group
iam.remove_user_from_group(GroupName="developers", UserName="cy")
iam.delete_user(UserName="cy")
assert error_code(iam.get_user, UserName="cy") == "NoSuchEntity"
# The root's own keys (no UserName).
assert any(x["AccessKeyId"] == root_creds(CUSTOMER)[0] for x in iam.list_access_keys()["AccessKeyMetadata"])

# ---------------------------------------------------------------- the account
details = iam.get_account_authorization_details()
ana = [x for x in details["UserDetailList"] if x["UserName"] == "ana"][0]
assert ana["GroupList"] == ["developers"] and {p["PolicyName"] for p in ana["UserPolicyList"]} == {"a-inline", "b-inline"}, ana
assert ana["UserPolicyList"][0]["PolicyDocument"] == json.loads(ALLOW_ALL_READ)
assert sorted(a["PolicyName"] for a in ana["AttachedManagedPolicies"]) == ["p2", "read"]
bounded = [x for x in details["RoleDetailList"] if x["RoleName"] == "bounded"][0]
assert bounded["PermissionsBoundary"]["PermissionsBoundaryArn"] == P2 and bounded["AssumeRolePolicyDocument"] == json.loads(TRUST)
rd = [x for x in details["Policies"] if x["Arn"] == PARN][0]
assert rd["AttachmentCount"] == 2 and rd["PolicyVersionList"][0]["Document"] == json.loads(ALLOW_ALL_READ), rd
only = iam.get_account_authorization_details(Filter=["Group"])
assert only["UserDetailList"] == [] and only["RoleDetailList"] == [] and only["Policies"] == []
assert sorted(x["GroupName"] for x in only["GroupDetailList"]) == ["developers", "ops"]
pages = list(iam.get_paginator("get_account_authorization_details").paginate(PaginationConfig={"PageSize": 3}))
assert len(pages) > 3 and sum(len(p["UserDetailList"]) for p in pages) == len(details["UserDetailList"])
summary = iam.get_account_summary()["SummaryMap"]
assert summary["Users"] == 4 and summary["Groups"] == 2 and summary["Policies"] == 4 and summary["UserPolicySizeQuota"] == 2048, summary

# ---------------------------------------------------------------- unknown and unimplemented actions
status, body = raw_iam("FlyToTheMoon")
assert status == 400 and "<Code>InvalidAction</Code>" in body, (status, body)
status, body = raw_iam("CreateLoginProfile", UserName="ana", Password="x")
assert status == 501 and "<Code>NotImplemented</Code>" in body and "CreateLoginProfile" in body, (status, body)
assert error_code(iam.list_instance_profiles) == "NotImplemented"
print("iam_lifecycle: ok")
