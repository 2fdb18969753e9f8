//! Secrets Manager (awsJson1_1): secrets with versions and staging labels, resource
//! policies, and values encrypted under KMS keys through KMS's forward-access API.
//!
//! `model` holds the records and the pure rules (labels, filters, identifiers), `ops` the
//! operations on `State` with their serde input/output types (the wire mapping), `crypto`
//! the KMS bridge, `password` GetRandomPassword, `public` the BlockPublicPolicy test.
//! Every operation asks `authz` (through `Call::authorize`) as `secretsmanager:<Op>` on the
//! secret's ARN, with the secret's resource policy and tags.

mod crypto;
mod model;
mod ops;
mod password;
mod public;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::call::Call;
use crate::error::AwsError;
use crate::state::State;

pub use model::{Secret, Version};
pub use ops::make_due;

/// (account, region, name).
pub type SecretKey = (String, String, String);

/// Secrets across accounts and regions, loaded from records under `secret/`.
#[derive(Debug, Default)]
pub struct SecretsState {
    pub secrets: BTreeMap<SecretKey, Secret>,
    /// The next creation sequence number.
    next_seq: u64,
}

impl SecretsState {
    /// Reads one stored record (key `secret/<account>/<region>/<name>`).
    pub fn load_record(&mut self, _key: &str, value: &[u8]) -> Result<(), serde_json::Error> {
        let s: Secret = serde_json::from_slice(value)?;
        self.next_seq = self.next_seq.max(s.seq + 1);
        self.secrets.insert((s.account.clone(), s.region.clone(), s.name.clone()), s);
        Ok(())
    }
}

/// The store key of a secret's record.
pub fn record_key(account: &str, region: &str, name: &str) -> String {
    format!("secret/{account}/{region}/{name}")
}

/// The operations CloudTrail marks read-only. None of them changes state: they run under the
/// read lock (`http::dispatch`'s read path), and what they find due — a secret past its
/// recovery window, a first read of the day, a change to the KMS key — is made on the write
/// path ([`Due`]).
const READ_ONLY: &[&str] = &[
    "GetSecretValue",
    "BatchGetSecretValue",
    "DescribeSecret",
    "ListSecrets",
    "ListSecretVersionIds",
    "GetResourcePolicy",
    "GetRandomPassword",
    "ValidateResourcePolicy",
];

/// Whether `op` only reads state (and so may take the read path).
pub fn reads_only(op: &str) -> bool {
    READ_ONLY.contains(&op)
}

/// A change Secrets Manager makes when a read finds it due, which a read-only call leaves to
/// the write path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// The secret's recovery window has ended: it is deleted.
    Expired(SecretKey),
    /// The version was read today for the first time: the secret's and the version's
    /// LastAccessedDate become today.
    Accessed { secret: SecretKey, version: String },
}


/// Runs `op` under the write lock; a read-only operation that finds a change due has it
/// made and runs again.
pub fn handle(call: &mut Call<'_>, op: &str, input: &Value) -> Result<Value, AwsError> {
    call.trail.read_only = reads_only(op);
    call.trail.request_parameters = Some(trail_parameters(input));
    let cloud = call.cloud;
    let mut st = cloud.write_state();
    if reads_only(op) {
        call.making_due_changes(&mut st, |call, st| read(call, st, op, input))
    } else {
        write(call, &mut st, op, input)
    }
}

/// Runs a read-only `op` under the read lock; a change it finds due stops it (`Call::due`).
pub fn handle_read(call: &mut Call<'_>, op: &str, input: &Value) -> Result<Value, AwsError> {
    call.trail.read_only = true;
    call.trail.request_parameters = Some(trail_parameters(input));
    let cloud = call.cloud;
    let st = cloud.read_state();
    read(call, &st, op, input)
}

/// The read-only operations (`READ_ONLY`).
fn read(call: &mut Call<'_>, st: &State, op: &str, input: &Value) -> Result<Value, AwsError> {
    match op {
        "GetSecretValue" => to_json(ops::get_secret_value(call, st, ops::parse(input)?)),
        "BatchGetSecretValue" => to_json(ops::batch_get_secret_value(call, st, ops::parse(input)?)),
        "DescribeSecret" => to_json(ops::describe_secret(call, st, ops::parse(input)?)),
        "ListSecrets" => to_json(ops::list_secrets(call, st, ops::parse(input)?)),
        "ListSecretVersionIds" => to_json(ops::list_secret_version_ids(call, st, ops::parse(input)?)),
        "GetRandomPassword" => to_json(ops::get_random_password(call, st, ops::parse(input)?)),
        "GetResourcePolicy" => to_json(ops::get_resource_policy(call, st, ops::parse(input)?)),
        "ValidateResourcePolicy" => to_json(ops::validate_resource_policy(call, st, ops::parse(input)?)),
        _ => Err(AwsError::internal(format!("Secrets Manager {op} is not a read-only operation"))),
    }
}

/// The operations that change state, and the answers for every other name.
fn write(call: &mut Call<'_>, st: &mut State, op: &str, input: &Value) -> Result<Value, AwsError> {
    match op {
        "CreateSecret" => to_json(ops::create_secret(call, st, ops::parse(input)?)),
        "PutSecretValue" => to_json(ops::put_secret_value(call, st, ops::parse(input)?)),
        "UpdateSecret" => to_json(ops::update_secret(call, st, ops::parse(input)?)),
        "UpdateSecretVersionStage" => to_json(ops::update_secret_version_stage(call, st, ops::parse(input)?)),
        "DeleteSecret" => to_json(ops::delete_secret(call, st, ops::parse(input)?)),
        "RestoreSecret" => to_json(ops::restore_secret(call, st, ops::parse(input)?)),
        "TagResource" => to_json(ops::tag_resource(call, st, ops::parse(input)?)),
        "UntagResource" => to_json(ops::untag_resource(call, st, ops::parse(input)?)),
        "PutResourcePolicy" => to_json(ops::put_resource_policy(call, st, ops::parse(input)?)),
        "DeleteResourcePolicy" => to_json(ops::delete_resource_policy(call, st, ops::parse(input)?)),
        "RotateSecret" => to_json(ops::rotate_secret(call, st, ops::parse(input)?)),
        "CancelRotateSecret" => to_json(ops::cancel_rotate_secret(call, st, ops::parse(input)?)),
        "ReplicateSecretToRegions" | "RemoveRegionsFromReplication" | "StopReplicationToReplica" => Err(AwsError::new(
            501,
            "NotImplemented",
            format!("Secrets Manager {op} is not implemented in edgeward: secrets are not replicated across regions"),
        )),
        _ => Err(AwsError::client("UnknownOperationException", format!("Secrets Manager has no operation {op}"))),
    }
}

fn to_json<T: serde::Serialize>(r: Result<T, AwsError>) -> Result<Value, AwsError> {
    r.map(|o| serde_json::to_value(o).unwrap_or(Value::Object(Map::new())))
}

/// The request as the trail records it: lower-camel keys (as CloudTrail shows Secrets
/// Manager's parameters), secret values left out entirely.
fn trail_parameters(input: &Value) -> Value {
    let Value::Object(m) = input else { return Value::Null };
    let out: Map<String, Value> = m
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "SecretString" | "SecretBinary"))
        .map(|(k, v)| (crate::protocol::query::lower_first(k), v.clone()))
        .collect();
    Value::Object(out)
}
