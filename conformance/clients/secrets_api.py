"""Secrets Manager's API semantics through boto3 (one account, its root): versions and staging
labels, ClientRequestToken idempotence, identifiers (name, partial and full ARN), deletion with
a recovery window, restore, listing (filters, pages, sort, planned deletion), tags, random
passwords, resource policies, rotation refused with its reason, and AWS's error codes."""
import json
import string

from edgeward_env import CUSTOMER, client, error_code

sm = client("secretsmanager", CUSTOMER)
T1, T2 = "a" * 32, "b" * 40

# Create: string, idempotent retry, conflicting retry, existing name.
s = sm.create_secret(Name="api/db", SecretString="v1", Description="db creds", ClientRequestToken=T1, Tags=[{"Key": "env", "Value": "prod"}])
assert s["VersionId"] == T1 and s["ARN"].rsplit("-", 1)[0].endswith(":secret:api/db")
assert sm.create_secret(Name="api/db", SecretString="v1", ClientRequestToken=T1)["ARN"] == s["ARN"]
assert error_code(sm.create_secret, Name="api/db", SecretString="other", ClientRequestToken=T1) == "ResourceExistsException"
assert error_code(sm.create_secret, Name="api/db", SecretString="v1") == "ResourceExistsException"
assert error_code(sm.create_secret, Name="bad name!", SecretString="x") == "InvalidParameterException"
assert error_code(sm.create_secret, Name="both", SecretString="x", SecretBinary=b"y") == "InvalidParameterException"

# Identifiers: name, full ARN, partial ARN.
partial = s["ARN"].rsplit("-", 1)[0]
for ident in ("api/db", s["ARN"], partial):
    assert sm.get_secret_value(SecretId=ident)["SecretString"] == "v1"
assert error_code(sm.get_secret_value, SecretId="api/missing") == "ResourceNotFoundException"

# Versions and labels.
p = sm.put_secret_value(SecretId="api/db", SecretBinary=b"\x01\x02", ClientRequestToken=T2)
assert p["VersionStages"] == ["AWSCURRENT"]
assert sm.put_secret_value(SecretId="api/db", SecretBinary=b"\x01\x02", ClientRequestToken=T2)["VersionId"] == T2
assert error_code(sm.put_secret_value, SecretId="api/db", SecretString="changed", ClientRequestToken=T2) == "ResourceExistsException"
assert error_code(sm.put_secret_value, SecretId="api/db") == "InvalidRequestException"
assert sm.get_secret_value(SecretId="api/db")["SecretBinary"] == b"\x01\x02"
assert sm.get_secret_value(SecretId="api/db", VersionStage="AWSPREVIOUS")["SecretString"] == "v1"
assert sm.get_secret_value(SecretId="api/db", VersionId=T1, VersionStage="AWSPREVIOUS")["VersionId"] == T1
assert error_code(sm.get_secret_value, SecretId="api/db", VersionId=T1, VersionStage="AWSCURRENT") == "InvalidRequestException"
assert error_code(sm.get_secret_value, SecretId="api/db", VersionStage="AWSPENDING") == "ResourceNotFoundException"
pending = sm.put_secret_value(SecretId="api/db", SecretString="v3", VersionStages=["AWSPENDING"])["VersionId"]
assert sm.get_secret_value(SecretId="api/db")["VersionId"] == T2
assert error_code(sm.update_secret_version_stage, SecretId="api/db", VersionStage="AWSCURRENT", MoveToVersionId=pending) == "InvalidParameterException"
sm.update_secret_version_stage(SecretId="api/db", VersionStage="AWSCURRENT", MoveToVersionId=pending, RemoveFromVersionId=T2)
stages = sm.describe_secret(SecretId="api/db")["VersionIdsToStages"]
assert sorted(stages[pending]) == ["AWSCURRENT", "AWSPENDING"] and stages[T2] == ["AWSPREVIOUS"] and T1 not in stages
versions = sm.list_secret_version_ids(SecretId="api/db")["Versions"]
assert {v["VersionId"] for v in versions} == {pending, T2}
assert {v["VersionId"] for v in sm.list_secret_version_ids(SecretId="api/db", IncludeDeprecated=True)["Versions"]} == {pending, T2, T1}
u = sm.update_secret(SecretId="api/db", Description="new", SecretString="v4")
assert sm.get_secret_value(SecretId="api/db")["SecretString"] == "v4" and u["VersionId"]
d = sm.describe_secret(SecretId="api/db")
assert d["Description"] == "new" and d["Tags"] == [{"Key": "env", "Value": "prod"}] and "LastAccessedDate" in d and "KmsKeyId" not in d

# Tags.
sm.tag_resource(SecretId="api/db", Tags=[{"Key": "team", "Value": "data"}, {"Key": "env", "Value": "dev"}])
sm.untag_resource(SecretId="api/db", TagKeys=["team"])
assert sm.describe_secret(SecretId="api/db")["Tags"] == [{"Key": "env", "Value": "dev"}]

# Listing: filters, pages, sort, planned deletion.
for n in ("api/list/Alpha", "api/list/beta", "api/list/gamma"):
    sm.create_secret(Name=n, SecretString="x", Description=f"{n.split('/')[-1]} secret")
