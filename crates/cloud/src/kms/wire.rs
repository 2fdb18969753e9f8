//! The wire mapping: request and response shapes (serde structs named and spelled as in
//! the KMS API), blobs as base64, and the trail's copy of the request.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::AwsError;

pub type Context = BTreeMap<String, String>;

/// Reads a request; a missing required member reads as AWS's validation message.
pub fn parse<T: DeserializeOwned>(input: &Value) -> Result<T, AwsError> {
    T::deserialize(input).map_err(|e| {
        let text = e.to_string();
        if let Some(field) = text.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
            return AwsError::client(
                "ValidationException",
                format!("1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null", lower_first(field)),
            );
        }
        AwsError::client("SerializationException", format!("The request is not valid: {text}"))
    })
}

pub fn out<T: Serialize>(v: T) -> Result<Value, AwsError> {
    serde_json::to_value(v).map_err(|e| AwsError::internal(e.to_string()))
}

pub fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Blob members never enter the trail (CloudTrail records neither messages nor signatures).
const BLOBS: &[&str] = &["Plaintext", "CiphertextBlob", "Message", "Mac", "Signature"];

/// The request as CloudTrail records it: camelCase member names, without blobs.
pub fn trail_parameters(input: &Value) -> Value {
    match input {
        Value::Object(map) => Value::Object(map.iter().filter(|(k, _)| !BLOBS.contains(&k.as_str())).map(|(k, v)| (lower_first(k), v.clone())).collect()),
        other => other.clone(),
    }
}

/// `Vec<u8>` as base64.
pub mod b64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::kms::crypto::base64::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        crate::kms::crypto::base64::decode(&s).ok_or_else(|| serde::de::Error::custom("a blob is not valid base64"))
    }
}

/// `Option<Vec<u8>>` as base64.
pub mod b64opt {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => super::b64::serialize(v, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(s) => crate::kms::crypto::base64::decode(&s).map(Some).ok_or_else(|| serde::de::Error::custom("a blob is not valid base64")),
            None => Ok(None),
        }
    }
}

