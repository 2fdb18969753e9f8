"""Shared setup for client scripts: endpoint, root credentials, boto3 clients, the aws CLI.

Each script runs against a server started by the Rust test harness, which passes
EDGEWARD_ENDPOINT and EDGEWARD_DATA_DIR. Scripts assert real behaviour and exit non-zero
on the first failure.
"""
import json
import os
import subprocess

import boto3
import botocore.exceptions

ENDPOINT = os.environ["EDGEWARD_ENDPOINT"]
DATA_DIR = os.environ["EDGEWARD_DATA_DIR"]
REGION = "us-east-1"
VENDOR, CUSTOMER, SECRETS = "111111111111", "222222222222", "333333333333"


def root_creds(account):
    with open(os.path.join(DATA_DIR, "root-credentials.json")) as f:
        c = json.load(f)[account]
    return c["accessKeyId"], c["secretAccessKey"]


def client(service, account=None, key=None, secret=None, token=None, creds=None):
    """A boto3 client as an account's root, as explicit keys, or as STS credentials."""
    if creds is not None:
        key, secret, token = creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]
    elif account is not None:
        key, secret = root_creds(account)
    return boto3.client(
        service,
        endpoint_url=ENDPOINT,
        region_name=REGION,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
    )


def error_code(fn, *args, **kwargs):
    """Calls fn and returns the AWS error code it raised (fails if it succeeded)."""
    try:
        fn(*args, **kwargs)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    raise AssertionError(f"{getattr(fn, '__name__', fn)} succeeded, an error was expected")


def aws_cli(args, account=None, key=None, secret=None, token=None):
    """Runs the aws CLI against the server; returns parsed JSON output (or raw text)."""
    if account is not None:
        key, secret = root_creds(account)
    env = dict(os.environ)
    env.update({
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL": ENDPOINT,
    })
    if token:
        env["AWS_SESSION_TOKEN"] = token
    else:
        env.pop("AWS_SESSION_TOKEN", None)
    out = subprocess.run(["aws", "--output", "json"] + args, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"aws {' '.join(args)} failed ({out.returncode}): {out.stderr.strip()}")
    text = out.stdout.strip()
    return json.loads(text) if text.startswith(("{", "[")) else text
