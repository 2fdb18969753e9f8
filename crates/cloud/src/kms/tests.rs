//! KMS operations called directly (no HTTP): cryptography, key states, policies, grants,
//! forward access and its trail events.

use std::collections::BTreeMap;
use std::sync::Arc;

use edgeward_policy::PolicyKind;
use serde_json::{json, Value};

use super::*;
use crate::call::{Call, TrailDraft};
use crate::identity::{Caller, CallerKind};
use crate::state::{PolicyDoc, Role};
use crate::store::Batch;
use crate::Cloud;

const VENDOR: &str = "111111111111";
const CUSTOMER: &str = "222222222222";

fn cloud() -> Arc<Cloud> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    crate::test_cloud(&rt, &[VENDOR, CUSTOMER], false)
}

fn root(account: &str) -> Caller {
    Caller::root(account, "AKIAEXAMPLE")
}

/// A session of a role that exists in `account` with the given inline policy.
fn role_session(cloud: &Cloud, account: &str, name: &str, policy: Value) -> Caller {
    let role_arn = format!("arn:aws:iam::{account}:role/{name}");
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{account}:root")}, "Action": "sts:AssumeRole"}]});
    let mut inline = BTreeMap::new();
    inline.insert("p".to_string(), PolicyDoc::new(&policy.to_string(), PolicyKind::Identity, None).unwrap());
    let role = Role {
        name: name.into(),
        path: "/".into(),
        id: "AROAEXAMPLE".into(),
        arn: role_arn.clone(),
        created: 0,
        trust: PolicyDoc::new(&trust.to_string(), PolicyKind::Trust, None).unwrap(),
        description: None,
        max_session_duration: 3600,
        inline,
        attached: Vec::new(),
        boundary: None,
        tags: Vec::new(),
    };
    cloud.write_state().iam.entry(account.into()).or_default().roles.insert(name.to_ascii_lowercase(), role);
    Caller {
        account: account.into(),
        arn: format!("arn:aws:sts::{account}:assumed-role/{name}/s"),
        kind: CallerKind::AssumedRole {
            role_name: name.into(),
            role_arn,
            role_id: "AROAEXAMPLE".into(),
            session_name: "s".into(),
            session_tags: Vec::new(),
            transitive_tag_keys: Vec::new(),
            chained: false,
        },
        access_key_id: "ASIAEXAMPLE".into(),
        session_token_issued: Some(0),
        source_identity: None,
        session_policy: None,
        session_policy_arns: Vec::new(),
    }
}

fn call<'a>(cloud: &'a Cloud, caller: Caller, now: i64) -> Call<'a> {
    Call {
        cloud,
        request_id: crate::ids::uuid(),
        service: "kms",
        operation: String::new(),
        region: "us-east-1".into(),
        source_ip: "127.0.0.1".into(),
        user_agent: "test".into(),
        now,
        caller,
        batch: Batch::default(),
        trail: TrailDraft::default(),
        enforce: true,
        due: Vec::new(),
    }
}

/// Runs one operation as `caller` through the JSON mapping.
fn run(cloud: &Cloud, caller: &Caller, op: &str, input: Value) -> Result<Value, crate::error::AwsError> {
    run_at(cloud, caller, op, input, 1_800_000_000)
}

fn run_at(cloud: &Cloud, caller: &Caller, op: &str, input: Value, now: i64) -> Result<Value, crate::error::AwsError> {
    run_call_at(cloud, caller, op, input, now).0
}

/// Runs one operation as `http::dispatch` does: a read-only one under the read lock first
/// (it must stage no state change), then on the write path if it found a change due.
/// Returns the call too (its trail draft and batch).
fn run_call_at<'a>(cloud: &'a Cloud, caller: &Caller, op: &str, input: Value, now: i64) -> (Result<Value, crate::error::AwsError>, Call<'a>) {
    let mut c = call(cloud, caller.clone(), now);
    c.operation = op.into();
    if reads_only(op) {
        let r = handle_read(&mut c, op, &input);
        assert!(c.batch.ops.is_empty(), "{op} changed state on the read path");
        if c.due.is_empty() {
            return (r, c);
        }
        c = call(cloud, caller.clone(), now);
        c.operation = op.into();
    }
    let r = handle(&mut c, op, &input);
    assert!(c.due.is_empty(), "{op} left a due change unmade");
    (r, c)
}

fn code(r: Result<Value, crate::error::AwsError>) -> String {
    r.expect_err("an error was expected").code.to_string()
}

fn b64(b: &[u8]) -> String {
    crypto::base64::encode(b)
}

fn create(cloud: &Cloud, caller: &Caller, input: Value) -> String {
    run(cloud, caller, "CreateKey", input).unwrap()["KeyMetadata"]["Arn"].as_str().unwrap().to_string()
}

#[test]
fn encrypt_decrypt_with_context_and_without_key_id() {
    let cloud = cloud();
    let me = root(CUSTOMER);
    let arn = create(&cloud, &me, json!({}));
    let ctx = json!({"purpose": "test", "a": "b"});
    let enc = run(&cloud, &me, "Encrypt", json!({"KeyId": arn, "Plaintext": b64(b"hello"), "EncryptionContext": ctx})).unwrap();
    let blob = enc["CiphertextBlob"].as_str().unwrap();
    let dec = run(&cloud, &me, "Decrypt", json!({"CiphertextBlob": blob, "EncryptionContext": ctx})).unwrap();
    assert_eq!(dec["Plaintext"], b64(b"hello"));
    assert_eq!(dec["KeyId"], arn);
    assert_eq!(code(run(&cloud, &me, "Decrypt", json!({"CiphertextBlob": blob, "EncryptionContext": {"purpose": "other", "a": "b"}}))), "InvalidCiphertextException");
    assert_eq!(code(run(&cloud, &me, "Decrypt", json!({"CiphertextBlob": blob}))), "InvalidCiphertextException");
    let other = create(&cloud, &me, json!({}));
    assert_eq!(code(run(&cloud, &me, "Decrypt", json!({"CiphertextBlob": blob, "KeyId": other, "EncryptionContext": ctx}))), "IncorrectKeyException");
    // No plaintext material in the stored record.
    let st = cloud.read_state();
    let key = &st.kms.keys[&arn];
    let material = st.kms.material(&cloud.kms_root, key, &key.current().id).unwrap();
    let record = serde_json::to_string(key).unwrap();
    assert!(!record.contains(&hex::encode(material.as_slice())));
}

