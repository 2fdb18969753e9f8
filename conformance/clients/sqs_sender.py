"""Sends numbered messages until the server goes away, writing each acknowledged message's
body to a file (flushed and fsync'd) before sending the next; the test kills the server
with SIGKILL while this runs."""
import os
import sys

import boto3
import botocore.config

from edgeward_env import DATA_DIR, ENDPOINT, REGION, VENDOR, root_creds

key, secret = root_creds(VENDOR)
sqs = boto3.client("sqs", endpoint_url=ENDPOINT, region_name=REGION, aws_access_key_id=key, aws_secret_access_key=secret,
                   config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=2, read_timeout=5))
url = sqs.get_queue_url(QueueName="durable")["QueueUrl"]
log = open(sys.argv[1], "a")
i = 0
while True:
    body = f"msg-{i}"
    try:
        if i % 2:
            sqs.send_message(QueueUrl=url, MessageBody=body)
            acked = [body]
        else:
            entries = [{"Id": f"e{j}", "MessageBody": f"{body}-{j}"} for j in range(3)]
            out = sqs.send_message_batch(QueueUrl=url, Entries=entries)
            acked = [f"{body}-{e['Id'][1:]}" for e in out["Successful"]]
    except Exception:
        break
    log.write("".join(a + "\n" for a in acked))
    log.flush()
    os.fsync(log.fileno())
    i += 1
