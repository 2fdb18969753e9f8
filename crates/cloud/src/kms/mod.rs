//! KMS (awsJson1_1): keys, aliases, key policies, grants, key states, rotation, and the
//! cryptography (AES-256-GCM with the encryption context as additional data). Also the
//! forward-access mechanism other services use to call KMS on a caller's behalf
//! ([`encrypt_for`], [`decrypt_for`], [`generate_data_key_for`]).
//!
//! Layout: `model` (the records and their store keys), `crypto` (root key, blob, AES-GCM,
//! HMAC), `access` (finding keys, key states, authorization with key policies and grants),
//! `keys` (key management, aliases, policies, tags, rotation), `data` (the symmetric
//! cryptographic operations), `asymmetric` (ECC_NIST_P256 signing keys: GetPublicKey, Sign,
//! Verify; data key pairs), `grants`, `forward` (forward access and its trail events), `wire` (the
//! request/response shapes). Operations take and return plain Rust types; `handle` maps
//! them to JSON.

mod access;
mod asymmetric;
pub mod crypto;
mod data;
mod forward;
mod grants;
mod keys;
mod model;
mod wire;

#[cfg(test)]
mod tests;

use serde_json::Value;

use crate::call::Call;
use crate::error::AwsError;
use crate::state::State;

pub use crypto::RootKey;
pub use forward::{ciphertext_key_arn, decrypt_for, decrypt_for_read, encrypt_for, generate_data_key_for, DataKey};
pub use model::{Alias, Grant, Key, KmsState};

/// KMS operations edgeward does not implement: they answer 501 NotImplemented naming the
/// operation (key agreement, custom key stores, imported material, multi-Region replicas).
const NOT_IMPLEMENTED: &[&str] = &[
    "ConnectCustomKeyStore",
    "CreateCustomKeyStore",
    "DeleteCustomKeyStore",
    "DeleteImportedKeyMaterial",
    "DeriveSharedSecret",
    "DescribeCustomKeyStores",
    "DisconnectCustomKeyStore",
    "GetKeyLastUsage",
    "GetParametersForImport",
    "ImportKeyMaterial",
    "ReplicateKey",
    "UpdateCustomKeyStore",
    "UpdatePrimaryRegion",
];

/// Operations CloudTrail marks read-only. None of them changes state: they run under the
/// read lock (`http::dispatch`'s read path), and what they find due — a key's lifecycle, an
/// AWS managed key not created yet — is made on the write path ([`Due`]).
const READ_ONLY: &[&str] = &[
    "Decrypt",
    "DescribeKey",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateMac",
    "GenerateRandom",
    "GetKeyPolicy",
    "GetKeyRotationStatus",
    "GetPublicKey",
    "ListAliases",
    "ListGrants",
    "ListKeyPolicies",
    "ListKeyRotations",
    "ListKeys",
    "ListResourceTags",
    "ListRetirableGrants",
    "ReEncrypt",
    "Sign",
    "Verify",
    "VerifyMac",
];

/// Whether `op` only reads state (and so may take the read path).
pub fn reads_only(op: &str) -> bool {
    READ_ONLY.contains(&op)
}

/// A change KMS makes when a call first needs it, which a read-only call leaves to the write
/// path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// The key's lifecycle by the request clock (deletion after the waiting period,
    /// automatic rotation), by key ARN.
    Lifecycle(String),
    /// The AWS managed key `alias/aws/<service>` of the caller's account and region.
    ManagedKey(&'static str),
}

/// Makes a due change (write path, under the write lock).
pub fn make_due(call: &mut Call<'_>, st: &mut State, due: &Due) {
    match due {
        Due::Lifecycle(arn) => access::tick(call, st, arn),
        Due::ManagedKey(service) => {
            access::create_managed_key(call, st, service);
        }
    }
}

/// Runs `op` under the write lock; a read-only operation that finds a change due has it
/// made and runs again.
pub fn handle(call: &mut Call<'_>, op: &str, input: &Value) -> Result<Value, AwsError> {
    call.trail.request_parameters = Some(wire::trail_parameters(input));
    call.trail.read_only = reads_only(op);
    let cloud = call.cloud;
    let mut st = cloud.write_state();
    let result = if reads_only(op) { call.making_due_changes(&mut st, |call, st| read(call, st, op, input)) } else { write(call, &mut st, op, input) };
    result.map_err(json_error)
}

/// Runs a read-only `op` under the read lock; a change it finds due stops it (`Call::due`).
pub fn handle_read(call: &mut Call<'_>, op: &str, input: &Value) -> Result<Value, AwsError> {
    call.trail.request_parameters = Some(wire::trail_parameters(input));
    call.trail.read_only = true;
    let cloud = call.cloud;
    let st = cloud.read_state();
    read(call, &st, op, input).map_err(json_error)
}

