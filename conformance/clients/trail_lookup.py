"""The seed story's audit step through real clients: every call, allowed or denied, is in
the trail of the caller's account, and a cross-account AssumeRole also in the role owner's
(same sharedEventID); LookupEvents filters, pages and validates as AWS does; secrets never
reach the trail; a denial's explanation is retrievable by request id while the server runs."""
import datetime
import json
import os
import subprocess

import botocore.exceptions

from edgeward_env import CUSTOMER, DATA_DIR, ENDPOINT, VENDOR, aws_cli, client, error_code

ROLE_TAG = {"Key": "edgeward:edge:customer-provided", "Value": "true"}
EDGE = "edgeward-edge-a"

# Customer role the vendor's edge user may assume (cross-account).
iam_c = client("iam", CUSTOMER)
trust = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"},
    "Action": ["sts:AssumeRole", "sts:TagSession"],
}]}
role = iam_c.create_role(RoleName="customer-secrets", AssumeRolePolicyDocument=json.dumps(trust), Tags=[ROLE_TAG])["Role"]

iam_v = client("iam", VENDOR)
iam_v.create_user(UserName=EDGE)
iam_v.put_user_policy(UserName=EDGE, PolicyName="assume", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"], "Resource": "*"}]}))
key = iam_v.create_access_key(UserName=EDGE)["AccessKey"]
edge_sts = client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
assumed = edge_sts.assume_role(RoleArn=role["Arn"], RoleSessionName="edgeward-job-session-a",
                               Tags=[{"Key": "edgeward:edge:instance:name", "Value": "a"}])
creds = assumed["Credentials"]

# A denied call by the edge user, and one by the assumed session in the customer account.
edge_iam = client("iam", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
try:
    edge_iam.create_user(UserName="not-allowed")
    raise AssertionError("the edge user must not create users")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "AccessDenied", e.response
    denied_request_id = e.response["ResponseMetadata"]["RequestId"]
assert error_code(client("iam", creds=creds).create_user, UserName="x") == "AccessDenied"
# The edge user may not read the trail either (cloudtrail:LookupEvents is authorized).
assert error_code(client("cloudtrail", key=key["AccessKeyId"], secret=key["SecretAccessKey"]).lookup_events) == "AccessDeniedException"

for i in range(7):
    iam_v.create_user(UserName=f"pager-{i}")

ct_v = client("cloudtrail", VENDOR)
ct_c = client("cloudtrail", CUSTOMER)


def lookup_all(ct, **kw):
    events = []
    for page in ct.get_paginator("lookup_events").paginate(**kw):
        events.extend(page["Events"])
    return events


def by_name(ct, name):
    return lookup_all(ct, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}])


# Cross-account AssumeRole: in both trails, one sharedEventID, different eventIDs.
mine = by_name(ct_v, "AssumeRole")
theirs = by_name(ct_c, "AssumeRole")
assert len(mine) == 1 and len(theirs) == 1, (mine, theirs)
ev_v, ev_c = json.loads(mine[0]["CloudTrailEvent"]), json.loads(theirs[0]["CloudTrailEvent"])
assert ev_v["sharedEventID"] == ev_c["sharedEventID"], (ev_v, ev_c)
assert ev_v["eventID"] != ev_c["eventID"]
assert ev_v["recipientAccountId"] == VENDOR and ev_c["recipientAccountId"] == CUSTOMER
assert ev_v["userIdentity"]["arn"] == f"arn:aws:iam::{VENDOR}:user/{EDGE}", ev_v["userIdentity"]
assert ev_v["requestParameters"]["roleSessionName"] == "edgeward-job-session-a"
assert ev_v["requestParameters"]["tags"] == [{"key": "edgeward:edge:instance:name", "value": "a"}]
assert mine[0]["Username"] == EDGE and mine[0]["AccessKeyId"] == key["AccessKeyId"]
assert mine[0]["EventSource"] == "sts.amazonaws.com" and mine[0]["ReadOnly"] == "false"
assert {"ResourceType": "AWS::IAM::Role", "ResourceName": role["Arn"]} in mine[0]["Resources"], mine[0]
assert isinstance(mine[0]["EventTime"], datetime.datetime)
assert "edgewardChain" in ev_v and ev_v["edgewardChain"]["seq"] >= 1