// ---- requests ----

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CreateKeyRequest {
    pub policy: Option<String>,
    pub description: Option<String>,
    pub key_usage: Option<String>,
    pub customer_master_key_spec: Option<String>,
    pub key_spec: Option<String>,
    pub origin: Option<String>,
    pub custom_key_store_id: Option<String>,
    pub bypass_policy_lockout_safety_check: Option<bool>,
    pub tags: Option<Vec<TagEntry>>,
    pub multi_region: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct TagEntry {
    #[serde(rename = "TagKey")]
    pub key: String,
    #[serde(rename = "TagValue")]
    pub value: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyIdRequest {
    pub key_id: String,
    #[serde(default)]
    pub grant_tokens: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListRequest {
    pub limit: Option<i64>,
    pub marker: Option<String>,
    pub key_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateDescriptionRequest {
    pub key_id: String,
    pub description: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleDeletionRequest {
    pub key_id: String,
    #[serde(default)]
    pub pending_window_in_days: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetPolicyRequest {
    pub key_id: String,
    #[serde(default)]
    pub policy_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutPolicyRequest {
    pub key_id: String,
    #[serde(default)]
    pub policy_name: Option<String>,
    pub policy: String,
    #[serde(default)]
    pub bypass_policy_lockout_safety_check: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagRequest {
    pub key_id: String,
    pub tags: Vec<TagEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagRequest {
    pub key_id: String,
    pub tag_keys: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AliasRequest {
    pub alias_name: String,
    #[serde(default)]
    pub target_key_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EnableRotationRequest {
    pub key_id: String,
    #[serde(default)]
    pub rotation_period_in_days: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptRequest {
    pub key_id: String,
    #[serde(with = "b64")]
    pub plaintext: Vec<u8>,
    #[serde(default)]
    pub encryption_context: Option<Context>,
    #[serde(default)]
    pub grant_tokens: Option<Vec<String>>,
    #[serde(default)]
    pub encryption_algorithm: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecryptRequest {
    #[serde(with = "b64")]
    pub ciphertext_blob: Vec<u8>,
    #[serde(default)]
    pub encryption_context: Option<Context>,
    #[serde(default)]
    pub grant_tokens: Option<Vec<String>>,
    #[serde(default)]
    pub key_id: Option<String>,
    #[serde(default)]
    pub encryption_algorithm: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReEncryptRequest {
    #[serde(with = "b64")]
    pub ciphertext_blob: Vec<u8>,
    #[serde(default)]
    pub source_encryption_context: Option<Context>,
    #[serde(default)]
    pub source_key_id: Option<String>,
    pub destination_key_id: String,
    #[serde(default)]
    pub destination_encryption_context: Option<Context>,
    #[serde(default)]
    pub source_encryption_algorithm: Option<String>,
    #[serde(default)]
    pub destination_encryption_algorithm: Option<String>,
    #[serde(default)]
    pub grant_tokens: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyRequest {
    pub key_id: String,
    #[serde(default)]
    pub encryption_context: Option<Context>,
    #[serde(default)]
    pub number_of_bytes: Option<i64>,
    #[serde(default)]
    pub key_spec: Option<String>,
    #[serde(default)]
    pub grant_tokens: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GenerateRandomRequest {
    pub number_of_bytes: Option<i64>,
    pub custom_key_store_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MacRequest {
    pub key_id: String,
    #[serde(with = "b64")]
    pub message: Vec<u8>,
    pub mac_algorithm: String,
    #[serde(default, with = "b64opt")]
    pub mac: Option<Vec<u8>>,
    #[serde(default)]
    pub grant_tokens: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignRequest {
    pub key_id: String,
    #[serde(with = "b64")]
    pub message: Vec<u8>,
    #[serde(default)]
    pub message_type: Option<String>,
    pub signing_algorithm: String,
    #[serde(default)]
    pub grant_tokens: Option<Vec<String>>,
    #[serde(default)]
    pub dry_run: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyRequest {
    pub key_id: String,
    #[serde(with = "b64")]
    pub message: Vec<u8>,
    #[serde(default)]
    pub message_type: Option<String>,
    #[serde(with = "b64")]
    pub signature: Vec<u8>,
    pub signing_algorithm: String,
    #[serde(default)]
    pub grant_tokens: Option<Vec<String>>,
    #[serde(default)]
    pub dry_run: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct GenerateDataKeyPairRequest {
    pub key_id: String,
    pub key_pair_spec: String,
    #[serde(default)]
    pub encryption_context: Option<Context>,
    #[serde(default)]
    pub grant_tokens: Option<Vec<String>>,
    /// Nitro Enclaves attestation (GenerateDataKeyPair only): not implemented.
    #[serde(default)]
    pub recipient: Option<Value>,
    #[serde(default)]
    pub dry_run: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateGrantRequest {
    pub key_id: String,
    pub grantee_principal: String,
    #[serde(default)]
    pub retiring_principal: Option<String>,
    pub operations: Vec<String>,
    #[serde(default)]
    pub constraints: Option<GrantConstraints>,
    #[serde(default)]
    pub grant_tokens: Option<Vec<String>>,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GrantConstraints {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_context_subset: Option<Context>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encryption_context_equals: Option<Context>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListGrantsRequest {
    pub limit: Option<i64>,
    pub marker: Option<String>,
    pub key_id: String,
    pub grant_id: Option<String>,
    pub grantee_principal: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListRetirableRequest {
    pub limit: Option<i64>,
    pub marker: Option<String>,
    pub retiring_principal: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RetireGrantRequest {
    pub grant_token: Option<String>,
    pub key_id: Option<String>,
    pub grant_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RevokeGrantRequest {
    pub key_id: String,
    pub grant_id: String,
}

// ---- responses ----

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadata {
    #[serde(rename = "AWSAccountId")]
    pub aws_account_id: String,
    pub key_id: String,
    pub arn: String,
    pub creation_date: i64,
    pub enabled: bool,
    pub description: String,
    pub key_usage: String,
    pub key_state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_deletion_window_in_days: Option<i64>,
    pub origin: String,
    pub key_manager: String,
    pub customer_master_key_spec: String,
    pub key_spec: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption_algorithms: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mac_algorithms: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_algorithms: Option<Vec<String>>,
    pub multi_region: bool,
    /// Present for symmetric encryption keys only (AWS's KeyMetadata).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_key_material_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyMetadataResponse {
    pub key_metadata: KeyMetadata,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GrantListEntry {
    pub key_id: String,
    pub grant_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub creation_date: i64,
    pub grantee_principal: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retiring_principal: Option<String>,
    pub issuing_account: String,
    pub operations: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraints: Option<GrantConstraints>,
}

/// A page of a list: `Truncated` and, when truncated, `NextMarker`.
#[derive(Debug, Serialize)]
pub struct Page<T> {
    #[serde(flatten)]
    pub items: T,
    #[serde(rename = "Truncated")]
    pub truncated: bool,
    #[serde(rename = "NextMarker", skip_serializing_if = "Option::is_none")]
    pub next_marker: Option<String>,
}

/// AWS's message for a number outside its range.
pub fn in_range(value: i64, member: &str, min: i64, max: i64) -> Result<i64, AwsError> {
    if (min..=max).contains(&value) {
        return Ok(value);
    }
    let bound = if value < min { format!("greater than or equal to {min}") } else { format!("less than or equal to {max}") };
    Err(AwsError::client(
        "ValidationException",
        format!("1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must have value {bound}"),
    ))
}

/// AWS's message for a value outside an enum.
pub fn enum_error(value: &str, member: &str, set: &[&str]) -> AwsError {
    let list = set.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ");
    AwsError::client(
        "ValidationException",
        format!("1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy enum value set: [{list}]"),
    )
}

/// Cuts `items` into a page: `marker` is the index to start at (as text), `limit` 1–1000
/// (default 100 unless given).
pub fn paginate<T>(items: Vec<T>, limit: Option<i64>, marker: Option<&str>, default_limit: usize) -> Result<(Vec<T>, bool, Option<String>), AwsError> {
    let limit = match limit {
        None => default_limit,
        Some(l) if (1..=1000).contains(&l) => l as usize,
        Some(l) => {
            return Err(AwsError::client(
                "ValidationException",
                format!("1 validation error detected: Value '{l}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 1000"),
            ))
        }
    };
    let start = match marker {
        None => 0,
        Some(m) => m.parse::<usize>().map_err(|_| AwsError::client("InvalidMarkerException", "The marker is not valid"))?,
    };
    let total = items.len();
    let page: Vec<T> = items.into_iter().skip(start).take(limit).collect();
    let end = start + page.len();
    let truncated = end < total;
    Ok((page, truncated, truncated.then(|| end.to_string())))
}