#[test]
fn aliases_and_key_states() {
    let cloud = cloud();
    let me = root(CUSTOMER);
    let arn = create(&cloud, &me, json!({"Description": "d"}));
    run(&cloud, &me, "CreateAlias", json!({"AliasName": "alias/app", "TargetKeyId": arn})).unwrap();
    assert_eq!(code(run(&cloud, &me, "CreateAlias", json!({"AliasName": "alias/app", "TargetKeyId": arn}))), "AlreadyExistsException");
    let enc = run(&cloud, &me, "Encrypt", json!({"KeyId": "alias/app", "Plaintext": b64(b"x")})).unwrap();
    let alias_arn = format!("arn:aws:kms:us-east-1:{CUSTOMER}:alias/app");
    run(&cloud, &me, "Encrypt", json!({"KeyId": alias_arn, "Plaintext": b64(b"x")})).unwrap();
    assert_eq!(code(run(&cloud, &me, "EnableKeyRotation", json!({"KeyId": "alias/app"}))), "NotFoundException");
    run(&cloud, &me, "DisableKey", json!({"KeyId": arn})).unwrap();
    assert_eq!(code(run(&cloud, &me, "Decrypt", json!({"CiphertextBlob": enc["CiphertextBlob"]}))), "DisabledException");
    run(&cloud, &me, "EnableKey", json!({"KeyId": arn})).unwrap();
    run(&cloud, &me, "Decrypt", json!({"CiphertextBlob": enc["CiphertextBlob"]})).unwrap();
    let now = 1_800_000_000;
    assert_eq!(code(run(&cloud, &me, "ScheduleKeyDeletion", json!({"KeyId": arn, "PendingWindowInDays": 6}))), "ValidationException");
    let out = run_at(&cloud, &me, "ScheduleKeyDeletion", json!({"KeyId": arn, "PendingWindowInDays": 7}), now).unwrap();
    assert_eq!(out["DeletionDate"], now + 7 * 86_400);
    assert_eq!(code(run(&cloud, &me, "Decrypt", json!({"CiphertextBlob": enc["CiphertextBlob"]}))), "KMSInvalidStateException");
    run(&cloud, &me, "CancelKeyDeletion", json!({"KeyId": arn})).unwrap();
    let d = run(&cloud, &me, "DescribeKey", json!({"KeyId": arn})).unwrap();
    assert_eq!(d["KeyMetadata"]["KeyState"], "Disabled");
    run(&cloud, &me, "EnableKey", json!({"KeyId": arn})).unwrap();
    run_at(&cloud, &me, "ScheduleKeyDeletion", json!({"KeyId": arn, "PendingWindowInDays": 7}), now).unwrap();
    // By the request clock: once the window has passed, the key and its alias are gone.
    assert_eq!(code(run_at(&cloud, &me, "DescribeKey", json!({"KeyId": arn}), now + 7 * 86_400)), "NotFoundException");
    assert!(cloud.read_state().kms.aliases.is_empty());
}

#[test]
fn rotation_keeps_old_ciphertexts() {
    let cloud = cloud();
    let me = root(CUSTOMER);
    let arn = create(&cloud, &me, json!({}));
    let old = run(&cloud, &me, "Encrypt", json!({"KeyId": arn, "Plaintext": b64(b"v1")})).unwrap();
    run(&cloud, &me, "RotateKeyOnDemand", json!({"KeyId": arn})).unwrap();
    let new = run(&cloud, &me, "Encrypt", json!({"KeyId": arn, "Plaintext": b64(b"v2")})).unwrap();
    assert_eq!(run(&cloud, &me, "Decrypt", json!({"CiphertextBlob": old["CiphertextBlob"]})).unwrap()["Plaintext"], b64(b"v1"));
    let d2 = run(&cloud, &me, "Decrypt", json!({"CiphertextBlob": new["CiphertextBlob"]})).unwrap();
    assert_eq!(d2["Plaintext"], b64(b"v2"));
    let rotations = run(&cloud, &me, "ListKeyRotations", json!({"KeyId": arn})).unwrap();
    assert_eq!(rotations["Rotations"].as_array().unwrap().len(), 1);
    assert_eq!(rotations["Rotations"][0]["RotationType"], "ON_DEMAND");
    run(&cloud, &me, "EnableKeyRotation", json!({"KeyId": arn, "RotationPeriodInDays": 90})).unwrap();
    let s = run(&cloud, &me, "GetKeyRotationStatus", json!({"KeyId": arn})).unwrap();
    assert_eq!(s["KeyRotationEnabled"], true);
    assert_eq!(s["RotationPeriodInDays"], 90);
    // Automatic rotation happens by the request clock.
    run_at(&cloud, &me, "DescribeKey", json!({"KeyId": arn}), 1_800_000_000 + 91 * 86_400).unwrap();
    assert_eq!(cloud.read_state().kms.keys[&arn].materials.len(), 3);
    assert_eq!(run(&cloud, &me, "Decrypt", json!({"CiphertextBlob": old["CiphertextBlob"]})).unwrap()["Plaintext"], b64(b"v1"));
}

/// Runs a read-only operation under the read lock only.
fn read_only_run<'a>(cloud: &'a Cloud, caller: &Caller, op: &str, input: &Value, now: i64) -> (Result<Value, crate::error::AwsError>, Call<'a>) {
    let mut c = call(cloud, caller.clone(), now);
    c.operation = op.into();
    let r = handle_read(&mut c, op, input);
    (r, c)
}

