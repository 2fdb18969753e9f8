"""Second half of the restart test: everything iam_restart_setup.py created is back, and
the keys behave as before (the inactive one still refused)."""
import json
import os

from edgeward_env import CUSTOMER, DATA_DIR, client, error_code

iam = client("iam", CUSTOMER)
with open(os.path.join(DATA_DIR, "iam-restart-keys.json")) as f:
    keys = json.load(f)
pol = f"arn:aws:iam::{CUSTOMER}:policy/k/kept"

p = iam.get_policy(PolicyArn=pol)["Policy"]
assert p["DefaultVersionId"] == "v2" and p["AttachmentCount"] == 3 and p["PermissionsBoundaryUsageCount"] == 2, p
assert p["Tags"] == [{"Key": "a", "Value": "b"}]
assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=pol)["Versions"]] == ["v1", "v2"]
u = iam.get_user(UserName="keeper")["User"]
assert u["Path"] == "/p/" and u["Tags"] == [{"Key": "team", "Value": "red"}] and u["PermissionsBoundary"]["PermissionsBoundaryArn"] == pol, u
assert iam.list_user_policies(UserName="keeper")["PolicyNames"] == ["inline"]
assert iam.list_attached_user_policies(UserName="keeper")["AttachedPolicies"][0]["PolicyArn"] == pol
assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="keeper")["Groups"]] == ["crew"]
assert [x["UserName"] for x in iam.get_group(GroupName="crew")["Users"]] == ["keeper"]
assert iam.list_group_policies(GroupName="crew")["PolicyNames"] == ["ginline"]
assert len(iam.list_attached_group_policies(GroupName="crew")["AttachedPolicies"]) == 1
r = iam.get_role(RoleName="kept-role")["Role"]
assert r["Description"] == "d" and r["Tags"] == [{"Key": "x", "Value": "y"}] and r["PermissionsBoundary"]["PermissionsBoundaryArn"] == pol, r
assert iam.list_role_policies(RoleName="kept-role")["PolicyNames"] == ["rinline"]
assert len(iam.list_attached_role_policies(RoleName="kept-role")["AttachedPolicies"]) == 1
meta = {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName="keeper")["AccessKeyMetadata"]}
assert meta == {keys["active"]["AccessKeyId"]: "Active", keys["inactive"]["AccessKeyId"]: "Inactive"}, meta
last = iam.get_access_key_last_used(AccessKeyId=keys["active"]["AccessKeyId"])["AccessKeyLastUsed"]
assert last["ServiceName"] == "iam" and "LastUsedDate" in last, last
keeper = client("iam", key=keys["active"]["AccessKeyId"], secret=keys["active"]["SecretAccessKey"])
assert {x["UserName"] for x in keeper.list_users()["Users"]} == {"keeper"}
off = client("iam", key=keys["inactive"]["AccessKeyId"], secret=keys["inactive"]["SecretAccessKey"])
assert error_code(off.list_users) == "InvalidClientTokenId"
print("iam_restart_check: ok")
