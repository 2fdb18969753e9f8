//! Forward access: another service (Secrets Manager, S3) using KMS on its caller's behalf.
//! The KMS call is authorized as the caller, with `kms:ViaService`, `aws:CalledVia*` and
//! `aws:ViaAWSService = true`, and recorded as its own KMS trail event (its own event and
//! request ids, `userIdentity.invokedBy`, the service as source address and user agent) in
//! the caller's trail and, across accounts, in the key owner's.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::call::{Call, TrailDraft};
use crate::error::AwsError;
use crate::state::State;

use super::access::{self, MANAGED_SERVICES};
use super::data;
use super::wire::{EncryptRequest, GenerateDataKeyRequest};

/// KMS used by another service on the caller's behalf (forward access): authorized as the
/// caller with kms:ViaService = "<via>.<region>.amazonaws.com", aws:CalledVia = ["<via>.amazonaws.com"],
/// aws:CalledViaFirst/Last, aws:ViaAWSService = "true"; recorded as its own KMS trail event with
/// userIdentity.invokedBy = "<via>.amazonaws.com" (in the caller's and the key owner's trails).
/// `key_id` None = the AWS managed key `alias/aws/<via>`, created on first use.
pub fn encrypt_for(
    call: &mut Call<'_>,
    st: &mut State,
    via: &str,
    key_id: Option<&str>,
    plaintext: &[u8],
    context: &BTreeMap<String, String>,
) -> Result<Vec<u8>, AwsError> {
    let key_id = key_or_managed(call, st, via, key_id);
    let params = json!({"keyId": key_id, "encryptionContext": context, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"});
    call.making_due_changes(st, |call, st| {
        forwarded(call, st, "Encrypt", via, params.clone(), |call, st| {
            let r = EncryptRequest { key_id: key_id.clone(), plaintext: plaintext.to_vec(), encryption_context: Some(context.clone()), ..Default::default() };
            data::encrypt(call, st, r, Some(via)).map(|o| o.ciphertext_blob)
        })
    })
}

/// Decrypts a ciphertext made by [`encrypt_for`] (or any KMS ciphertext), as the caller via
/// `via`, on the write path (a due change to the key is made first).
pub fn decrypt_for(call: &mut Call<'_>, st: &mut State, via: &str, ciphertext: &[u8], context: &BTreeMap<String, String>) -> Result<Vec<u8>, AwsError> {
    call.making_due_changes(st, |call, st| decrypt_for_read(call, st, via, ciphertext, context))
}

/// [`decrypt_for`] under the read lock: a due change to the key stops the call (`Call::due`).
pub fn decrypt_for_read(call: &mut Call<'_>, st: &State, via: &str, ciphertext: &[u8], context: &BTreeMap<String, String>) -> Result<Vec<u8>, AwsError> {
    let params = json!({"encryptionContext": context, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"});
    forwarded(call, st, "Decrypt", via, params, |call, st| data::decrypt_via(call, st, ciphertext, context, via))
}

/// A data key made through forward access (for envelope encryption, e.g. S3 SSE-KMS).
#[derive(Debug, Clone)]
pub struct DataKey {
    pub plaintext: Vec<u8>,
    pub ciphertext: Vec<u8>,
    /// The ARN of the KMS key that protects it.
    pub key_arn: String,
}

/// GenerateDataKey (AES_256) as the caller via `via`; `key_id` None = `alias/aws/<via>`.
pub fn generate_data_key_for(
    call: &mut Call<'_>,
    st: &mut State,
    via: &str,
    key_id: Option<&str>,
    context: &BTreeMap<String, String>,
) -> Result<DataKey, AwsError> {
    let key_id = key_or_managed(call, st, via, key_id);
    let params = json!({"keyId": key_id, "encryptionContext": context, "keySpec": "AES_256"});
    call.making_due_changes(st, |call, st| {
        forwarded(call, st, "GenerateDataKey", via, params.clone(), |call, st| {
            let r = GenerateDataKeyRequest { key_id: key_id.clone(), encryption_context: Some(context.clone()), key_spec: Some("AES_256".into()), ..Default::default() };
            let o = data::generate_data_key(call, st, r, true, Some(via))?;
            Ok(DataKey { plaintext: o.plaintext.unwrap_or_default(), ciphertext: o.ciphertext_blob, key_arn: o.key_id })
        })
    })
}

/// The ARN of the KMS key a ciphertext blob names (None when it is not a KMS ciphertext).
pub fn ciphertext_key_arn(ciphertext: &[u8]) -> Option<String> {
    super::crypto::parse_blob(ciphertext).map(|b| b.key_arn.to_string())
}

/// The key to use: the given one, or the AWS managed key of the service (created now when missing).
fn key_or_managed(call: &mut Call<'_>, st: &mut State, via: &str, key_id: Option<&str>) -> String {
    match key_id {
        Some(k) => k.to_string(),
        None => {
            if !MANAGED_SERVICES.contains(&via) {
                access::create_managed_key(call, st, via);
            }
            format!("alias/aws/{via}")
        }
    }
}

/// Runs `f` as a KMS call of its own inside the calling service's call: the trail draft,
/// operation, request id, source address and user agent are KMS's while it runs, and its
/// event (with `invokedBy`) joins the call's batch.
fn forwarded<T>(
    call: &mut Call<'_>,
    st: &State,
    op: &str,
    via: &str,
    params: Value,
    f: impl FnOnce(&mut Call<'_>, &State) -> Result<T, AwsError>,
) -> Result<T, AwsError> {
    let service_host = format!("{via}.amazonaws.com");
    let draft = TrailDraft { request_parameters: Some(params), read_only: true, invoked_by: Some(service_host.clone()), ..TrailDraft::default() };
    let saved_trail = std::mem::replace(&mut call.trail, draft);
    let saved_service = std::mem::replace(&mut call.service, "kms");
    let saved_op = std::mem::replace(&mut call.operation, op.to_string());
    let saved_id = std::mem::replace(&mut call.request_id, crate::ids::uuid());
    let saved_ip = std::mem::replace(&mut call.source_ip, service_host.clone());
    let saved_ua = std::mem::replace(&mut call.user_agent, service_host.clone());

    let result = f(call, st).map_err(super::json_error);
    let outcome = result.as_ref().map(|_| ()).map_err(Clone::clone);
    crate::trail::record(call, &outcome);

    call.trail = saved_trail;
    call.service = saved_service;
    call.operation = saved_op;
    call.request_id = saved_id;
    call.source_ip = saved_ip;
    call.user_agent = saved_ua;
    result
}