#[test]
fn a_read_leaves_a_due_rotation_to_the_write_path() {
    let cloud = cloud();
    let me = root(CUSTOMER);
    let arn = create(&cloud, &me, json!({}));
    run(&cloud, &me, "EnableKeyRotation", json!({"KeyId": arn, "RotationPeriodInDays": 90})).unwrap();
    let enc = json!({"KeyId": arn, "Plaintext": b64(b"x")});
    let (_, c) = read_only_run(&cloud, &me, "Encrypt", &enc, 1_800_000_000);
    assert!(c.due.is_empty() && c.batch.ops.is_empty());
    // Past the rotation date, the read stops and changes nothing; the write path rotates.
    let later = 1_800_000_000 + 91 * 86_400;
    let (r, c) = read_only_run(&cloud, &me, "Encrypt", &enc, later);
    assert!(r.is_err());
    assert_eq!(c.due, vec![crate::call::Due::Kms(Due::Lifecycle(arn.clone()))]);
    assert!(c.batch.ops.is_empty());
    assert_eq!(cloud.read_state().kms.keys[&arn].materials.len(), 1);
    let mut c = call(&cloud, me.clone(), later);
    c.operation = "Encrypt".into();
    let out = handle(&mut c, "Encrypt", &enc).unwrap();
    assert!(c.due.is_empty());
    assert_eq!(c.batch.ops.len(), 1, "the rotated key's record");
    // Only the run that answered is in the trail: one event.
    assert_eq!(c.trail.resources, vec![(arn.clone(), "AWS::KMS::Key".to_string())]);
    let st = cloud.read_state();
    let key = &st.kms.keys[&arn];
    assert_eq!(key.materials.len(), 2);
    let blob = crypto::parse_blob(&unb64(&out["CiphertextBlob"])).unwrap().material_id.to_string();
    assert_eq!(blob, key.current().id, "encrypted under the new material");
}

#[test]
fn the_aws_managed_key_is_created_by_the_write_path_on_first_use() {
    let cloud = cloud();
    let me = root(CUSTOMER);
    let describe = json!({"KeyId": "alias/aws/s3"});
    let (r, c) = read_only_run(&cloud, &me, "DescribeKey", &describe, 1_800_000_000);
    assert!(r.is_err());
    assert_eq!(c.due, vec![crate::call::Due::Kms(Due::ManagedKey("s3"))]);
    assert!(c.batch.ops.is_empty() && cloud.read_state().kms.keys.is_empty());
    let (r, c) = run_call(&cloud, &me, "DescribeKey", describe.clone());
    let d = r.unwrap();
    assert_eq!(d["KeyMetadata"]["KeyManager"], "AWS");
    assert_eq!(c.batch.ops.len(), 2, "the key and its alias");
    // From then on the read path answers alone.
    let (r, c) = read_only_run(&cloud, &me, "DescribeKey", &describe, 1_800_000_000);
    assert_eq!(r.unwrap()["KeyMetadata"]["Arn"], d["KeyMetadata"]["Arn"]);
    assert!(c.due.is_empty() && c.batch.ops.is_empty());
}

#[test]
fn hmac_keys() {
    let cloud = cloud();
    let me = root(CUSTOMER);
    let arn = create(&cloud, &me, json!({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}));
    let mac = run(&cloud, &me, "GenerateMac", json!({"KeyId": arn, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_256"})).unwrap();
    let ok = run(&cloud, &me, "VerifyMac", json!({"KeyId": arn, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_256", "Mac": mac["Mac"]})).unwrap();
    assert_eq!(ok["MacValid"], true);
    assert_eq!(code(run(&cloud, &me, "VerifyMac", json!({"KeyId": arn, "Message": b64(b"n"), "MacAlgorithm": "HMAC_SHA_256", "Mac": mac["Mac"]}))), "KMSInvalidMacException");
    assert_eq!(code(run(&cloud, &me, "Encrypt", json!({"KeyId": arn, "Plaintext": b64(b"x")}))), "InvalidKeyUsageException");
}

#[test]
fn key_policies_decide_across_accounts_and_grants_add_access() {
    let cloud = cloud();
    let owner = root(CUSTOMER);
    let arn = create(&cloud, &owner, json!({}));
    let enc = run(&cloud, &owner, "Encrypt", json!({"KeyId": arn, "Plaintext": b64(b"x")})).unwrap();
    let vendor = role_session(&cloud, VENDOR, "reader", json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}));
    // The default policy trusts only the owner account: the vendor's own IAM policy is not enough.
    let e = run(&cloud, &vendor, "Decrypt", json!({"CiphertextBlob": enc["CiphertextBlob"]})).unwrap_err();
    assert_eq!(e.code, "AccessDeniedException");
    assert_eq!(e.status, 400);
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "owner", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{CUSTOMER}:root")}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "vendor", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{VENDOR}:root")}, "Action": "kms:Decrypt", "Resource": "*"}
    ]});
    assert_eq!(code(run(&cloud, &owner, "PutKeyPolicy", json!({"KeyId": arn, "Policy": "{"}))), "MalformedPolicyDocumentException");
    run(&cloud, &owner, "PutKeyPolicy", json!({"KeyId": arn, "Policy": policy.to_string()})).unwrap();
    run(&cloud, &vendor, "Decrypt", json!({"CiphertextBlob": enc["CiphertextBlob"]})).unwrap();
    // A vendor role without IAM permission needs a grant.
    let other = role_session(&cloud, VENDOR, "other", json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}));
    assert_eq!(code(run(&cloud, &other, "Decrypt", json!({"CiphertextBlob": enc["CiphertextBlob"]}))), "AccessDeniedException");
    let g = run(
        &cloud,
        &owner,
        "CreateGrant",
        json!({"KeyId": arn, "GranteePrincipal": format!("arn:aws:iam::{VENDOR}:role/other"), "Operations": ["Decrypt"], "Name": "n"}),
    )
    .unwrap();
    let again = run(
        &cloud,
        &owner,
        "CreateGrant",
        json!({"KeyId": arn, "GranteePrincipal": format!("arn:aws:iam::{VENDOR}:role/other"), "Operations": ["Decrypt"], "Name": "n"}),
    )
    .unwrap();
    assert_eq!(g["GrantId"], again["GrantId"]);
    run(&cloud, &other, "Decrypt", json!({"CiphertextBlob": enc["CiphertextBlob"]})).unwrap();
    assert_eq!(code(run(&cloud, &other, "Encrypt", json!({"KeyId": arn, "Plaintext": b64(b"x")}))), "AccessDeniedException");
    run(&cloud, &owner, "RevokeGrant", json!({"KeyId": arn, "GrantId": g["GrantId"]})).unwrap();
    assert_eq!(code(run(&cloud, &other, "Decrypt", json!({"CiphertextBlob": enc["CiphertextBlob"]}))), "AccessDeniedException");
}

