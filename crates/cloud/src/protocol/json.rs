//! awsJson 1.0 / 1.1 (KMS, Secrets Manager, CloudTrail, SQS): JSON in and out. Errors carry
//! the code both in the body's `__type` (read by boto3) and in the `X-Amzn-ErrorType`
//! header (read by aws-sdk-rust); query-compatible services add `x-amzn-query-error`.

use serde_json::{json, Value};

use crate::error::AwsError;

/// The error body.
pub fn error_body(err: &AwsError) -> Vec<u8> {
    serde_json::to_vec(&json!({"__type": err.code, "message": err.message})).unwrap_or_default()
}

/// Parses a request body; an empty body is an empty object.
pub fn parse_body(body: &[u8], validation_code: &'static str) -> Result<Value, AwsError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    let v: Value = serde_json::from_slice(body).map_err(|e| AwsError::client("SerializationException", format!("Could not parse the request body as JSON: {e}")))?;
    if !v.is_object() {
        return Err(AwsError::client(validation_code, "The request body must be a JSON object"));
    }
    Ok(v)
}
