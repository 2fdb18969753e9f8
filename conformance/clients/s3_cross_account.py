"""Cross-account S3 through boto3: a bucket in the customer account (222222222222) whose
bucket policy grants a vendor role (111111111111, assumed through STS by a vendor operator)
s3:PutObject/GetObject on results/* and s3:ListBucket only with an s3:prefix condition. Across
accounts both the bucket policy and the role's identity policy must allow: each is shown
missing (denied) and present (allowed), keys outside the prefix are denied, and both
accounts' trails hold the calls with the vendor session's full identity."""

from edgeward_env import CUSTOMER, VENDOR, client
from s3_util import Sections, code_status, err, events, operator_sts, policy, s3

BUCKET = "xacct-results"
ROLE = "edgeward-platform"
ROLE_ARN = f"arn:aws:iam::{VENDOR}:role/{ROLE}"
BARE_ROLE = "edgeward-platform-bare"
SESSION = "edge-job-42"

c = s3(CUSTOMER)
iam_v = client("iam", VENDOR)

# The vendor side: an operator user that may assume the platform roles (AWS does not let
# an account's root user assume roles), and two roles: one with an identity policy for
# the customer bucket, one without.
op_sts = operator_sts(VENDOR, f"arn:aws:iam::{VENDOR}:role/edgeward-platform*")
trust = policy({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{VENDOR}:root"}, "Action": "sts:AssumeRole"})
role = iam_v.create_role(RoleName=ROLE, AssumeRolePolicyDocument=trust)["Role"]
iam_v.create_role(RoleName=BARE_ROLE, AssumeRolePolicyDocument=trust)
# The identity policy is wider than the bucket policy (any key, deletes, any listing):
# whatever the bucket policy does not also allow stays denied.
IDENTITY = policy(
    {"Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"], "Resource": f"arn:aws:s3:::{BUCKET}/*"},
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}"})
iam_v.put_role_policy(RoleName=ROLE, PolicyName="customer-results", PolicyDocument=IDENTITY)

# The customer side: the bucket and its policy, naming both vendor roles.
c.create_bucket(Bucket=BUCKET)
BUCKET_POLICY = policy(
    {"Sid": "VendorResults", "Effect": "Allow", "Principal": {"AWS": [ROLE_ARN, f"arn:aws:iam::{VENDOR}:role/{BARE_ROLE}"]},
     "Action": ["s3:PutObject", "s3:GetObject"], "Resource": f"arn:aws:s3:::{BUCKET}/results/*"},
    {"Sid": "VendorListsResults", "Effect": "Allow", "Principal": {"AWS": ROLE_ARN},
     "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{BUCKET}",
     "Condition": {"StringLike": {"s3:prefix": "results/*"}}})
c.put_bucket_policy(Bucket=BUCKET, Policy=BUCKET_POLICY)
c.put_object(Bucket=BUCKET, Key="private/customer.txt", Body=b"customer only")
c.put_object(Bucket=BUCKET, Key="results/from-customer.txt", Body=b"for the vendor")


def assume(role_name, session):
    out = op_sts.assume_role(RoleArn=f"arn:aws:iam::{VENDOR}:role/{role_name}", RoleSessionName=session)
    return out["Credentials"], out["AssumedRoleUser"]


creds, assumed = assume(ROLE, SESSION)
SESSION_ARN = f"arn:aws:sts::{VENDOR}:assumed-role/{ROLE}/{SESSION}"
assert assumed["Arn"] == SESSION_ARN, assumed
vendor = s3(creds=creds)
RESULT = b'{"job": "42", "status": "done"}'
run = Sections("s3_cross_account")


@run
def objects_in_the_prefix():
    out = vendor.put_object(Bucket=BUCKET, Key="results/job-42.json", Body=RESULT, ContentType="application/json")
    assert out["ETag"] and out["ResponseMetadata"]["HTTPStatusCode"] == 200, out
    got = vendor.get_object(Bucket=BUCKET, Key="results/job-42.json")
    assert got["Body"].read() == RESULT and got["ContentType"] == "application/json"
    assert vendor.head_object(Bucket=BUCKET, Key="results/job-42.json")["ContentLength"] == len(RESULT)
    assert vendor.get_object(Bucket=BUCKET, Key="results/from-customer.txt")["Body"].read() == b"for the vendor"
    # The bucket owner reads what the vendor wrote.
    assert c.get_object(Bucket=BUCKET, Key="results/job-42.json")["Body"].read() == RESULT


@run
def keys_outside_the_prefix_and_other_actions():
    code, status, message, _ = err(vendor.put_object, Bucket=BUCKET, Key="other/job-42.json", Body=RESULT)
    assert (code, status) == ("AccessDenied", 403), (code, status, message)
    assert code_status(c.head_object, Bucket=BUCKET, Key="other/job-42.json") == ("404", 404)
    assert code_status(vendor.get_object, Bucket=BUCKET, Key="private/customer.txt") == ("AccessDenied", 403)
    # A prefix look-alike is outside results/*.
    assert code_status(vendor.put_object, Bucket=BUCKET, Key="results-evil/x", Body=b"x") == ("AccessDenied", 403)
    # The identity policy allows deletes; the bucket policy does not.
    assert code_status(vendor.delete_object, Bucket=BUCKET, Key="results/from-customer.txt") == ("AccessDenied", 403)
    assert c.get_object(Bucket=BUCKET, Key="results/from-customer.txt")["Body"].read() == b"for the vendor"
    # Nor bucket configuration.
    assert code_status(vendor.get_bucket_policy, Bucket=BUCKET) == ("AccessDenied", 403)
    assert code_status(vendor.put_bucket_policy, Bucket=BUCKET, Policy=BUCKET_POLICY) == ("AccessDenied", 403)
    assert code_status(vendor.delete_bucket, Bucket=BUCKET) == ("AccessDenied", 403)


@run
def the_identity_policy_is_needed_too():
    # A role the bucket policy names but whose own policies grant nothing.
    bare_creds, _ = assume(BARE_ROLE, "edge-job-bare")
    bare = s3(creds=bare_creds)
    code, status, message, _ = err(bare.put_object, Bucket=BUCKET, Key="results/bare.json", Body=b"x")
    assert (code, status) == ("AccessDenied", 403), (code, status, message)
    assert code_status(bare.get_object, Bucket=BUCKET, Key="results/from-customer.txt") == ("AccessDenied", 403)
    # Taking the identity policy away from the platform role denies at once; back, allows.
    iam_v.delete_role_policy(RoleName=ROLE, PolicyName="customer-results")
    assert code_status(vendor.put_object, Bucket=BUCKET, Key="results/job-43.json", Body=b"x") == ("AccessDenied", 403)
    assert code_status(vendor.get_object, Bucket=BUCKET, Key="results/from-customer.txt") == ("AccessDenied", 403)
    iam_v.put_role_policy(RoleName=ROLE, PolicyName="customer-results", PolicyDocument=IDENTITY)
    assert vendor.put_object(Bucket=BUCKET, Key="results/job-43.json", Body=b"43")["ETag"]
    assert vendor.get_object(Bucket=BUCKET, Key="results/job-43.json")["Body"].read() == b"43"


@run
def the_bucket_policy_is_needed_too():
    c.delete_bucket_policy(Bucket=BUCKET)
    try:
        assert code_status(vendor.put_object, Bucket=BUCKET, Key="results/job-44.json", Body=b"x") == ("AccessDenied", 403)
        assert code_status(vendor.get_object, Bucket=BUCKET, Key="results/job-42.json") == ("AccessDenied", 403)
        # A same-account principal with only an identity policy is allowed (no bucket policy needed).
        iam_c = client("iam", CUSTOMER)
        iam_c.create_user(UserName="customer-reader")
        iam_c.put_user_policy(UserName="customer-reader", PolicyName="read", PolicyDocument=policy(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/results/*"}))
        k = iam_c.create_access_key(UserName="customer-reader")["AccessKey"]
        reader = s3(creds={"AccessKeyId": k["AccessKeyId"], "SecretAccessKey": k["SecretAccessKey"], "SessionToken": None})
        assert reader.get_object(Bucket=BUCKET, Key="results/job-42.json")["Body"].read() == RESULT
        assert code_status(reader.get_object, Bucket=BUCKET, Key="private/customer.txt") == ("AccessDenied", 403)
    finally:
        c.put_bucket_policy(Bucket=BUCKET, Policy=BUCKET_POLICY)
    assert vendor.get_object(Bucket=BUCKET, Key="results/job-42.json")["Body"].read() == RESULT


@run
def list_bucket_with_a_prefix_condition():
    out = vendor.list_objects_v2(Bucket=BUCKET, Prefix="results/")
    keys = [o["Key"] for o in out.get("Contents", [])]
    assert "results/job-42.json" in keys and "results/from-customer.txt" in keys, keys
    assert all(k.startswith("results/") for k in keys), keys
    assert code_status(vendor.list_objects_v2, Bucket=BUCKET, Prefix="private/") == ("AccessDenied", 403)
    assert code_status(vendor.list_objects_v2, Bucket=BUCKET) == ("AccessDenied", 403)
    assert code_status(vendor.list_objects, Bucket=BUCKET, Prefix="other/") == ("AccessDenied", 403)
    assert [o["Key"] for o in vendor.list_objects(Bucket=BUCKET, Prefix="results/job-4").get("Contents", [])] == [
        k for k in sorted(keys) if k.startswith("results/job-4")]


@run
def both_trails_hold_the_calls():
    def mine(account, name):
        return [e for e in events(account, name) if e["userIdentity"].get("arn") == SESSION_ARN]

    puts_c = mine(CUSTOMER, "PutObject")
    ok = [e for e in puts_c if e["requestParameters"].get("key") == "results/job-42.json" and not e.get("errorCode")]
    assert len(ok) == 1, [(e["requestParameters"], e.get("errorCode")) for e in puts_c]
    e = ok[0]
    ui = e["userIdentity"]
    assert ui["type"] == "AssumedRole" and ui["accountId"] == VENDOR and ui["accessKeyId"] == creds["AccessKeyId"], ui
    assert ui["principalId"] == f"{role['RoleId']}:{SESSION}", ui
    assert ui["sessionContext"]["sessionIssuer"] == {"type": "Role", "principalId": role["RoleId"], "arn": ROLE_ARN,
                                                     "accountId": VENDOR, "userName": ROLE}, ui["sessionContext"]
    assert e["eventSource"] == "s3.amazonaws.com" and e["recipientAccountId"] == CUSTOMER, e
    assert e["requestParameters"]["bucketName"] == BUCKET, e["requestParameters"]
    assert e["eventCategory"] == "Data" and e["managementEvent"] is False and e["readOnly"] is False, e
    assert {"ARN": f"arn:aws:s3:::{BUCKET}/results/job-42.json", "type": "AWS::S3::Object", "accountId": CUSTOMER} in e["resources"], e["resources"]
    assert e.get("sharedEventID"), e
    # The vendor's own trail has the same call (same sharedEventID, its own eventID).
    twin = [x for x in mine(VENDOR, "PutObject") if x.get("sharedEventID") == e["sharedEventID"]]
    assert len(twin) == 1 and twin[0]["recipientAccountId"] == VENDOR and twin[0]["eventID"] != e["eventID"], twin
    assert twin[0]["requestParameters"] == e["requestParameters"] and twin[0]["userIdentity"] == ui
    # Denials are in both trails too.
    denied = [x for x in puts_c if x["requestParameters"].get("key") == "other/job-42.json"]
    assert len(denied) == 1 and denied[0]["errorCode"] == "AccessDenied", denied
    assert any(x["requestParameters"].get("key") == "other/job-42.json" and x.get("errorCode") == "AccessDenied"
               for x in mine(VENDOR, "PutObject"))
    # Reads are read-only data events.
    gets = [x for x in mine(CUSTOMER, "GetObject") if x["requestParameters"].get("key") == "results/job-42.json" and not x.get("errorCode")]
    assert gets and all(x["readOnly"] is True and x["eventCategory"] == "Data" for x in gets), gets
    # The customer's own calls are not shared events.
    own = [x for x in events(CUSTOMER, "PutObject") if x["userIdentity"]["accountId"] == CUSTOMER]
    assert own and all("sharedEventID" not in x or x["sharedEventID"] is None for x in own), own[:1]


run.done()
