"""The seed story's dispatch step over SQS with boto3 (awsJson1_0), the aws CLI and a raw
signed awsQuery client: a vendor-owned queue whose policy lets only the customer's
edgeward-edge-* role receive, extend leases and delete; long polling that wakes on send;
redelivery after a crashed consumer's lease; the dead-letter queue after N receives and a
redrive back; FIFO ordering and deduplication; AWS's MD5s and error codes."""
import hashlib
import json
import struct
import threading
import time
import xml.etree.ElementTree as ET

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import urllib.error
import urllib.request

from edgeward_env import CUSTOMER, ENDPOINT, REGION, VENDOR, aws_cli, client, error_code, root_creds

EDGE_ROLE = "edgeward-edge-e1"
CONSUMER_ACTIONS = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]

# --- the customer's side: the edge task role (and a role outside the naming convention) ---
iam_c = client("iam", CUSTOMER)
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CUSTOMER}:root"}, "Action": "sts:AssumeRole"}]}
identity = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": CONSUMER_ACTIONS + ["sqs:SendMessage"], "Resource": f"arn:aws:sqs:*:{VENDOR}:*"}]}
for name in (EDGE_ROLE, "other-role"):
    iam_c.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    iam_c.put_role_policy(RoleName=name, PolicyName="dispatch", PolicyDocument=json.dumps(identity))
# Roots cannot assume roles: an operator user in the customer account does.
iam_c.create_user(UserName="operator")
iam_c.put_user_policy(UserName="operator", PolicyName="assume", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
op_key = iam_c.create_access_key(UserName="operator")["AccessKey"]
sts_c = client("sts", key=op_key["AccessKeyId"], secret=op_key["SecretAccessKey"])


def role_creds(name):
    return sts_c.assume_role(RoleArn=f"arn:aws:iam::{CUSTOMER}:role/{name}", RoleSessionName="edge-session")["Credentials"]


# --- the vendor's side: one queue per edge, a dead-letter queue, the queue policy ---
sqs = client("sqs", VENDOR)
dlq_url = sqs.create_queue(QueueName="edge-e1-dlq")["QueueUrl"]
dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
assert dlq_arn == f"arn:aws:sqs:{REGION}:{VENDOR}:edge-e1-dlq", dlq_arn
queue_arn = f"arn:aws:sqs:{REGION}:{VENDOR}:edge-e1"
policy = {"Version": "2012-10-17", "Statement": [{
    "Sid": "EdgeConsumes",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{CUSTOMER}:root"},
    "Action": CONSUMER_ACTIONS,
    "Resource": queue_arn,
    "Condition": {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{CUSTOMER}:role/edgeward-edge-*"}},
}]}
attrs = {
    "VisibilityTimeout": "30",
    "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}),
    "Policy": json.dumps(policy),
}
url = sqs.create_queue(QueueName="edge-e1", Attributes=attrs, tags={"edgeward:edge": "e1"})["QueueUrl"]
assert url == f"{ENDPOINT}/{VENDOR}/edge-e1", url
assert sqs.create_queue(QueueName="edge-e1", Attributes=attrs)["QueueUrl"] == url  # idempotent
assert error_code(sqs.create_queue, QueueName="edge-e1", Attributes={"VisibilityTimeout": "31"}) == "QueueAlreadyExists"
assert error_code(sqs.set_queue_attributes, QueueUrl=url, Attributes={"Policy": '{"Statement": "nope"}'}) == "InvalidAttributeValue"
assert error_code(sqs.set_queue_attributes, QueueUrl=url, Attributes={"VisibilityTimeout": "43201"}) == "InvalidAttributeValue"
assert error_code(sqs.set_queue_attributes, QueueUrl=url, Attributes={"Nope": "1"}) == "InvalidAttributeName"
assert sqs.list_dead_letter_source_queues(QueueUrl=dlq_url)["queueUrls"] == [url]
assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"edgeward:edge": "e1"}

edge = client("sqs", creds=role_creds(EDGE_ROLE))
other = client("sqs", creds=role_creds("other-role"))
assert edge.get_queue_url(QueueName="edge-e1", QueueOwnerAWSAccountId=VENDOR)["QueueUrl"] == url
# The queue policy names only edgeward-edge-* roles; SendMessage is not granted to the edge.
assert error_code(other.receive_message, QueueUrl=url) == "AccessDenied"
assert error_code(edge.send_message, QueueUrl=url, MessageBody="x") == "AccessDenied"
assert error_code(edge.purge_queue, QueueUrl=url) == "AccessDenied"

# --- long polling wakes as soon as the producer sends ---
def send_later(body, delay):
    time.sleep(delay)
    client("sqs", VENDOR).send_message(QueueUrl=url, MessageBody=body)


t0 = time.time()
threading.Thread(target=send_later, args=(json.dumps({"job": "j1"}), 1.0)).start()
got = edge.receive_message(QueueUrl=url, WaitTimeSeconds=10, VisibilityTimeout=2, MessageSystemAttributeNames=["All"])
elapsed = time.time() - t0
assert 0.9 <= elapsed < 3, elapsed
m = got["Messages"][0]
assert json.loads(m["Body"]) == {"job": "j1"} and m["Attributes"]["ApproximateReceiveCount"] == "1"
assert m["MD5OfBody"] == hashlib.md5(m["Body"].encode()).hexdigest()
# An empty long poll waits the full time and returns no messages.
t0 = time.time()
assert "Messages" not in edge.receive_message(QueueUrl=url, WaitTimeSeconds=1)
assert time.time() - t0 >= 0.95

# --- the lease: extended while the job runs, then deleted ---
edge.change_message_visibility(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=5)
time.sleep(2.5)  # past the original 2 s lease
assert "Messages" not in edge.receive_message(QueueUrl=url)
attrs_now = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessages"])["Attributes"]
assert attrs_now == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "1"}, attrs_now
edge.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
assert error_code(edge.change_message_visibility, QueueUrl=url, ReceiptHandle=m["ReceiptHandle"], VisibilityTimeout=5) == "InvalidParameterValue"
assert error_code(edge.delete_message, QueueUrl=url, ReceiptHandle="garbage") == "ReceiptHandleIsInvalid"

