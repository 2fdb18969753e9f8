"""After a kill -9 and a restart: every user whose creation was acknowledged (ACK_FILE)
exists, and its CreateUser event is in the trail."""
import json
import os

from edgeward_env import VENDOR, client

names = [n for n in open(os.environ["ACK_FILE"]).read().split("\n") if n]
assert names, "nothing was acknowledged"
iam = client("iam", VENDOR)
for n in names:
    assert iam.get_user(UserName=n)["User"]["UserName"] == n
recorded = set()
for page in client("cloudtrail", VENDOR).get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateUser"}]):
    for e in page["Events"]:
        ev = json.loads(e["CloudTrailEvent"])
        if "errorCode" not in ev:
            recorded.add(ev["requestParameters"]["userName"])
missing = [n for n in names if n not in recorded]
assert not missing, f"acknowledged but not in the trail: {missing[:5]}"
print(f"trail_acknowledged: ok ({len(names)} acknowledged users present, {len(recorded)} in the trail)")
