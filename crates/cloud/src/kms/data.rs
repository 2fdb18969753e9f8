//! The symmetric cryptographic operations: Encrypt, Decrypt, ReEncrypt,
//! GenerateDataKey(WithoutPlaintext), GenerateRandom, GenerateMac, VerifyMac (the asymmetric
//! ones are in `asymmetric`). Each names its key (Decrypt may leave that to the
//! ciphertext), checks the key's state and usage, and asks `access::authorize` with the
//! encryption context as condition keys. `via` is set for forward access.

use edgeward_policy::ContextValue;
use serde::Serialize;
use serde_json::{json, Value};

use crate::authz::ContextKey;
use crate::call::Call;
use crate::error::AwsError;
use crate::state::State;

use super::access::{authorize, check_lifecycle, find, not_found, touched, usable, validation, Ask, Ids};
use super::crypto;
use super::grants::check_tokens;
use super::model::Key;
use super::wire::*;

const ENCRYPTION_ALGORITHMS: &[&str] = &["SYMMETRIC_DEFAULT", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"];
const MAC_ALGORITHMS: &[&str] = &["HMAC_SHA_224", "HMAC_SHA_256", "HMAC_SHA_384", "HMAC_SHA_512"];

fn invalid_ciphertext() -> AwsError {
    AwsError::client("InvalidCiphertextException", "The ciphertext is not valid for this key, or the encryption context does not match")
}

pub(super) fn invalid_usage(key: &Key, op: &str) -> AwsError {
    AwsError::client("InvalidKeyUsageException", format!("{} key usage is {} which is not valid for {op}.", key.arn, key.usage))
}

/// Checks an EncryptionAlgorithm member: symmetric keys take SYMMETRIC_DEFAULT only.
fn encryption_algorithm(alg: Option<&str>, member: &str) -> Result<(), AwsError> {
    match alg {
        None | Some("SYMMETRIC_DEFAULT") => Ok(()),
        Some(a) if ENCRYPTION_ALGORITHMS.contains(&a) => Err(AwsError::client("InvalidKeyUsageException", format!("The encryption algorithm {a} is not valid for a symmetric key"))),
        Some(a) => Err(enum_error(a, member, ENCRYPTION_ALGORITHMS)),
    }
}

pub(super) fn encryption_context(ctx: &Option<Context>) -> &Context {
    static NONE: Context = Context::new();
    ctx.as_ref().unwrap_or(&NONE)
}

pub(super) fn algorithm_key(alg: &str) -> (ContextKey, ContextValue) {
    ("kms:EncryptionAlgorithm".into(), ContextValue::Single(alg.into()))
}

pub(super) fn key<'s>(st: &'s State, arn: &str) -> &'s Key {
    st.kms.keys.get(arn).expect("a found key exists")
}

