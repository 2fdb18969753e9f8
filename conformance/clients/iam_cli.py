"""IAM with the aws CLI, unchanged: create, list with the CLI's own pagination, attach,
inline policies, and AWS's error codes in the CLI's error output."""
import json

from edgeward_env import CUSTOMER, aws_cli

A = f"arn:aws:iam::{CUSTOMER}"
DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:List*", "Resource": "*"}]})


def cli(*args):
    return aws_cli(["iam", *args], account=CUSTOMER)


def cli_error(*args):
    try:
        cli(*args)
    except RuntimeError as e:
        return str(e)
    raise AssertionError(f"aws iam {' '.join(args)} succeeded")


for n in ["u1", "u2", "u3"]:
    assert cli("create-user", "--user-name", n, "--tags", "Key=k,Value=v")["User"]["Arn"] == f"{A}:user/{n}"
# --page-size 1 makes the CLI follow Marker across three requests.
assert [u["UserName"] for u in cli("list-users", "--page-size", "1")["Users"]] == ["u1", "u2", "u3"]
first = cli("list-users", "--max-items", "2")
assert len(first["Users"]) == 2 and first["NextToken"], first
rest = cli("list-users", "--max-items", "2", "--starting-token", first["NextToken"])
assert [u["UserName"] for u in rest["Users"]] == ["u3"], rest
assert "NoSuchEntity" in cli_error("get-user", "--user-name", "nobody")
assert "EntityAlreadyExists" in cli_error("create-user", "--user-name", "u1")

cli("create-group", "--group-name", "g")
cli("add-user-to-group", "--group-name", "g", "--user-name", "u1")
assert [u["UserName"] for u in cli("get-group", "--group-name", "g")["Users"]] == ["u1"]
arn = cli("create-policy", "--policy-name", "lister", "--policy-document", DOC)["Policy"]["Arn"]
assert arn == f"{A}:policy/lister"
cli("attach-group-policy", "--group-name", "g", "--policy-arn", arn)
assert cli("list-attached-group-policies", "--group-name", "g")["AttachedPolicies"] == [{"PolicyName": "lister", "PolicyArn": arn}]
assert [p["PolicyName"] for p in cli("list-policies", "--scope", "Local", "--only-attached")["Policies"]] == ["lister"]
assert "DeleteConflict" in cli_error("delete-policy", "--policy-arn", arn)
assert "DeleteConflict" in cli_error("delete-group", "--group-name", "g")
cli("put-user-policy", "--user-name", "u2", "--policy-name", "inline", "--policy-document", DOC)
got = cli("get-user-policy", "--user-name", "u2", "--policy-name", "inline")
assert got["PolicyDocument"] == json.loads(DOC), got
assert "MalformedPolicyDocument" in cli_error("put-user-policy", "--user-name", "u2", "--policy-name", "x", "--policy-document", "{}")
key = cli("create-access-key", "--user-name", "u3")["AccessKey"]
cli("update-access-key", "--user-name", "u3", "--access-key-id", key["AccessKeyId"], "--status", "Inactive")
try:
    aws_cli(["sts", "get-caller-identity"], key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    raise AssertionError("an inactive key authenticated")
except RuntimeError as e:
    assert "InvalidClientTokenId" in str(e), e
cli("delete-access-key", "--user-name", "u3", "--access-key-id", key["AccessKeyId"])
cli("delete-user", "--user-name", "u3")
assert [u["UserName"] for u in cli("list-users")["Users"]] == ["u1", "u2"]
summary = cli("get-account-summary")["SummaryMap"]
assert summary["Users"] == 2 and summary["Groups"] == 1, summary
print("iam_cli: ok")