# Denied calls are in the trail with AWS's error, under the caller's identity.
denied = lookup_all(ct_v, LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": EDGE}])
denied = [json.loads(e["CloudTrailEvent"]) for e in denied]
create = [e for e in denied if e["eventName"] == "CreateUser"]
assert len(create) == 1 and create[0]["errorCode"] == "AccessDenied" and create[0]["requestID"] == denied_request_id, create
assert any(e["eventName"] == "LookupEvents" and e["errorCode"] == "AccessDenied" for e in denied), denied
session_denied = [json.loads(e["CloudTrailEvent"]) for e in by_name(ct_c, "CreateUser")]
assert any(e.get("errorCode") == "AccessDenied" and e["userIdentity"]["type"] == "AssumedRole"
           and e["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"] == role["Arn"] for e in session_denied), session_denied

# Pagination: newest first, pages of 2 add up to the whole, tokens are bound to the query.
everything = ct_v.lookup_events()["Events"]
assert len(everything) >= 14, len(everything)
paged = lookup_all(ct_v, PaginationConfig={"PageSize": 2})
ids = [e["EventId"] for e in everything]
# (Each lookup is itself recorded: later pages see the earlier lookups as newer events.)
assert [e["EventId"] for e in paged if e["EventId"] in ids] == ids
times = [e["EventTime"] for e in paged]
assert times == sorted(times, reverse=True)
first = ct_v.lookup_events(MaxResults=3)
assert len(first["Events"]) == 3 and "NextToken" in first
second = ct_v.lookup_events(MaxResults=3, NextToken=first["NextToken"])
seq = lambda e: json.loads(e["CloudTrailEvent"])["edgewardChain"]["seq"]
assert [seq(e) for e in first["Events"] + second["Events"]] == list(range(seq(first["Events"][0]), seq(first["Events"][0]) - 6, -1))
pagers = by_name(ct_v, "CreateUser")
assert sorted(json.loads(e["CloudTrailEvent"])["requestParameters"]["userName"] for e in pagers if "pager" in e["CloudTrailEvent"]) == [f"pager-{i}" for i in range(7)]
assert error_code(ct_v.lookup_events, NextToken=first["NextToken"], LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetUser"}]) == "InvalidNextTokenException"
assert error_code(ct_c.lookup_events, NextToken=first["NextToken"]) == "InvalidNextTokenException"
assert error_code(ct_v.lookup_events, NextToken="not-a-token") == "InvalidNextTokenException"

# Other filters and the time range.
now = datetime.datetime.now(datetime.timezone.utc)
hour = datetime.timedelta(hours=1)
assert set(ids) <= {e["EventId"] for e in ct_v.lookup_events(StartTime=now - hour, EndTime=now + hour)["Events"]}
assert ct_v.lookup_events(StartTime=now + hour)["Events"] == []
assert ct_v.lookup_events(EndTime=now - hour)["Events"] == []
ro = lookup_all(ct_v, LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "true"}])
assert ro and all(e["ReadOnly"] == "true" for e in ro)
one = ct_v.lookup_events(LookupAttributes=[{"AttributeKey": "EventId", "AttributeValue": mine[0]["EventId"]}])["Events"]
assert [e["EventId"] for e in one] == [mine[0]["EventId"]]
by_key = lookup_all(ct_v, LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": key["AccessKeyId"]}])
assert {e["EventName"] for e in by_key} == {"AssumeRole", "CreateUser", "LookupEvents"}, by_key
assert lookup_all(ct_c, LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "sts.amazonaws.com"}])
assert lookup_all(ct_c, LookupAttributes=[{"AttributeKey": "ResourceType", "AttributeValue": "AWS::IAM::Role"}])

# Validation as AWS names it.
two = [{"AttributeKey": "EventName", "AttributeValue": "a"}, {"AttributeKey": "Username", "AttributeValue": "b"}]
assert error_code(ct_v.lookup_events, LookupAttributes=two) == "InvalidLookupAttributesException"
assert error_code(ct_v.lookup_events, LookupAttributes=[{"AttributeKey": "Region", "AttributeValue": "x"}]) == "InvalidLookupAttributesException"
assert error_code(ct_v.lookup_events, StartTime=now, EndTime=now - hour) == "InvalidTimeRangeException"
ct_unvalidated = client("cloudtrail", VENDOR)
ct_unvalidated.meta.events.register("before-parameter-build.cloudtrail.LookupEvents", lambda params, **kw: params.update(MaxResults=51))
assert error_code(ct_unvalidated.lookup_events) == "InvalidMaxResultsException"
assert error_code(ct_v.describe_trails) == "NotImplemented"

# Secrets never reach the trail.
every_event = "\n".join(e["CloudTrailEvent"] for ct in (ct_v, ct_c) for e in lookup_all(ct))
for secret in (key["SecretAccessKey"], creds["SecretAccessKey"], creds["SessionToken"]):
    assert secret not in every_event
assert "HIDDEN_DUE_TO_SECURITY_REASONS" in ev_v["responseElements"]["credentials"]["sessionToken"]

# The aws CLI, unchanged (it follows NextToken itself).
out = aws_cli(["cloudtrail", "lookup-events", "--lookup-attributes", "AttributeKey=EventName,AttributeValue=AssumeRole"], account=CUSTOMER)
assert [e["EventId"] for e in out["Events"]] == [theirs[0]["EventId"]], out
out = aws_cli(["cloudtrail", "lookup-events", "--max-items", "5"], account=VENDOR)
assert len(out["Events"]) == 5 and "NextToken" in out, out

# While the server runs it holds the store's lock: the tools go through its endpoints.
edgeward = os.environ["EDGEWARD_BIN"]
run = lambda *args: subprocess.run([edgeward, *args], capture_output=True, text=True)
r = run("policy", "explain", "--request-id", denied_request_id, "--data-dir", DATA_DIR, "--endpoint", ENDPOINT, "--output", "json")
assert r.returncode == 0, r.stderr
decision = json.loads(r.stdout)
assert decision["action"] == "iam:CreateUser" and decision["principal"] == f"arn:aws:iam::{VENDOR}:user/{EDGE}", decision
assert decision["explanation"]["decision"] == "ImplicitlyDenied", decision
r = run("policy", "explain", "--request-id", denied_request_id, "--data-dir", DATA_DIR, "--endpoint", ENDPOINT)
assert r.returncode == 0 and "iam:CreateUser" in r.stdout and "POLICY" in r.stdout and "'assume'" in r.stdout, r.stdout + r.stderr
r = run("policy", "explain", "--request-id", "00000000-0000-4000-8000-000000000000", "--data-dir", DATA_DIR, "--endpoint", ENDPOINT)
assert r.returncode == 2 and "no denied request" in r.stderr, r.stderr
r = run("audit", "verify", "--data-dir", DATA_DIR)
assert r.returncode == 2 and "locked by a running" in r.stderr and "--endpoint" in r.stderr, r.stderr
r = run("audit", "verify", "--data-dir", DATA_DIR, "--endpoint", ENDPOINT)
assert r.returncode == 0 and "trail intact" in r.stdout, r.stdout + r.stderr
print(f"denied-request-id: {denied_request_id}")
print("trail_lookup: ok")