#[test]
fn byok_forward_access_only_via_the_service() {
    let cloud = cloud();
    let owner = root(CUSTOMER);
    let vendor = role_session(&cloud, VENDOR, "platform", json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}));
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "owner", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{CUSTOMER}:root")}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "vendor-via-s3", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{VENDOR}:role/platform")},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
         "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com", "aws:PrincipalAccount": VENDOR}}}
    ]});
    let arn = create(&cloud, &owner, json!({"Policy": policy.to_string()}));
    let ctx: BTreeMap<String, String> = [("aws:s3:arn".to_string(), "arn:aws:s3:::bucket/key".to_string())].into();
    let mut c = call(&cloud, vendor.clone(), 1_800_000_000);
    c.service = "s3";
    c.operation = "PutObject".into();
    let blob = {
        let mut st = cloud.write_state();
        encrypt_for(&mut c, &mut st, "s3", Some(&arn), b"object data", &ctx).unwrap()
    };
    assert_eq!(c.service, "s3");
    assert_eq!(c.operation, "PutObject");
    // One event in the vendor's trail, one in the key owner's, both with invokedBy.
    assert_eq!(c.batch.trail.len(), 2);
    for t in &c.batch.trail {
        let e: Value = serde_json::from_slice(&t.event).unwrap();
        assert_eq!(e["eventSource"], "kms.amazonaws.com");
        assert_eq!(e["eventName"], "Encrypt");
        assert_eq!(e["userIdentity"]["invokedBy"], "s3.amazonaws.com");
        assert_eq!(e["sourceIPAddress"], "s3.amazonaws.com");
    }
    let accounts: Vec<&str> = c.batch.trail.iter().map(|t| t.account.as_str()).collect();
    assert!(accounts.contains(&VENDOR) && accounts.contains(&CUSTOMER));
    {
        let mut st = cloud.write_state();
        assert_eq!(decrypt_for(&mut c, &mut st, "s3", &blob, &ctx).unwrap(), b"object data");
        // The same key through another service is denied.
        assert_eq!(decrypt_for(&mut c, &mut st, "secretsmanager", &blob, &ctx).unwrap_err().code, "AccessDeniedException");
    }
    // Direct calls by the vendor role are denied.
    assert_eq!(
        code(run(&cloud, &vendor, "Decrypt", json!({"CiphertextBlob": b64(&blob), "EncryptionContext": ctx}))),
        "AccessDeniedException"
    );
    // The kill switch: disabling the key stops the service path at once.
    run(&cloud, &owner, "DisableKey", json!({"KeyId": arn})).unwrap();
    let mut st = cloud.write_state();
    assert_eq!(decrypt_for(&mut c, &mut st, "s3", &blob, &ctx).unwrap_err().code, "DisabledException");
}

#[test]
fn aws_managed_keys_are_created_on_first_use_and_usable_only_via_their_service() {
    let cloud = cloud();
    let user = role_session(&cloud, CUSTOMER, "app", json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}));
    let mut c = call(&cloud, user.clone(), 1_800_000_000);
    let ctx = BTreeMap::new();
    let blob = {
        let mut st = cloud.write_state();
        encrypt_for(&mut c, &mut st, "secretsmanager", None, b"s3cr3t", &ctx).unwrap()
    };
    let key_arn = ciphertext_key_arn(&blob).unwrap();
    let d = run(&cloud, &user, "DescribeKey", json!({"KeyId": "alias/aws/secretsmanager"})).unwrap();
    assert_eq!(d["KeyMetadata"]["Arn"], key_arn);
    assert_eq!(d["KeyMetadata"]["KeyManager"], "AWS");
    // Direct use is denied by its fixed key policy.
    assert_eq!(code(run(&cloud, &user, "Decrypt", json!({"CiphertextBlob": b64(&blob)}))), "AccessDeniedException");
    let mut st = cloud.write_state();
    assert_eq!(decrypt_for(&mut c, &mut st, "secretsmanager", &blob, &ctx).unwrap(), b"s3cr3t");
    // Another account's principal cannot use it even via the service.
    let mut v = call(&cloud, root(VENDOR), 1_800_000_000);
    assert_eq!(decrypt_for(&mut v, &mut st, "secretsmanager", &blob, &ctx).unwrap_err().code, "AccessDeniedException");
}

#[test]
fn encryption_context_condition_keys() {
    let cloud = cloud();
    let owner = root(CUSTOMER);
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{CUSTOMER}:root")}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Deny", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*",
         "Condition": {"StringNotEquals": {"kms:EncryptionContext:tenant": "t1"}}}
    ]});
    let arn = create(&cloud, &owner, json!({"Policy": policy.to_string()}));
    run(&cloud, &owner, "Encrypt", json!({"KeyId": arn, "Plaintext": b64(b"x"), "EncryptionContext": {"tenant": "t1"}})).unwrap();
    let (denied, call) = run_call(&cloud, &owner, "Encrypt", json!({"KeyId": arn, "Plaintext": b64(b"x"), "EncryptionContext": {"tenant": "t2"}}));
    assert_eq!(code(denied), "AccessDeniedException");
    // The one KMS key the policy reads reached the decision, made only because it was read.
    let [(_, decision)] = &call.batch.decisions[..] else { panic!("one decision recorded: {:?}", call.batch.decisions.len()) };
    let decision: Value = serde_json::from_slice(decision).unwrap();
    let deny = &decision["explanation"]["policies"][0]["statements"][1]["conditions"][0];
    assert_eq!((&deny["key"], &deny["actual"]), (&json!("kms:EncryptionContext:tenant"), &json!(["t2"])), "{decision}");
}

/// Runs one operation and returns the call too (its trail draft).
fn run_call<'a>(cloud: &'a Cloud, caller: &Caller, op: &str, input: Value) -> (Result<Value, crate::error::AwsError>, Call<'a>) {
    run_call_at(cloud, caller, op, input, 1_800_000_000)
}

