//! Secrets Manager operations called directly (no HTTP), on the read path and the write path
//! as `http::dispatch` runs them (what a read leaves to the write path), and the trail's copy
//! of a request.

use std::sync::Arc;

use serde_json::{json, Value};

use super::*;
use crate::call::{Call, Due as CallDue, TrailDraft};
use crate::identity::Caller;
use crate::store::Batch;
use crate::Cloud;

const ACCOUNT: &str = "222222222222";
const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

fn cloud() -> Arc<Cloud> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    crate::test_cloud(&rt, &[ACCOUNT], false)
}

fn call<'a>(cloud: &'a Cloud, op: &str, now: i64) -> Call<'a> {
    Call {
        cloud,
        request_id: crate::ids::uuid(),
        service: "secretsmanager",
        operation: op.into(),
        region: "us-east-1".into(),
        source_ip: "127.0.0.1".into(),
        user_agent: "test".into(),
        now,
        caller: Caller::root(ACCOUNT, "AKIAEXAMPLE"),
        batch: Batch::default(),
        trail: TrailDraft::default(),
        enforce: true,
        due: Vec::new(),
    }
}

/// A read-only operation under the read lock only.
fn read_run<'a>(cloud: &'a Cloud, op: &str, input: &Value, now: i64) -> (Result<Value, AwsError>, Call<'a>) {
    let mut c = call(cloud, op, now);
    let r = handle_read(&mut c, op, input);
    assert!(c.batch.ops.is_empty(), "{op} changed state on the read path");
    (r, c)
}

/// Any operation on the write path.
fn write_run<'a>(cloud: &'a Cloud, op: &str, input: &Value, now: i64) -> (Result<Value, AwsError>, Call<'a>) {
    let mut c = call(cloud, op, now);
    let r = handle(&mut c, op, input);
    assert!(c.due.is_empty(), "{op} left a due change unmade");
    (r, c)
}

fn last_accessed(cloud: &Cloud, name: &str) -> (Option<i64>, Vec<Option<i64>>) {
    let st = cloud.read_state();
    let s = &st.secrets.secrets[&(ACCOUNT.to_string(), "us-east-1".to_string(), name.to_string())];
    (s.last_accessed, s.versions.iter().map(|v| v.last_accessed).collect())
}

#[test]
fn the_managed_key_is_created_on_first_use_and_reads_record_the_first_access_of_each_day() {
    let cloud = cloud();
    // The first secret without a KmsKeyId creates alias/aws/secretsmanager and its key.
    let (r, c) = write_run(&cloud, "CreateSecret", &json!({"Name": "db", "SecretString": "v1"}), NOW);
    r.unwrap();
    let alias = format!("kms/alias/arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/secretsmanager");
    assert!(c.batch.ops.iter().any(|op| matches!(op, crate::store::Op::Put { key, .. } if *key == alias)));
    assert_eq!(last_accessed(&cloud, "db"), (None, vec![None]));

    // The first read of the day stops on the read path, changing nothing…
    let get = json!({"SecretId": "db"});
    let (r, c) = read_run(&cloud, "GetSecretValue", &get, NOW);
    assert!(r.is_err());
    let key = (ACCOUNT.to_string(), "us-east-1".to_string(), "db".to_string());
    let version = cloud.read_state().secrets.secrets[&key].versions[0].id.clone();
    assert_eq!(c.due, vec![CallDue::Secrets(Due::Accessed { secret: key.clone(), version })]);
    assert_eq!(last_accessed(&cloud, "db"), (None, vec![None]));
    // …and the write path answers and records the day, with the forwarded Decrypt traced once.
    let (r, c) = write_run(&cloud, "GetSecretValue", &get, NOW);
    assert_eq!(r.unwrap()["SecretString"], "v1");
    assert_eq!(c.batch.ops.len(), 1, "the secret's record");
    assert_eq!(c.batch.trail.len(), 1, "one forwarded KMS event");
    let today = NOW - NOW.rem_euclid(DAY);
    assert_eq!(last_accessed(&cloud, "db"), (Some(today), vec![Some(today)]));
    let (r, _) = read_run(&cloud, "DescribeSecret", &get, NOW);
    assert_eq!(r.unwrap()["LastAccessedDate"], today);

    // Later the same day the read path answers alone.
    let (r, c) = read_run(&cloud, "GetSecretValue", &get, NOW + 3600);
    assert_eq!(r.unwrap()["SecretString"], "v1");
    assert!(c.due.is_empty());
    // The next day's first read goes to the write path again.
    let (_, c) = read_run(&cloud, "GetSecretValue", &get, NOW + DAY);
    assert_eq!(c.due.len(), 1);
    let (r, _) = write_run(&cloud, "BatchGetSecretValue", &json!({"SecretIdList": ["db"]}), NOW + DAY);
    assert_eq!(r.unwrap()["SecretValues"][0]["SecretString"], "v1");
    assert_eq!(last_accessed(&cloud, "db"), (Some(today + DAY), vec![Some(today + DAY)]));
}

#[test]
fn a_secret_past_its_recovery_window_is_deleted_by_the_write_path() {
    let cloud = cloud();
    write_run(&cloud, "CreateSecret", &json!({"Name": "old", "SecretString": "x"}), NOW).0.unwrap();
    write_run(&cloud, "DeleteSecret", &json!({"SecretId": "old", "RecoveryWindowInDays": 7}), NOW).0.unwrap();
    let describe = json!({"SecretId": "old"});
    assert!(read_run(&cloud, "DescribeSecret", &describe, NOW + DAY).0.unwrap()["DeletedDate"].is_number());
    let later = NOW + 7 * DAY;
    for (op, input) in [("DescribeSecret", describe.clone()), ("ListSecrets", json!({"IncludePlannedDeletion": true}))] {
        let (r, c) = read_run(&cloud, op, &input, later);
        assert!(r.is_err());
        assert_eq!(c.due.len(), 1, "{op}");
    }
    let (r, c) = write_run(&cloud, "ListSecrets", &json!({"IncludePlannedDeletion": true}), later);
    assert_eq!(r.unwrap()["SecretList"], json!([]));
    assert!(matches!(&c.batch.ops[..], [crate::store::Op::Delete { .. }]));
    assert_eq!(read_run(&cloud, "DescribeSecret", &describe, later).0.unwrap_err().code, "ResourceNotFoundException");
}

#[test]
fn trail_parameters_never_hold_values() {
    let v = serde_json::json!({"Name": "db", "SecretString": "hunter2", "SecretBinary": "aHVudGVyMg==", "ClientRequestToken": "t"});
    let t = trail_parameters(&v);
    let text = t.to_string();
    assert!(!text.contains("hunter2") && !text.contains("aHVudGVyMg"));
    assert_eq!(t["name"], "db");
    assert_eq!(t["clientRequestToken"], "t");
}