names = [x["Name"] for x in sm.list_secrets(Filters=[{"Key": "name", "Values": ["api/list/"]}])["SecretList"]]
assert names == ["api/list/Alpha", "api/list/beta", "api/list/gamma"], names
assert [x["Name"] for x in sm.list_secrets(Filters=[{"Key": "name", "Values": ["api/list/"]}], SortOrder="desc")["SecretList"]][0] == "api/list/gamma"
assert [x["Name"] for x in sm.list_secrets(Filters=[{"Key": "description", "Values": ["beta"]}])["SecretList"]] == ["api/list/beta"]
assert [x["Name"] for x in sm.list_secrets(Filters=[{"Key": "tag-key", "Values": ["env"]}])["SecretList"]] == ["api/db"]
page = sm.list_secrets(MaxResults=2)
assert len(page["SecretList"]) == 2 and page["NextToken"]
rest = sm.list_secrets(MaxResults=2, NextToken=page["NextToken"])
assert len(rest["SecretList"]) == 2 and "NextToken" not in rest
assert error_code(sm.list_secrets, NextToken="bogus") == "InvalidNextTokenException"
assert error_code(sm.list_secrets, Filters=[{"Key": "name"}]) == "InvalidParameterException"

# Deletion with a recovery window, restore, forced deletion.
assert error_code(sm.delete_secret, SecretId="api/list/beta", RecoveryWindowInDays=6) == "InvalidParameterException"
assert error_code(sm.delete_secret, SecretId="api/list/beta", RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True) == "InvalidParameterException"
deleted = sm.delete_secret(SecretId="api/list/beta", RecoveryWindowInDays=7)
assert (deleted["DeletionDate"] - sm.describe_secret(SecretId="api/list/beta")["DeletedDate"]).days == 7
assert error_code(sm.get_secret_value, SecretId="api/list/beta") == "InvalidRequestException"
assert error_code(sm.put_secret_value, SecretId="api/list/beta", SecretString="y") == "InvalidRequestException"
assert error_code(sm.delete_secret, SecretId="api/list/beta") == "InvalidRequestException"
assert error_code(sm.create_secret, Name="api/list/beta", SecretString="z") == "InvalidRequestException"
assert "api/list/beta" not in [x["Name"] for x in sm.list_secrets()["SecretList"]]
assert "api/list/beta" in [x["Name"] for x in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]]
sm.restore_secret(SecretId="api/list/beta")
assert sm.get_secret_value(SecretId="api/list/beta")["SecretString"] == "x"
sm.delete_secret(SecretId="api/list/beta", ForceDeleteWithoutRecovery=True)
assert error_code(sm.describe_secret, SecretId="api/list/beta") == "ResourceNotFoundException"
assert sm.delete_secret(SecretId="api/never-existed", ForceDeleteWithoutRecovery=True)["Name"] == "api/never-existed"

# Random passwords.
pw = sm.get_random_password()["RandomPassword"]
assert len(pw) == 32 and any(c.islower() for c in pw) and any(c.isupper() for c in pw) and any(c.isdigit() for c in pw) and any(c in string.punctuation for c in pw)
pw = sm.get_random_password(PasswordLength=64, ExcludePunctuation=True, ExcludeCharacters="abc", ExcludeNumbers=True)["RandomPassword"]
assert len(pw) == 64 and pw.isalpha() and not set("abc") & set(pw)
assert error_code(sm.get_random_password, PasswordLength=3) == "InvalidParameterException"
assert error_code(sm.get_random_password, ExcludeLowercase=True, ExcludeUppercase=True, ExcludeNumbers=True, ExcludePunctuation=True) == "InvalidParameterException"

# Resource policies.
good = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::333333333333:root"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
public = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})
assert "ResourcePolicy" not in sm.get_resource_policy(SecretId="api/db")
assert error_code(sm.put_resource_policy, SecretId="api/db", ResourcePolicy="{not json") == "MalformedPolicyDocumentException"
assert error_code(sm.put_resource_policy, SecretId="api/db", ResourcePolicy=public, BlockPublicPolicy=True) == "PublicPolicyException"
sm.put_resource_policy(SecretId="api/db", ResourcePolicy=good, BlockPublicPolicy=True)
assert sm.get_resource_policy(SecretId="api/db")["ResourcePolicy"] == good
v = sm.validate_resource_policy(ResourcePolicy=public)
assert v["PolicyValidationPassed"] is False and v["ValidationErrors"]
assert sm.validate_resource_policy(SecretId="api/db", ResourcePolicy=good)["PolicyValidationPassed"] is True
sm.delete_resource_policy(SecretId="api/db")
assert "ResourcePolicy" not in sm.get_resource_policy(SecretId="api/db")

# Rotation needs Lambda, which edgeward does not have: a clear refusal, after the usual checks.
try:
    sm.rotate_secret(SecretId="api/db", RotationRules={"AutomaticallyAfterDays": 30})
    raise AssertionError("RotateSecret must be refused")
except sm.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "NotImplemented" and "Lambda" in e.response["Error"]["Message"], e.response
assert error_code(sm.rotate_secret, SecretId="api/missing") == "ResourceNotFoundException"
assert error_code(sm.cancel_rotate_secret, SecretId="api/db") == "InvalidRequestException"

print("secrets_api: ok")
