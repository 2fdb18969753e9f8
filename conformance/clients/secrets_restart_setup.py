"""Secrets written before a kill -9: a secret with two versions, tags, a resource policy and
a customer managed key, and one scheduled for deletion (secrets_restart_check.py reads them)."""
import json

from edgeward_env import CUSTOMER, client

sm = client("secretsmanager", CUSTOMER)
kms = client("kms", CUSTOMER)
key = kms.create_key(Description="restart key")["KeyMetadata"]
s = sm.create_secret(Name="restart/db", SecretString="first-value", KmsKeyId=key["Arn"], Tags=[{"Key": "team", "Value": "data"}])
sm.put_secret_value(SecretId=s["ARN"], SecretBinary=b"\x00second\xff")
sm.put_resource_policy(SecretId=s["ARN"], ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::333333333333:root"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
sm.create_secret(Name="restart/gone", SecretString="x")
sm.delete_secret(SecretId="restart/gone", RecoveryWindowInDays=7)
with open(__import__("os").path.join(__import__("os").environ["EDGEWARD_DATA_DIR"], "secrets-restart-arn"), "w") as f:
    f.write(s["ARN"])
print("secrets_restart_setup: ok")
