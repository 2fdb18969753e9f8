"""Second part of the SQS durability test, after kill -9 and a restart: every message the
sender saw acknowledged is in the queue, and the leased message comes back once its
visibility timeout has passed."""
import json
import os
import sys
import time

from edgeward_env import DATA_DIR, VENDOR, client

sqs = client("sqs", VENDOR)
with open(os.path.join(DATA_DIR, "..", os.path.basename(DATA_DIR) + "-sqs.json")) as f:
    setup = json.load(f)
acked = set(open(sys.argv[1]).read().split())
assert len(acked) >= 20, len(acked)

url = sqs.get_queue_url(QueueName="durable")["QueueUrl"]
seen = set()
while True:
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300).get("Messages", [])
    if not got:
        break
    seen.update(m["Body"] for m in got)
missing = acked - seen
assert not missing, f"{len(missing)} acknowledged messages lost: {sorted(missing)[:5]}"

lease = sqs.get_queue_url(QueueName="leased")["QueueUrl"]
remaining = setup["at"] + 6 - time.time()
if remaining > 0.5:
    assert "Messages" not in sqs.receive_message(QueueUrl=lease), "the leased message came back before its visibility timeout"
back = sqs.receive_message(QueueUrl=lease, WaitTimeSeconds=10, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
assert back["MessageId"] == setup["leased"] and back["Attributes"]["ApproximateReceiveCount"] == "2", back
print(f"sqs_restart_check: ok ({len(acked)} acknowledged, {len(seen)} found)")