fn unb64(v: &Value) -> Vec<u8> {
    crypto::base64::decode(v.as_str().unwrap()).unwrap()
}

fn sha256(b: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(b).to_vec()
}

fn signing_key(cloud: &Cloud, me: &Caller) -> String {
    create(cloud, me, json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"}))
}

#[test]
fn ecc_p256_keys_are_created_and_described_as_aws_does() {
    let cloud = cloud();
    let me = root(CUSTOMER);
    let k = run(&cloud, &me, "CreateKey", json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY", "Description": "signer"})).unwrap()["KeyMetadata"].clone();
    assert_eq!(k["KeySpec"], "ECC_NIST_P256");
    assert_eq!(k["CustomerMasterKeySpec"], "ECC_NIST_P256");
    assert_eq!(k["KeyUsage"], "SIGN_VERIFY");
    assert_eq!(k["SigningAlgorithms"], json!(["ECDSA_SHA_256"]));
    assert!(k.get("EncryptionAlgorithms").is_none() && k.get("MacAlgorithms").is_none() && k.get("CurrentKeyMaterialId").is_none());
    // The legacy parameter name works the same way.
    let legacy = run(&cloud, &me, "CreateKey", json!({"CustomerMasterKeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"})).unwrap();
    let d = run(&cloud, &me, "DescribeKey", json!({"KeyId": legacy["KeyMetadata"]["KeyId"]})).unwrap()["KeyMetadata"].clone();
    assert_eq!((d["KeySpec"].as_str(), d["SigningAlgorithms"][0].as_str()), (Some("ECC_NIST_P256"), Some("ECDSA_SHA_256")));
    // Symmetric keys keep EncryptionAlgorithms and CurrentKeyMaterialId, and no SigningAlgorithms.
    let sym = run(&cloud, &me, "CreateKey", json!({})).unwrap()["KeyMetadata"].clone();
    assert!(sym.get("SigningAlgorithms").is_none() && sym["CurrentKeyMaterialId"].is_string());

    let e = run(&cloud, &me, "CreateKey", json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "ENCRYPT_DECRYPT"})).unwrap_err();
    assert_eq!((e.code.as_ref(), e.message.as_str()), ("ValidationException", "KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec ECC_NIST_P256"));
    let e = run(&cloud, &me, "CreateKey", json!({"KeySpec": "ECC_NIST_P256"})).unwrap_err();
    assert_eq!((e.code.as_ref(), e.message.as_str()), ("ValidationException", "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."));
    for spec in ["RSA_2048", "RSA_4096", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "SM2", "ML_DSA_65", "ECC_NIST_EDWARDS25519"] {
        let e = run(&cloud, &me, "CreateKey", json!({"KeySpec": spec, "KeyUsage": "SIGN_VERIFY"})).unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (501, "NotImplemented"), "{spec}");
        assert!(e.message.contains(spec), "{}", e.message);
    }
    let e = run(&cloud, &me, "CreateKey", json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "KEY_AGREEMENT"})).unwrap_err();
    assert_eq!(e.status, 501);
    assert_eq!(code(run(&cloud, &me, "CreateKey", json!({"KeySpec": "RSA_2048", "KeyUsage": "KEY_AGREEMENT"}))), "ValidationException");
    assert_eq!(code(run(&cloud, &me, "CreateKey", json!({"KeySpec": "ECC_NIST_P257", "KeyUsage": "SIGN_VERIFY"}))), "ValidationException");
}