# --- a crashed consumer: its job comes back after the visibility timeout ---
sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"job": "j2"}))
first = edge.receive_message(QueueUrl=url, VisibilityTimeout=1)["Messages"][0]
time.sleep(1.2)
second = edge.receive_message(QueueUrl=url, VisibilityTimeout=1, WaitTimeSeconds=2, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
assert second["MessageId"] == first["MessageId"] and second["ReceiptHandle"] != first["ReceiptHandle"]
assert second["Attributes"]["ApproximateReceiveCount"] == "2"
# The stale handle: deleting succeeds but does not delete (AWS), changing visibility fails.
edge.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
assert error_code(edge.change_message_visibility, QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=9) == "InvalidParameterValue"
# --- after maxReceiveCount (3) receives, the next receive moves it to the dead-letter queue ---
time.sleep(1.2)
third = edge.receive_message(QueueUrl=url, VisibilityTimeout=1, WaitTimeSeconds=2)["Messages"][0]
assert third["MessageId"] == first["MessageId"]
time.sleep(1.2)
assert "Messages" not in edge.receive_message(QueueUrl=url)
dead = sqs.receive_message(QueueUrl=dlq_url, VisibilityTimeout=0, MessageSystemAttributeNames=["All"])["Messages"][0]
assert dead["MessageId"] == first["MessageId"] and dead["Attributes"]["DeadLetterQueueSourceArn"] == queue_arn, dead
# Redrive it back to its source queue.
handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
assert tasks[0]["Status"] == "COMPLETED" and tasks[0]["ApproximateNumberOfMessagesMoved"] == 1, tasks
back = edge.receive_message(QueueUrl=url, WaitTimeSeconds=2)["Messages"][0]
assert back["MessageId"] == first["MessageId"]
edge.delete_message(QueueUrl=url, ReceiptHandle=back["ReceiptHandle"])

# --- message attributes: the MD5 computed exactly as AWS does ---
def attrs_md5(attrs):
    buf = b""
    for name in sorted(attrs):
        a = attrs[name]
        enc = lambda b: struct.pack(">I", len(b)) + b
        buf += enc(name.encode()) + enc(a["DataType"].encode())
        if "BinaryValue" in a:
            buf += b"\x02" + enc(a["BinaryValue"])
        else:
            buf += b"\x01" + enc(a["StringValue"].encode())
    return hashlib.md5(buf).hexdigest()


mattrs = {"job-id": {"DataType": "String", "StringValue": "j3"}, "attempt": {"DataType": "Number", "StringValue": "1"}, "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}}
sent = sqs.send_message(QueueUrl=url, MessageBody="j3", MessageAttributes=mattrs, DelaySeconds=1)
assert sent["MD5OfMessageAttributes"] == attrs_md5(mattrs) and sent["MD5OfMessageBody"] == hashlib.md5(b"j3").hexdigest()
assert "Messages" not in edge.receive_message(QueueUrl=url)  # delayed
got = edge.receive_message(QueueUrl=url, WaitTimeSeconds=3, MessageAttributeNames=["All"])["Messages"][0]
assert got["MessageAttributes"] == mattrs and got["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
edge.delete_message(QueueUrl=url, ReceiptHandle=got["ReceiptHandle"])

# --- batches ---
out = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": f"e{i}", "MessageBody": f"b{i}"} for i in range(3)] + [{"Id": "bad", "MessageBody": "x", "DelaySeconds": 901}])
assert sorted(e["Id"] for e in out["Successful"]) == ["e0", "e1", "e2"] and out["Failed"][0]["Id"] == "bad"
assert error_code(sqs.send_message_batch, QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}]) == "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
got = edge.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)["Messages"]
assert sorted(m["Body"] for m in got) == ["b0", "b1", "b2"]
vis = edge.change_message_visibility_batch(QueueUrl=url, Entries=[{"Id": f"v{i}", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 60} for i, m in enumerate(got)])
assert len(vis["Successful"]) == 3
deleted = edge.delete_message_batch(QueueUrl=url, Entries=[{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])
assert len(deleted["Successful"]) == 3 and deleted["Failed"] == []

# --- FIFO: order per group, deduplication within 5 minutes ---
fifo = sqs.create_queue(QueueName="jobs.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
assert error_code(sqs.create_queue, QueueName="jobs", Attributes={"FifoQueue": "true"}) == "InvalidParameterValue"
ids = [sqs.send_message(QueueUrl=fifo, MessageBody=f"g1-{i}", MessageGroupId="g1")["MessageId"] for i in range(3)]
sqs.send_message(QueueUrl=fifo, MessageBody="g2-0", MessageGroupId="g2")
assert sqs.send_message(QueueUrl=fifo, MessageBody="g1-0", MessageGroupId="g1")["MessageId"] == ids[0]  # deduplicated
assert error_code(sqs.send_message, QueueUrl=fifo, MessageBody="x") == "MissingParameter"
first = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=2)["Messages"]
assert [m["Body"] for m in first] == ["g1-0", "g1-1"], first
# g1 is blocked while its messages are in flight; g2 is not.
nxt = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)["Messages"]
assert [m["Body"] for m in nxt] == ["g2-0"], nxt
for m in first:
    sqs.delete_message(QueueUrl=fifo, ReceiptHandle=m["ReceiptHandle"])
