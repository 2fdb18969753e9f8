//! Server-side encryption: every object gets its own 256-bit data key. SSE-S3 wraps it under
//! the cloud's root key; SSE-KMS asks KMS for it (GenerateDataKey) and unwraps it (Decrypt)
//! through the shared forward-access mechanism, as the caller, with
//! `kms:ViaService = s3.<region>.amazonaws.com` and the encryption context
//! `aws:s3:arn = <object ARN>` (the bucket ARN with an S3 Bucket Key). So the customer's key
//! policy decides every read and write, and a disabled key stops reads at once.

use std::collections::BTreeMap;

use super::model::{BucketRecord, Encryption};
use super::request::S3Request;
use crate::call::Call;
use crate::error::AwsError;
use crate::state::State;

const VIA: &str = "s3";
/// What the root key's wrapping is bound to (so a wrapped S3 data key is never accepted as
/// anything else).
const ROOT_LABEL: &str = "s3-object-key";

/// The encryption a new object asks for (its headers), else the bucket's default.
pub fn requested(req: &S3Request, bucket: &BucketRecord) -> Result<(String, Option<String>, Option<String>, bool), AwsError> {
    if req.header("x-amz-server-side-encryption-customer-algorithm").is_some() {
        return Err(AwsError::new(501, "NotImplemented", "edgeward does not implement SSE-C (customer-provided keys)"));
    }
    let default = bucket.encryption.clone().unwrap_or_default();
    let algorithm = match req.header("x-amz-server-side-encryption") {
        Some(a @ ("AES256" | "aws:kms" | "aws:kms:dsse")) => a.to_string(),
        Some(_) => return Err(AwsError::client("InvalidArgument", "The encryption method specified is not supported").with("ArgumentName", "x-amz-server-side-encryption")),
        None => default.algorithm.clone(),
    };
    let kms = algorithm.starts_with("aws:kms");
    let key_header = req.header("x-amz-server-side-encryption-aws-kms-key-id");
    if key_header.is_some() && !kms {
        return Err(AwsError::client(
            "InvalidArgument",
            "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms",
        ));
    }
    let explicit = req.header("x-amz-server-side-encryption").is_some();
    let key_id = if !kms {
        None
    } else if let Some(k) = key_header {
        Some(k.to_string())
    } else if !explicit || default.algorithm.starts_with("aws:kms") {
        default.kms_key_id.clone()
    } else {
        None
    };
    let context = req.header("x-amz-server-side-encryption-context").map(str::to_string);
    if context.is_some() && !kms {
        return Err(AwsError::client("InvalidArgument", "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms"));
    }
    let bucket_key = match req.header("x-amz-server-side-encryption-bucket-key-enabled") {
        Some(v) => v.eq_ignore_ascii_case("true"),
        None => kms && default.bucket_key_enabled,
    };
    Ok((algorithm, key_id, context, bucket_key))
}

/// The KMS encryption context: `aws:s3:arn` plus the caller's own pairs.
fn kms_context(enc_context: Option<&str>, resource_arn: &str) -> Result<BTreeMap<String, String>, AwsError> {
    let mut ctx = BTreeMap::new();
    if let Some(b64) = enc_context {
        let invalid = || AwsError::client("InvalidArgument", "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map");
        let json = crate::protocol::base64::decode(b64).ok_or_else(invalid)?;
        let map: BTreeMap<String, String> = serde_json::from_slice(&json).map_err(|_| invalid())?;
        ctx.extend(map);
    }
    ctx.insert("aws:s3:arn".to_string(), resource_arn.to_string());
    Ok(ctx)
}

/// A new data key for an object (or a multipart upload): the key and how it is kept.
pub fn new_key(call: &mut Call<'_>, st: &mut State, req: &S3Request, bucket: &BucketRecord, key: &str) -> Result<(Encryption, [u8; 32]), AwsError> {
    let (algorithm, key_id, context, bucket_key) = requested(req, bucket)?;
    if !algorithm.starts_with("aws:kms") {
        let data_key = crate::ids::random_bytes::<32>();
        let wrapped = call.cloud.kms_root.wrap(ROOT_LABEL, &data_key);
        let enc = Encryption { algorithm, kms_key_arn: None, context: None, bucket_key_enabled: false, wrapped_key: wrapped };
        return Ok((enc, data_key));
    }
    let arn = context_arn(bucket, key, bucket_key);
    let ctx = kms_context(context.as_deref(), &arn)?;
    let dk = crate::kms::generate_data_key_for(call, st, VIA, key_id.as_deref(), &ctx).map_err(kms_error)?;
    let data_key: [u8; 32] = dk.plaintext.as_slice().try_into().map_err(|_| AwsError::internal("KMS returned a data key of the wrong size"))?;
    let enc = Encryption { algorithm, kms_key_arn: Some(dk.key_arn), context, bucket_key_enabled: bucket_key, wrapped_key: dk.ciphertext };
    Ok((enc, data_key))
}