/// Seals `plaintext` under a symmetric key's current material.
pub(super) fn seal(call: &Call<'_>, st: &State, arn: &str, ctx: &Context, plaintext: &[u8]) -> Result<Vec<u8>, AwsError> {
    let k = key(st, arn);
    let m = k.current();
    let material = st.kms.material(&call.cloud.kms_root, k, &m.id).ok_or_else(|| AwsError::internal("the key material cannot be unwrapped"))?;
    Ok(crypto::encrypt_blob(arn, &m.id, &material, ctx, plaintext))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EncryptResponse {
    #[serde(with = "b64")]
    pub ciphertext_blob: Vec<u8>,
    pub key_id: String,
    pub encryption_algorithm: String,
}

pub fn encrypt(call: &mut Call<'_>, st: &State, r: EncryptRequest, via: Option<&str>) -> Result<EncryptResponse, AwsError> {
    if r.plaintext.is_empty() {
        return Err(validation("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1"));
    }
    if r.plaintext.len() > 4096 {
        return Err(validation("1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096"));
    }
    encryption_algorithm(r.encryption_algorithm.as_deref(), "encryptionAlgorithm")?;
    check_tokens(r.grant_tokens.as_deref())?;
    let ctx = encryption_context(&r.encryption_context);
    let found = find(call, st, &r.key_id, Ids::KeyOrAlias, true)?;
    touched(call, &found.arn);
    let ask = Ask { op: "Encrypt", context: Some(ctx), alias: found.alias.as_deref(), via, extra: vec![algorithm_key("SYMMETRIC_DEFAULT")], grant_op: None };
    authorize(call, st, &found.arn, &ask)?;
    let k = key(st, &found.arn);
    usable(k)?;
    if k.usage != "ENCRYPT_DECRYPT" {
        return Err(invalid_usage(k, "Encrypt"));
    }
    let blob = seal(call, st, &found.arn, ctx, &r.plaintext)?;
    Ok(EncryptResponse { ciphertext_blob: blob, key_id: found.arn, encryption_algorithm: "SYMMETRIC_DEFAULT".into() })
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DecryptResponse {
    pub key_id: String,
    #[serde(with = "b64")]
    pub plaintext: Vec<u8>,
    pub encryption_algorithm: String,
    pub key_material_id: String,
}

/// Opens a ciphertext blob as `op` (Decrypt, or ReEncryptFrom for ReEncrypt's source).
#[allow(clippy::too_many_arguments)]
fn open(
    call: &mut Call<'_>,
    st: &State,
    blob: &[u8],
    key_id: Option<&str>,
    ctx: &Context,
    via: Option<&str>,
    op: &str,
    grant_op: Option<&str>,
) -> Result<(String, Vec<u8>, String), AwsError> {
    let parsed = crypto::parse_blob(blob).ok_or_else(invalid_ciphertext)?;
    let arn = parsed.key_arn.to_string();
    let mut alias = None;
    if let Some(id) = key_id {
        let found = find(call, st, id, Ids::KeyOrAlias, true)?;
        if found.arn != arn {
            return Err(AwsError::client("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation."));
        }
        alias = found.alias;
    } else {
        check_lifecycle(call, st, &arn)?;
    }
    if !st.kms.keys.contains_key(&arn) {
        return Err(not_found(format!("Key '{arn}' does not exist")));
    }
    touched(call, &arn);
    let ask = Ask { op, context: Some(ctx), alias: alias.as_deref(), via, extra: vec![algorithm_key("SYMMETRIC_DEFAULT")], grant_op };
    authorize(call, st, &arn, &ask)?;
    let k = key(st, &arn);
    usable(k)?;
    if k.usage != "ENCRYPT_DECRYPT" {
        return Err(invalid_usage(k, "Decrypt"));
    }
    let material = st.kms.material(&call.cloud.kms_root, k, &parsed.material_id).ok_or_else(invalid_ciphertext)?;
    let plain = crypto::decrypt_blob(&parsed, &material, ctx).ok_or_else(invalid_ciphertext)?;
    Ok((arn, plain, parsed.material_id))
}

/// Decrypt as `via` on its caller's behalf (forward access): the blob and context borrowed.
pub fn decrypt_via(call: &mut Call<'_>, st: &State, blob: &[u8], ctx: &Context, via: &str) -> Result<Vec<u8>, AwsError> {
    open(call, st, blob, None, ctx, Some(via), "Decrypt", None).map(|(_, plaintext, _)| plaintext)
}

pub fn decrypt(call: &mut Call<'_>, st: &State, r: DecryptRequest, via: Option<&str>) -> Result<DecryptResponse, AwsError> {
    encryption_algorithm(r.encryption_algorithm.as_deref(), "encryptionAlgorithm")?;
    check_tokens(r.grant_tokens.as_deref())?;
    let ctx = encryption_context(&r.encryption_context);
    let (arn, plaintext, material) = open(call, st, &r.ciphertext_blob, r.key_id.as_deref(), ctx, via, "Decrypt", None)?;
    Ok(DecryptResponse { key_id: arn, plaintext, encryption_algorithm: "SYMMETRIC_DEFAULT".into(), key_material_id: material })
}

pub fn re_encrypt(call: &mut Call<'_>, st: &State, r: ReEncryptRequest) -> Result<Value, AwsError> {
    encryption_algorithm(r.source_encryption_algorithm.as_deref(), "sourceEncryptionAlgorithm")?;
    encryption_algorithm(r.destination_encryption_algorithm.as_deref(), "destinationEncryptionAlgorithm")?;
    check_tokens(r.grant_tokens.as_deref())?;
    let src_ctx = encryption_context(&r.source_encryption_context);
    let dst_ctx = encryption_context(&r.destination_encryption_context);
    let (src, plaintext, _) =
        open(call, st, &r.ciphertext_blob, r.source_key_id.as_deref(), src_ctx, None, "ReEncryptFrom", Some("ReEncryptFrom"))?;
    let found = find(call, st, &r.destination_key_id, Ids::KeyOrAlias, true)?;
    touched(call, &found.arn);
    let ask = Ask { op: "ReEncryptTo", context: Some(dst_ctx), alias: found.alias.as_deref(), via: None, extra: vec![algorithm_key("SYMMETRIC_DEFAULT")], grant_op: None };
    authorize(call, st, &found.arn, &ask)?;
    let k = key(st, &found.arn);
    usable(k)?;
    if k.usage != "ENCRYPT_DECRYPT" {
        return Err(invalid_usage(k, "ReEncrypt"));
    }
    let blob = seal(call, st, &found.arn, dst_ctx, &plaintext)?;
    Ok(json!({
        "CiphertextBlob": crypto::base64::encode(&blob),
        "SourceKeyId": src,
        "KeyId": found.arn,
        "SourceEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
        "DestinationEncryptionAlgorithm": "SYMMETRIC_DEFAULT",
    }))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataKeyResponse {
    #[serde(with = "b64")]
    pub ciphertext_blob: Vec<u8>,
    #[serde(with = "b64opt", skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<Vec<u8>>,
    pub key_id: String,
}

/// The data key's length: NumberOfBytes (1–1024) or KeySpec (AES_128, AES_256), exactly one.
fn data_key_len(r: &GenerateDataKeyRequest) -> Result<usize, AwsError> {
    match (&r.key_spec, r.number_of_bytes) {
        (Some(_), Some(_)) => Err(validation("Please specify either number of bytes or key spec.")),
        (None, None) => Err(validation("Please specify either number of bytes or key spec.")),
        (Some(s), None) => match s.as_str() {
            "AES_256" => Ok(32),
            "AES_128" => Ok(16),
            other => Err(enum_error(other, "keySpec", &["AES_256", "AES_128"])),
        },
        (None, Some(n)) => in_range(n, "numberOfBytes", 1, 1024).map(|n| n as usize),
    }
}

pub fn generate_data_key(call: &mut Call<'_>, st: &State, r: GenerateDataKeyRequest, with_plaintext: bool, via: Option<&str>) -> Result<DataKeyResponse, AwsError> {
    let len = data_key_len(&r)?;
    check_tokens(r.grant_tokens.as_deref())?;
    let ctx = encryption_context(&r.encryption_context);
    let op = if with_plaintext { "GenerateDataKey" } else { "GenerateDataKeyWithoutPlaintext" };
    let found = find(call, st, &r.key_id, Ids::KeyOrAlias, true)?;
    touched(call, &found.arn);
    let ask = Ask { op, context: Some(ctx), alias: found.alias.as_deref(), via, extra: vec![algorithm_key("SYMMETRIC_DEFAULT")], grant_op: None };
    authorize(call, st, &found.arn, &ask)?;
    let k = key(st, &found.arn);
    usable(k)?;
    if k.usage != "ENCRYPT_DECRYPT" {
        return Err(invalid_usage(k, op));
    }
    let data_key = crypto::random(len);
    let blob = seal(call, st, &found.arn, ctx, &data_key)?;
    Ok(DataKeyResponse { ciphertext_blob: blob, plaintext: with_plaintext.then_some(data_key), key_id: found.arn })
}

pub fn generate_random(call: &mut Call<'_>, st: &State, r: GenerateRandomRequest) -> Result<Value, AwsError> {
    let n = in_range(r.number_of_bytes.unwrap_or(32), "numberOfBytes", 1, 1024)?;
    if r.custom_key_store_id.is_some() {
        return Err(AwsError::client("UnsupportedOperationException", "Custom key stores are not supported by edgeward"));
    }
    super::access::authorize_account(call, st, "kms:GenerateRandom", "*", Vec::new())?;
    Ok(json!({"Plaintext": crypto::base64::encode(&crypto::random(n as usize))}))
}

/// The MAC of a message under an HMAC key: (key ARN, mac).
fn mac_of(call: &mut Call<'_>, st: &State, r: &MacRequest, op: &str) -> Result<(String, Vec<u8>), AwsError> {
    if !MAC_ALGORITHMS.contains(&r.mac_algorithm.as_str()) {
        return Err(enum_error(&r.mac_algorithm, "macAlgorithm", MAC_ALGORITHMS));
    }
    if r.message.is_empty() || r.message.len() > 4096 {
        return Err(validation("1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length between 1 and 4096"));
    }
    check_tokens(r.grant_tokens.as_deref())?;
    let found = find(call, st, &r.key_id, Ids::KeyOrAlias, true)?;
    touched(call, &found.arn);
    let extra = vec![("kms:MacAlgorithm".into(), ContextValue::Single(r.mac_algorithm.clone()))];
    authorize(call, st, &found.arn, &Ask { op, alias: found.alias.as_deref(), extra, ..Ask::default() })?;
    let k = key(st, &found.arn);
    usable(k)?;
    if k.usage != "GENERATE_VERIFY_MAC" {
        return Err(invalid_usage(k, op));
    }
    if r.mac_algorithm[9..] != k.spec[5..] {
        return Err(AwsError::client("InvalidKeyUsageException", format!("The MAC algorithm {} is not valid for the key spec {}", r.mac_algorithm, k.spec)));
    }
    let material = st.kms.material(&call.cloud.kms_root, k, &k.current().id).ok_or_else(|| AwsError::internal("the key material cannot be unwrapped"))?;
    let mac = crypto::hmac(&r.mac_algorithm, &material, &r.message).expect("a known MAC algorithm");
    Ok((found.arn, mac))
}

pub fn generate_mac(call: &mut Call<'_>, st: &State, r: MacRequest) -> Result<Value, AwsError> {
    let (arn, mac) = mac_of(call, st, &r, "GenerateMac")?;
    Ok(json!({"Mac": crypto::base64::encode(&mac), "MacAlgorithm": r.mac_algorithm, "KeyId": arn}))
}

pub fn verify_mac(call: &mut Call<'_>, st: &State, r: MacRequest) -> Result<Value, AwsError> {
    let given = r.mac.clone().ok_or_else(|| validation("1 validation error detected: Value null at 'mac' failed to satisfy constraint: Member must not be null"))?;
    let (arn, mac) = mac_of(call, st, &r, "VerifyMac")?;
    if !crypto::same(&mac, &given) {
        return Err(AwsError::client("KMSInvalidMacException", "The MAC is not valid for this message and key"));
    }
    Ok(json!({"KeyId": arn, "MacValid": true, "MacAlgorithm": r.mac_algorithm}))
}