assert [m["Body"] for m in sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)["Messages"]] == ["g1-2"]

# --- the aws CLI ---
# The CLI's SQS customization replaces AWS_ENDPOINT_URL with the legacy queue endpoint
# unless --endpoint-url is given.
listed = aws_cli(["sqs", "list-queues", "--queue-name-prefix", "edge-", "--endpoint-url", ENDPOINT], account=VENDOR)
assert sorted(listed["QueueUrls"]) == [url, dlq_url], listed
sent = aws_cli(["sqs", "send-message", "--queue-url", url, "--message-body", "cli", "--endpoint-url", ENDPOINT], account=VENDOR)
assert sent["MD5OfMessageBody"] == hashlib.md5(b"cli").hexdigest()
page = sqs.list_queues(MaxResults=1)
assert len(page["QueueUrls"]) == 1 and "NextToken" in page
assert len(sqs.list_queues(MaxResults=1, NextToken=page["NextToken"])["QueueUrls"]) == 1

# --- awsQuery: a raw SigV4-signed form POST, as older clients send ---
def query(params, account=VENDOR):
    key, secret = root_creds(account)
    req = botocore.awsrequest.AWSRequest(method="POST", url=ENDPOINT + "/", data=dict(params, Version="2012-11-05"),
                                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials(key, secret), "sqs", REGION).add_auth(req)
    p = req.prepare()
    body = p.body.encode() if isinstance(p.body, str) else p.body
    try:
        with urllib.request.urlopen(urllib.request.Request(p.url, data=body, headers=dict(p.headers), method="POST")) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    ns = "{http://queue.amazonaws.com/doc/2012-11-05/}"
    return status, ET.fromstring(text), ns


