"""First part of the SQS durability test: a queue for the sender, and a message leased
(received, not deleted) with a 6 s visibility timeout just before the server is killed."""
import json
import os
import time

from edgeward_env import DATA_DIR, VENDOR, client

sqs = client("sqs", VENDOR)
sqs.create_queue(QueueName="durable")
lease = sqs.create_queue(QueueName="leased", Attributes={"VisibilityTimeout": "6"})["QueueUrl"]
sent = sqs.send_message(QueueUrl=lease, MessageBody="in flight")["MessageId"]
got = sqs.receive_message(QueueUrl=lease)["Messages"][0]
assert got["MessageId"] == sent
with open(os.path.join(DATA_DIR, "..", os.path.basename(DATA_DIR) + "-sqs.json"), "w") as f:
    json.dump({"leased": sent, "at": time.time()}, f)
print("sqs_restart_setup: ok")
