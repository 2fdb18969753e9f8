//! Secrets Manager (awsJson1_1): secrets with versions and staging labels, resource
//! policies, and values encrypted under KMS keys through the forward-access mechanism.

use serde_json::Value;

use crate::call::Call;
use crate::error::AwsError;

/// Secrets across accounts, loaded from records under `secret/`.
#[derive(Debug, Default)]
pub struct SecretsState {}

impl SecretsState {
    /// Reads one stored record (key `secret/...`).
    pub fn load_record(&mut self, _key: &str, _value: &[u8]) -> Result<(), serde_json::Error> {
        Ok(())
    }
}

pub fn handle(_call: &mut Call<'_>, op: &str, _input: &Value) -> Result<Value, AwsError> {
    Err(AwsError::new(501, "NotImplemented", format!("Secrets Manager {op} is not implemented yet in edgeward")))
}