status, doc, ns = query({"Action": "SendMessage", "QueueUrl": url, "MessageBody": "from query",
                         "MessageAttribute.1.Name": "k", "MessageAttribute.1.Value.DataType": "String", "MessageAttribute.1.Value.StringValue": "v"})
assert status == 200, ET.tostring(doc)
assert doc.find(f"{ns}SendMessageResult/{ns}MD5OfMessageBody").text == hashlib.md5(b"from query").hexdigest()
assert doc.find(f"{ns}SendMessageResult/{ns}MD5OfMessageAttributes").text == attrs_md5({"k": {"DataType": "String", "StringValue": "v"}})
status, doc, ns = query({"Action": "ReceiveMessage", "QueueUrl": url, "MaxNumberOfMessages": "10", "AttributeName.1": "All", "MessageAttributeName.1": "All"})
bodies = sorted(m.find(f"{ns}Body").text for m in doc.iter(f"{ns}Message"))
assert bodies == ["cli", "from query"], ET.tostring(doc)
assert any(a.find(f"{ns}Name").text == "SentTimestamp" for a in doc.iter(f"{ns}Attribute"))
status, doc, ns = query({"Action": "GetQueueUrl", "QueueName": "missing"})
assert status == 400 and doc.find(f"{ns}Error/{ns}Code").text == "AWS.SimpleQueueService.NonExistentQueue", ET.tostring(doc)
status, doc, ns = query({"Action": "PurgeQueue", "QueueUrl": url}, account=CUSTOMER)
assert status == 403 and doc.find(f"{ns}Error/{ns}Code").text == "AccessDenied", ET.tostring(doc)
status, doc, ns = query({"Action": "GetQueueAttributes", "QueueUrl": url, "AttributeName.1": "QueueArn"})
assert [a.find(f"{ns}Value").text for a in doc.iter(f"{ns}Attribute")] == [queue_arn]

# --- purge, delete ---
sqs.purge_queue(QueueUrl=url)
assert error_code(sqs.purge_queue, QueueUrl=url) == "AWS.SimpleQueueService.PurgeQueueInProgress"
sqs.delete_queue(QueueUrl=fifo)
assert error_code(sqs.get_queue_url, QueueName="jobs.fifo") == "AWS.SimpleQueueService.NonExistentQueue"

# --- the trail: the edge's receive is in both accounts' trails ---
ct = client("cloudtrail", VENDOR)
events = ct.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ReceiveMessage"}])["Events"]
assert any(f"assumed-role/{EDGE_ROLE}/" in json.loads(e["CloudTrailEvent"])["userIdentity"].get("arn", "") for e in events), events[:1]
print("sqs_dispatch: ok")
