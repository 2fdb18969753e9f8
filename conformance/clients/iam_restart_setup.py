"""First half of the restart test: creates one of everything IAM keeps. The Rust test then
kills the server (as kill -9 would), restarts it on the same data directory, and runs
iam_restart_check.py."""
import json
import os

from edgeward_env import CUSTOMER, DATA_DIR, client

iam = client("iam", CUSTOMER)
DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:List*", "Resource": "*"}]})
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CUSTOMER}:root"}, "Action": "sts:AssumeRole"}]})

pol = iam.create_policy(PolicyName="kept", Path="/k/", PolicyDocument=DOC, Tags=[{"Key": "a", "Value": "b"}])["Policy"]["Arn"]
iam.create_policy_version(PolicyArn=pol, PolicyDocument=DOC, SetAsDefault=True)
iam.create_user(UserName="keeper", Path="/p/", Tags=[{"Key": "team", "Value": "red"}], PermissionsBoundary=pol)
iam.put_user_policy(UserName="keeper", PolicyName="inline", PolicyDocument=DOC)
iam.attach_user_policy(UserName="keeper", PolicyArn=pol)
iam.create_group(GroupName="crew")
iam.add_user_to_group(GroupName="crew", UserName="keeper")
iam.put_group_policy(GroupName="crew", PolicyName="ginline", PolicyDocument=DOC)
iam.attach_group_policy(GroupName="crew", PolicyArn=pol)
iam.create_role(RoleName="kept-role", AssumeRolePolicyDocument=TRUST, Description="d", Tags=[{"Key": "x", "Value": "y"}])
iam.put_role_policy(RoleName="kept-role", PolicyName="rinline", PolicyDocument=DOC)
iam.attach_role_policy(RoleName="kept-role", PolicyArn=pol)
iam.put_role_permissions_boundary(RoleName="kept-role", PermissionsBoundary=pol)
active = iam.create_access_key(UserName="keeper")["AccessKey"]
inactive = iam.create_access_key(UserName="keeper")["AccessKey"]
iam.update_access_key(UserName="keeper", AccessKeyId=inactive["AccessKeyId"], Status="Inactive")
# The keeper uses its active key once, so its last use is on record.
assert client("iam", key=active["AccessKeyId"], secret=active["SecretAccessKey"]).list_users()["Users"]
with open(os.path.join(DATA_DIR, "iam-restart-keys.json"), "w") as f:
    json.dump({name: {k: v for k, v in key.items() if k != "CreateDate"} for name, key in [("active", active), ("inactive", inactive)]}, f)
print("iam_restart_setup: ok")
