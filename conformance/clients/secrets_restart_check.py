"""After a kill -9 and a restart: the secrets written by secrets_restart_setup.py are intact."""
import os

from edgeward_env import CUSTOMER, client, error_code

sm = client("secretsmanager", CUSTOMER)
with open(os.path.join(os.environ["EDGEWARD_DATA_DIR"], "secrets-restart-arn")) as f:
    arn = f.read()
d = sm.describe_secret(SecretId="restart/db")
assert d["ARN"] == arn and d["Tags"] == [{"Key": "team", "Value": "data"}]
assert sorted(d["VersionIdsToStages"].values()) == [["AWSCURRENT"], ["AWSPREVIOUS"]]
assert sm.get_secret_value(SecretId=arn)["SecretBinary"] == b"\x00second\xff"
assert sm.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")["SecretString"] == "first-value"
assert "333333333333" in sm.get_resource_policy(SecretId=arn)["ResourcePolicy"]
assert "DeletedDate" in sm.describe_secret(SecretId="restart/gone")
assert error_code(sm.get_secret_value, SecretId="restart/gone") == "InvalidRequestException"
sm.restore_secret(SecretId="restart/gone")
assert sm.get_secret_value(SecretId="restart/gone")["SecretString"] == "x"
print("secrets_restart_check: ok")