#[test]
fn sign_and_verify_raw_and_digest_with_the_public_key() {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    use p256::pkcs8::DecodePublicKey;
    let cloud = cloud();
    let me = root(CUSTOMER);
    let arn = signing_key(&cloud, &me);
    run(&cloud, &me, "CreateAlias", json!({"AliasName": "alias/signer", "TargetKeyId": arn})).unwrap();
    let pk = run(&cloud, &me, "GetPublicKey", json!({"KeyId": "alias/signer"})).unwrap();
    assert_eq!(pk["KeyId"], arn);
    assert_eq!((pk["KeySpec"].as_str(), pk["CustomerMasterKeySpec"].as_str(), pk["KeyUsage"].as_str()), (Some("ECC_NIST_P256"), Some("ECC_NIST_P256"), Some("SIGN_VERIFY")));
    assert_eq!(pk["SigningAlgorithms"], json!(["ECDSA_SHA_256"]));
    assert!(pk.get("EncryptionAlgorithms").is_none());
    let public = p256::ecdsa::VerifyingKey::from_public_key_der(&unb64(&pk["PublicKey"])).unwrap();

    let msg = b"the message";
    let s = run(&cloud, &me, "Sign", json!({"KeyId": arn, "Message": b64(msg), "SigningAlgorithm": "ECDSA_SHA_256"})).unwrap();
    assert_eq!((s["KeyId"].as_str(), s["SigningAlgorithm"].as_str()), (Some(arn.as_str()), Some("ECDSA_SHA_256")));
    let sig = p256::ecdsa::DerSignature::from_bytes(&unb64(&s["Signature"])).unwrap();
    public.verify_prehash(&sha256(msg), &sig).unwrap();
    // A DIGEST is signed as given: the same signature verifies the raw message and its digest.
    let d = run(&cloud, &me, "Sign", json!({"KeyId": "alias/signer", "Message": b64(&sha256(msg)), "MessageType": "DIGEST", "SigningAlgorithm": "ECDSA_SHA_256"})).unwrap();
    let dsig = p256::ecdsa::DerSignature::from_bytes(&unb64(&d["Signature"])).unwrap();
    public.verify_prehash(&sha256(msg), &dsig).unwrap();
    let ok = run(&cloud, &me, "Verify", json!({"KeyId": arn, "Message": b64(msg), "Signature": d["Signature"], "SigningAlgorithm": "ECDSA_SHA_256"})).unwrap();
    assert_eq!(ok, json!({"KeyId": arn, "SignatureValid": true, "SigningAlgorithm": "ECDSA_SHA_256"}));
    run(&cloud, &me, "Verify", json!({"KeyId": arn, "Message": b64(&sha256(msg)), "MessageType": "DIGEST", "Signature": s["Signature"], "SigningAlgorithm": "ECDSA_SHA_256"})).unwrap();
    // A bad signature, another message, a digest hashed again: KMSInvalidSignatureException.
    for (m, t, sg) in [(b64(b"other"), "RAW", s["Signature"].clone()), (b64(&sha256(msg)), "RAW", s["Signature"].clone()), (b64(msg), "RAW", json!(b64(b"garbage")))] {
        let e = run(&cloud, &me, "Verify", json!({"KeyId": arn, "Message": m, "MessageType": t, "Signature": sg, "SigningAlgorithm": "ECDSA_SHA_256"})).unwrap_err();
        assert_eq!((e.status, e.code.as_ref(), e.message.as_str()), (400, "KMSInvalidSignatureException", ""));
    }
    // Validation.
    let e = run(&cloud, &me, "Sign", json!({"KeyId": arn, "Message": b64(&[1; 31]), "MessageType": "DIGEST", "SigningAlgorithm": "ECDSA_SHA_256"})).unwrap_err();
    assert_eq!((e.code.as_ref(), e.message.as_str()), ("ValidationException", "Digest is invalid length for algorithm ECDSA_SHA_256."));
    assert_eq!(code(run(&cloud, &me, "Sign", json!({"KeyId": arn, "Message": b64(&[1; 4097]), "SigningAlgorithm": "ECDSA_SHA_256"}))), "ValidationException");
    assert_eq!(code(run(&cloud, &me, "Sign", json!({"KeyId": arn, "Message": "", "SigningAlgorithm": "ECDSA_SHA_256"}))), "ValidationException");
    assert_eq!(code(run(&cloud, &me, "Sign", json!({"KeyId": arn, "Message": b64(msg), "SigningAlgorithm": "NOPE"}))), "ValidationException");
    assert_eq!(code(run(&cloud, &me, "Sign", json!({"KeyId": arn, "Message": b64(msg)}))), "ValidationException");
    assert_eq!(code(run(&cloud, &me, "Verify", json!({"KeyId": arn, "Message": b64(msg), "Signature": "", "SigningAlgorithm": "ECDSA_SHA_256"}))), "ValidationException");
    let e = run(&cloud, &me, "Sign", json!({"KeyId": arn, "Message": b64(msg), "SigningAlgorithm": "ECDSA_SHA_384"})).unwrap_err();
    assert_eq!((e.code.as_ref(), e.message.as_str()), ("InvalidKeyUsageException", "Algorithm ECDSA_SHA_384 is incompatible with key spec ECC_NIST_P256."));
    assert_eq!(code(run(&cloud, &me, "Sign", json!({"KeyId": arn, "Message": b64(msg), "SigningAlgorithm": "RSASSA_PSS_SHA_256"}))), "InvalidKeyUsageException");
    assert_eq!(code(run(&cloud, &me, "Sign", json!({"KeyId": arn, "Message": b64(msg), "SigningAlgorithm": "ECDSA_SHA_256", "DryRun": true}))), "DryRunOperationException");
}

