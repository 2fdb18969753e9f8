//! KMS (awsJson1_1): keys, aliases, key policies, grants, key states, rotation, and the
//! cryptography (AES-256-GCM with the encryption context as additional data). Also the
//! forward-access mechanism other services use to call KMS on a caller's behalf.

use serde_json::Value;

use crate::call::Call;
use crate::error::AwsError;

/// KMS state across accounts, loaded from records under `kms/`.
#[derive(Debug, Default)]
pub struct KmsState {}

impl KmsState {
    /// Reads one stored record (key `kms/...`).
    pub fn load_record(&mut self, _key: &str, _value: &[u8]) -> Result<(), serde_json::Error> {
        Ok(())
    }
}

pub fn handle(_call: &mut Call<'_>, op: &str, _input: &Value) -> Result<Value, AwsError> {
    Err(AwsError::new(501, "NotImplemented", format!("KMS {op} is not implemented yet in edgeward")))
}