/// The read-only operations (`READ_ONLY`).
fn read(call: &mut Call<'_>, st: &State, op: &str, input: &Value) -> Result<Value, AwsError> {
    use wire::{out, parse};
    match op {
        "DescribeKey" => out(keys::describe_key(call, st, parse(input)?)?),
        "ListKeys" => out(keys::list_keys(call, st, parse(input)?)?),
        "GetKeyPolicy" => out(keys::get_policy(call, st, parse(input)?)?),
        "ListKeyPolicies" => out(keys::list_policies(call, st, parse(input)?)?),
        "ListResourceTags" => out(keys::list_tags(call, st, parse(input)?)?),
        "ListAliases" => out(keys::list_aliases(call, st, parse(input)?)?),
        "GetKeyRotationStatus" => out(keys::rotation_status(call, st, parse(input)?)?),
        "ListKeyRotations" => out(keys::list_rotations(call, st, parse(input)?)?),
        "Encrypt" => out(data::encrypt(call, st, parse(input)?, None)?),
        "Decrypt" => out(data::decrypt(call, st, parse(input)?, None)?),
        "ReEncrypt" => out(data::re_encrypt(call, st, parse(input)?)?),
        "GenerateDataKey" => out(data::generate_data_key(call, st, parse(input)?, true, None)?),
        "GenerateDataKeyWithoutPlaintext" => out(data::generate_data_key(call, st, parse(input)?, false, None)?),
        "GenerateRandom" => out(data::generate_random(call, st, parse(input)?)?),
        "GenerateMac" => out(data::generate_mac(call, st, parse(input)?)?),
        "VerifyMac" => out(data::verify_mac(call, st, parse(input)?)?),
        "GetPublicKey" => out(asymmetric::get_public_key(call, st, parse(input)?)?),
        "Sign" => out(asymmetric::sign(call, st, parse(input)?)?),
        "Verify" => out(asymmetric::verify(call, st, parse(input)?)?),
        "GenerateDataKeyPair" => out(asymmetric::generate_data_key_pair(call, st, parse(input)?, true)?),
        "GenerateDataKeyPairWithoutPlaintext" => out(asymmetric::generate_data_key_pair(call, st, parse(input)?, false)?),
        "ListGrants" => out(grants::list(call, st, parse(input)?)?),
        "ListRetirableGrants" => out(grants::list_retirable(call, st, parse(input)?)?),
        _ => Err(AwsError::internal(format!("KMS {op} is not a read-only operation"))),
    }
}

/// The operations that change state, and the answers for every other name.
fn write(call: &mut Call<'_>, st: &mut State, op: &str, input: &Value) -> Result<Value, AwsError> {
    use wire::{out, parse};
    match op {
        // keys
        "CreateKey" => out(keys::create_key(call, st, parse(input)?)?),
        "UpdateKeyDescription" => out(keys::update_description(call, st, parse(input)?)?),
        "EnableKey" => out(keys::set_enabled(call, st, parse(input)?, true)?),
        "DisableKey" => out(keys::set_enabled(call, st, parse(input)?, false)?),
        "ScheduleKeyDeletion" => out(keys::schedule_deletion(call, st, parse(input)?)?),
        "CancelKeyDeletion" => out(keys::cancel_deletion(call, st, parse(input)?)?),
        "PutKeyPolicy" => out(keys::put_policy(call, st, parse(input)?)?),
        // tags
        "TagResource" => out(keys::tag(call, st, parse(input)?)?),
        "UntagResource" => out(keys::untag(call, st, parse(input)?)?),
        // aliases
        "CreateAlias" => out(keys::create_alias(call, st, parse(input)?)?),
        "UpdateAlias" => out(keys::update_alias(call, st, parse(input)?)?),
        "DeleteAlias" => out(keys::delete_alias(call, st, parse(input)?)?),
        // rotation
        "EnableKeyRotation" => out(keys::enable_rotation(call, st, parse(input)?)?),
        "DisableKeyRotation" => out(keys::disable_rotation(call, st, parse(input)?)?),
        "RotateKeyOnDemand" => out(keys::rotate_on_demand(call, st, parse(input)?)?),
        // grants
        "CreateGrant" => out(grants::create(call, st, parse(input)?, None)?),
        "RetireGrant" => out(grants::retire(call, st, parse(input)?)?),
        "RevokeGrant" => out(grants::revoke(call, st, parse(input)?)?),
        _ if NOT_IMPLEMENTED.contains(&op) => Err(AwsError::new(501, "NotImplemented", format!("KMS {op} is not implemented in edgeward"))),
        _ => Err(AwsError::client("UnknownOperationException", format!("KMS has no operation {op}"))),
    }
}

/// The JSON protocols name a denial `AccessDeniedException` (HTTP 400), where the query
/// protocols say `AccessDenied` (403): `Call::authorize` answers the latter.
pub fn json_error(e: AwsError) -> AwsError {
    if e.code == "AccessDenied" {
        AwsError::client("AccessDeniedException", e.message)
    } else {
        e
    }
}