/// The data key of a stored object: unwrapped by the root key, or decrypted by KMS as the
/// caller (denied, disabled or pending-deletion keys fail here).
pub fn open_key(call: &mut Call<'_>, st: &mut State, enc: &Encryption, bucket: &str, key: &str) -> Result<[u8; 32], AwsError> {
    let plain = if enc.algorithm.starts_with("aws:kms") {
        let arn = if enc.bucket_key_enabled { format!("arn:aws:s3:::{bucket}") } else { format!("arn:aws:s3:::{bucket}/{key}") };
        let ctx = kms_context(enc.context.as_deref(), &arn)?;
        crate::kms::decrypt_for(call, st, VIA, &enc.wrapped_key, &ctx).map_err(kms_error)?
    } else {
        call.cloud.kms_root.unwrap(ROOT_LABEL, &enc.wrapped_key).ok_or_else(|| AwsError::internal("an object's data key does not unwrap"))?
    };
    plain.as_slice().try_into().map_err(|_| AwsError::internal("an object's data key has the wrong size"))
}

fn context_arn(bucket: &BucketRecord, key: &str, bucket_key: bool) -> String {
    if bucket_key {
        format!("arn:aws:s3:::{}", bucket.name)
    } else {
        format!("arn:aws:s3:::{}/{key}", bucket.name)
    }
}

/// The response headers that describe an object's encryption.
pub fn headers(enc: Option<&Encryption>) -> Vec<(String, String)> {
    let Some(enc) = enc else { return Vec::new() };
    let mut h = vec![("x-amz-server-side-encryption".to_string(), enc.algorithm.clone())];
    if let Some(arn) = &enc.kms_key_arn {
        h.push(("x-amz-server-side-encryption-aws-kms-key-id".into(), arn.clone()));
    }
    if let Some(c) = &enc.context {
        h.push(("x-amz-server-side-encryption-context".into(), c.clone()));
    }
    if enc.bucket_key_enabled {
        h.push(("x-amz-server-side-encryption-bucket-key-enabled".into(), "true".into()));
    }
    h
}

/// A KMS failure in S3's words: a denial stays `AccessDenied` (403) with KMS's message;
/// other KMS errors are `KMS.<code>` (e.g. `KMS.DisabledException`, `KMS.NotFoundException`,
/// `KMS.KMSInvalidStateException`), 400.
pub fn kms_error(e: AwsError) -> AwsError {
    if e.code == "AccessDeniedException" || e.code == "AccessDenied" {
        return AwsError::new(403, "AccessDenied", e.message);
    }
    AwsError::client(format!("KMS.{}", e.code), e.message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kms_errors_in_s3_words() {
        let e = kms_error(AwsError::client("DisabledException", "key is disabled."));
        assert_eq!((e.status, e.code.as_ref()), (400, "KMS.DisabledException"));
        let e = kms_error(AwsError::client("AccessDeniedException", "User: x is not authorized to perform: kms:Decrypt"));
        assert_eq!((e.status, e.code.as_ref()), (403, "AccessDenied"));
    }

    #[test]
    fn context_carries_the_object_arn_and_the_callers_pairs() {
        let b64 = crate::protocol::base64::encode(br#"{"team":"a"}"#);
        let ctx = kms_context(Some(&b64), "arn:aws:s3:::b/k").unwrap();
        assert_eq!(ctx.get("aws:s3:arn").map(String::as_str), Some("arn:aws:s3:::b/k"));
        assert_eq!(ctx.get("team").map(String::as_str), Some("a"));
        assert!(kms_context(Some("not base64 json"), "x").is_err());
    }
}
