//! CloudTrail (awsJson1_1): LookupEvents over the durable, hash-chained trail.

use serde_json::Value;

use crate::call::Call;
use crate::error::AwsError;

pub fn handle(_call: &mut Call<'_>, op: &str, _input: &Value) -> Result<Value, AwsError> {
    Err(AwsError::new(501, "NotImplemented", format!("CloudTrail {op} is not implemented yet in edgeward")))
}