#[test]
fn key_usage_states_and_rotation_of_signing_keys() {
    let cloud = cloud();
    let me = root(CUSTOMER);
    let arn = signing_key(&cloud, &me);
    let sym = create(&cloud, &me, json!({}));
    let mac = create(&cloud, &me, json!({"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"}));
    let e = run(&cloud, &me, "Encrypt", json!({"KeyId": arn, "Plaintext": b64(b"x")})).unwrap_err();
    assert_eq!((e.code.as_ref(), e.message.clone()), ("InvalidKeyUsageException", format!("{arn} key usage is SIGN_VERIFY which is not valid for Encrypt.")));
    assert_eq!(code(run(&cloud, &me, "GenerateDataKey", json!({"KeyId": arn, "KeySpec": "AES_256"}))), "InvalidKeyUsageException");
    assert_eq!(code(run(&cloud, &me, "GenerateMac", json!({"KeyId": arn, "Message": b64(b"m"), "MacAlgorithm": "HMAC_SHA_256"}))), "InvalidKeyUsageException");
    assert_eq!(code(run(&cloud, &me, "GenerateDataKeyPair", json!({"KeyId": arn, "KeyPairSpec": "ECC_NIST_P256"}))), "InvalidKeyUsageException");
    let e = run(&cloud, &me, "Sign", json!({"KeyId": sym, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_256"})).unwrap_err();
    assert_eq!((e.code.as_ref(), e.message.clone()), ("InvalidKeyUsageException", format!("{sym} key usage is ENCRYPT_DECRYPT which is not valid for Sign.")));
    let e = run(&cloud, &me, "Verify", json!({"KeyId": mac, "Message": b64(b"m"), "Signature": b64(b"s"), "SigningAlgorithm": "ECDSA_SHA_256"})).unwrap_err();
    assert_eq!(e.message, format!("{mac} key usage is GENERATE_VERIFY_MAC which is not valid for Verify."));
    assert_eq!(code(run(&cloud, &me, "GetPublicKey", json!({"KeyId": sym}))), "UnsupportedOperationException");
    // Rotation is for symmetric encryption keys only: AWS's error has no message.
    for op in ["EnableKeyRotation", "RotateKeyOnDemand", "DisableKeyRotation"] {
        let e = run(&cloud, &me, op, json!({"KeyId": arn})).unwrap_err();
        assert_eq!((e.code.as_ref(), e.message.as_str()), ("UnsupportedOperationException", ""), "{op}");
    }
    assert_eq!(run(&cloud, &me, "GetKeyRotationStatus", json!({"KeyId": arn})).unwrap()["KeyRotationEnabled"], false);
    // Key states.
    let sign = json!({"KeyId": arn, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_256"});
    let sig = run(&cloud, &me, "Sign", sign.clone()).unwrap()["Signature"].clone();
    let verify = json!({"KeyId": arn, "Message": b64(b"m"), "Signature": sig, "SigningAlgorithm": "ECDSA_SHA_256"});
    run(&cloud, &me, "DisableKey", json!({"KeyId": arn})).unwrap();
    for (op, input) in [("Sign", &sign), ("Verify", &verify), ("GetPublicKey", &json!({"KeyId": arn}))] {
        assert_eq!(code(run(&cloud, &me, op, input.clone())), "DisabledException", "{op}");
    }
    run(&cloud, &me, "EnableKey", json!({"KeyId": arn})).unwrap();
    run(&cloud, &me, "Verify", verify.clone()).unwrap();
    run(&cloud, &me, "TagResource", json!({"KeyId": arn, "Tags": [{"TagKey": "t", "TagValue": "v"}]})).unwrap();
    run(&cloud, &me, "ScheduleKeyDeletion", json!({"KeyId": arn, "PendingWindowInDays": 7})).unwrap();
    for (op, input) in [("Sign", &sign), ("Verify", &verify), ("GetPublicKey", &json!({"KeyId": arn}))] {
        assert_eq!(code(run(&cloud, &me, op, input.clone())), "KMSInvalidStateException", "{op}");
    }
    run(&cloud, &me, "CancelKeyDeletion", json!({"KeyId": arn})).unwrap();
    run(&cloud, &me, "EnableKey", json!({"KeyId": arn})).unwrap();
    run(&cloud, &me, "Verify", verify).unwrap();
    // UpdateAlias keeps an alias on keys of one type.
    run(&cloud, &me, "CreateAlias", json!({"AliasName": "alias/s", "TargetKeyId": arn})).unwrap();
    assert_eq!(code(run(&cloud, &me, "UpdateAlias", json!({"AliasName": "alias/s", "TargetKeyId": sym}))), "ValidationException");
    run(&cloud, &me, "UpdateAlias", json!({"AliasName": "alias/s", "TargetKeyId": signing_key(&cloud, &me)})).unwrap();
}

#[test]
fn signing_keys_are_wrapped_at_rest_and_reload_from_their_record() {
    let cloud = cloud();
    let me = root(CUSTOMER);
    let arn = signing_key(&cloud, &me);
    let (key, secret) = {
        let st = cloud.read_state();
        let key = st.kms.keys[&arn].clone();
        let secret = st.kms.material(&cloud.kms_root, &key, &key.current().id).unwrap();
        (key, secret)
    };
    assert_eq!(secret.len(), 32);
    let record = serde_json::to_vec(&key).unwrap();
    let text = String::from_utf8(record.clone()).unwrap();
    assert!(!text.contains(&hex::encode(secret.as_slice())) && !text.contains(&b64(&secret)));
    // A state loaded from the record alone (a restart) unwraps the same secret.
    let mut fresh = KmsState::default();
    fresh.load_record(&format!("kms/key/{arn}"), &record).unwrap();
    let k = &fresh.keys[&arn];
    assert_eq!(fresh.material(&cloud.kms_root, k, &k.current().id).unwrap().as_slice(), secret.as_slice());
    let mut other = KmsState::default();
    other.load_record(&format!("kms/key/{arn}"), &record).unwrap();
    assert!(other.material(&RootKey::from_bytes(&[9; 32]), &other.keys[&arn], &key.current().id).is_none());
}

#[test]
fn key_policies_decide_sign_and_verify_with_condition_keys() {
    let cloud = cloud();
    let owner = root(CUSTOMER);
    let role = role_session(&cloud, CUSTOMER, "signer", json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:*", "Resource": "*"}]}));
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Sid": "owner", "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{CUSTOMER}:root")}, "Action": "kms:*", "Resource": "*"},
        {"Sid": "no-sign", "Effect": "Deny", "Principal": {"AWS": format!("arn:aws:iam::{CUSTOMER}:role/signer")}, "Action": "kms:Sign", "Resource": "*"},
        {"Sid": "digests-only", "Effect": "Deny", "Principal": {"AWS": format!("arn:aws:iam::{CUSTOMER}:role/signer")}, "Action": "kms:Verify", "Resource": "*",
         "Condition": {"StringNotEquals": {"kms:MessageType": "DIGEST"}}},
        // Denies every Verify unless kms:SigningAlgorithm is present and ECDSA_SHA_256.
        {"Sid": "ecdsa-only", "Effect": "Deny", "Principal": "*", "Action": "kms:Verify", "Resource": "*",
         "Condition": {"StringNotEquals": {"kms:SigningAlgorithm": "ECDSA_SHA_256"}}}
    ]});
    let arn = create(&cloud, &owner, json!({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY", "Policy": policy.to_string()}));
    let digest = sha256(b"m");
    let sig = run(&cloud, &owner, "Sign", json!({"KeyId": arn, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_256"})).unwrap()["Signature"].clone();
    assert_eq!(code(run(&cloud, &role, "Sign", json!({"KeyId": arn, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_256"}))), "AccessDeniedException");
    run(&cloud, &role, "Verify", json!({"KeyId": arn, "Message": b64(&digest), "MessageType": "DIGEST", "Signature": sig, "SigningAlgorithm": "ECDSA_SHA_256"})).unwrap();
    // kms:MessageType is RAW when the parameter is omitted.
    assert_eq!(code(run(&cloud, &role, "Verify", json!({"KeyId": arn, "Message": b64(b"m"), "Signature": sig, "SigningAlgorithm": "ECDSA_SHA_256"}))), "AccessDeniedException");
    run(&cloud, &role, "GetPublicKey", json!({"KeyId": arn})).unwrap();
    // A grant adds Sign to a principal the key policy does not name (no explicit deny).
    let other = role_session(&cloud, CUSTOMER, "other", json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}));
    assert_eq!(code(run(&cloud, &other, "Sign", json!({"KeyId": arn, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_256"}))), "AccessDeniedException");
    run(&cloud, &owner, "CreateGrant", json!({"KeyId": arn, "GranteePrincipal": format!("arn:aws:iam::{CUSTOMER}:role/other"), "Operations": ["Sign"]})).unwrap();
    run(&cloud, &other, "Sign", json!({"KeyId": arn, "Message": b64(b"m"), "SigningAlgorithm": "ECDSA_SHA_256"})).unwrap();
}

#[test]
fn data_key_pairs_decrypt_to_their_pkcs8_private_key() {
    use p256::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey};
    let cloud = cloud();
    let me = root(CUSTOMER);
    let sym = create(&cloud, &me, json!({}));
    let ctx = json!({"purpose": "pair"});
    let (out, c) = run_call(&cloud, &me, "GenerateDataKeyPair", json!({"KeyId": sym, "KeyPairSpec": "ECC_NIST_P256", "EncryptionContext": ctx}));
    let out = out.unwrap();
    assert_eq!((out["KeyId"].as_str(), out["KeyPairSpec"].as_str()), (Some(sym.as_str()), Some("ECC_NIST_P256")));
    assert_eq!(out["KeyMaterialId"], run(&cloud, &me, "DescribeKey", json!({"KeyId": sym})).unwrap()["KeyMetadata"]["CurrentKeyMaterialId"]);
    let private = unb64(&out["PrivateKeyPlaintext"]);
    let sk = p256::SecretKey::from_pkcs8_der(&private).unwrap();
    assert_eq!(sk.public_key().to_public_key_der().unwrap().as_bytes(), unb64(&out["PublicKey"]).as_slice());
    p256::PublicKey::from_public_key_der(&unb64(&out["PublicKey"])).unwrap();
    // The trail: parameters without secrets, no response elements, read-only.
    assert_eq!(c.trail.request_parameters, Some(json!({"keyId": sym, "keyPairSpec": "ECC_NIST_P256", "encryptionContext": ctx})));
    assert!(c.trail.response_elements.is_none() && c.trail.read_only);
    let dec = run(&cloud, &me, "Decrypt", json!({"CiphertextBlob": out["PrivateKeyCiphertextBlob"], "EncryptionContext": ctx})).unwrap();
    assert_eq!(unb64(&dec["Plaintext"]), private);
    assert_eq!(code(run(&cloud, &me, "Decrypt", json!({"CiphertextBlob": out["PrivateKeyCiphertextBlob"]}))), "InvalidCiphertextException");
    let w = run(&cloud, &me, "GenerateDataKeyPairWithoutPlaintext", json!({"KeyId": sym, "KeyPairSpec": "ECC_NIST_P256"})).unwrap();
    assert!(w.get("PrivateKeyPlaintext").is_none());
    let dec = run(&cloud, &me, "Decrypt", json!({"CiphertextBlob": w["PrivateKeyCiphertextBlob"]})).unwrap();
    let sk = p256::SecretKey::from_pkcs8_der(&unb64(&dec["Plaintext"])).unwrap();
    assert_eq!(sk.public_key().to_public_key_der().unwrap().as_bytes(), unb64(&w["PublicKey"]).as_slice());
    // Other specs, recipients, dry runs.
    let e = run(&cloud, &me, "GenerateDataKeyPair", json!({"KeyId": sym, "KeyPairSpec": "RSA_2048"})).unwrap_err();
    assert_eq!(e.status, 501);
    assert!(e.message.contains("RSA_2048"));
    assert_eq!(code(run(&cloud, &me, "GenerateDataKeyPair", json!({"KeyId": sym, "KeyPairSpec": "RSA_1024"}))), "ValidationException");
    assert_eq!(run(&cloud, &me, "GenerateDataKeyPair", json!({"KeyId": sym, "KeyPairSpec": "ECC_NIST_P256", "Recipient": {}})).unwrap_err().status, 501);
    assert_eq!(code(run(&cloud, &me, "GenerateDataKeyPair", json!({"KeyId": sym, "KeyPairSpec": "ECC_NIST_P256", "DryRun": true}))), "DryRunOperationException");
    run(&cloud, &me, "DisableKey", json!({"KeyId": sym})).unwrap();
    assert_eq!(code(run(&cloud, &me, "GenerateDataKeyPair", json!({"KeyId": sym, "KeyPairSpec": "ECC_NIST_P256"}))), "DisabledException");
}

#[test]
fn data_key_pairs_need_their_own_permission_on_the_symmetric_key() {
    let cloud = cloud();
    let owner = root(CUSTOMER);
    let sym = create(&cloud, &owner, json!({}));
    let app = role_session(&cloud, CUSTOMER, "app", json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:GenerateDataKeyPairWithoutPlaintext", "Resource": "*",
         "Condition": {"StringEquals": {"kms:DataKeyPairSpec": "ECC_NIST_P256", "kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}}}]}));
    run(&cloud, &app, "GenerateDataKeyPairWithoutPlaintext", json!({"KeyId": sym, "KeyPairSpec": "ECC_NIST_P256"})).unwrap();
    assert_eq!(code(run(&cloud, &app, "GenerateDataKeyPair", json!({"KeyId": sym, "KeyPairSpec": "ECC_NIST_P256"}))), "AccessDeniedException");
    assert_eq!(code(run(&cloud, &app, "GenerateDataKey", json!({"KeyId": sym, "KeySpec": "AES_256"}))), "AccessDeniedException");
}

#[test]
fn signing_calls_keep_messages_and_signatures_out_of_the_trail() {
    let cloud = cloud();
    let me = root(CUSTOMER);
    let arn = signing_key(&cloud, &me);
    let (s, c) = run_call(&cloud, &me, "Sign", json!({"KeyId": arn, "Message": b64(b"secret message"), "MessageType": "RAW", "SigningAlgorithm": "ECDSA_SHA_256"}));
    let s = s.unwrap();
    assert_eq!(c.trail.request_parameters, Some(json!({"keyId": arn, "messageType": "RAW", "signingAlgorithm": "ECDSA_SHA_256"})));
    assert!(c.trail.read_only && c.trail.response_elements.is_none());
    assert_eq!(c.trail.resources, vec![(arn.clone(), "AWS::KMS::Key".to_string())]);
    let (_, c) = run_call(&cloud, &me, "Verify", json!({"KeyId": arn, "Message": b64(b"secret message"), "Signature": s["Signature"], "SigningAlgorithm": "ECDSA_SHA_256"}));
    assert_eq!(c.trail.request_parameters, Some(json!({"keyId": arn, "signingAlgorithm": "ECDSA_SHA_256"})));
}
