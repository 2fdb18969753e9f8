//! Secret values go through KMS's forward-access API: the KMS use is authorized as the
//! caller (with `kms:ViaService = secretsmanager.<region>.amazonaws.com`) and recorded in
//! the trail with `invokedBy`. The encryption context is AWS's: the secret's ARN and the
//! version id. KMS errors become Secrets Manager's.

use std::collections::BTreeMap;

use crate::call::Call;
use crate::error::AwsError;
use crate::state::State;

const VIA: &str = "secretsmanager";

pub fn context(arn: &str, version_id: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("SecretARN".to_string(), arn.to_string()), ("SecretVersionId".to_string(), version_id.to_string())])
}

/// Encrypts a value under `key_id` (None: the AWS managed key `alias/aws/secretsmanager`).
pub fn encrypt(call: &mut Call<'_>, st: &mut State, key_id: Option<&str>, plaintext: &[u8], arn: &str, version_id: &str) -> Result<Vec<u8>, AwsError> {
    crate::kms::encrypt_for(call, st, VIA, key_id, plaintext, &context(arn, version_id)).map_err(|e| kms_error(e, false))
}

/// Decrypts a value (under the read lock: a change due to the key stops the call, see `Call::due`).
pub fn decrypt(call: &mut Call<'_>, st: &State, ciphertext: &[u8], arn: &str, version_id: &str) -> Result<Vec<u8>, AwsError> {
    crate::kms::decrypt_for_read(call, st, VIA, ciphertext, &context(arn, version_id)).map_err(|e| kms_error(e, true))
}

/// Secrets Manager's answer for a failed KMS call: a denial is `AccessDeniedException`
/// ("Access to KMS is not allowed"); anything else (a disabled key, a key pending deletion,
/// a missing key, a bad ciphertext) is `DecryptionFailure` / `EncryptionFailure` naming the
/// KMS error.
pub fn kms_error(e: AwsError, decrypting: bool) -> AwsError {
    if e.code == "AccessDeniedException" || e.code == "AccessDenied" {
        return AwsError::client("AccessDeniedException", "Access to KMS is not allowed");
    }
    let detail = format!("{} (Service: AWSKMS; Status Code: {}; Error Code: {})", e.message, e.status, e.code);
    if decrypting {
        AwsError::client("DecryptionFailure", format!("Secrets Manager can't decrypt the protected secret text using the provided KMS key: {detail}"))
    } else {
        AwsError::client("EncryptionFailure", format!("Secrets Manager can't encrypt the secret value: {detail}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kms_errors_map_to_secrets_manager_errors() {
        let denied = kms_error(AwsError::client("AccessDeniedException", "User: x is not authorized"), true);
        assert_eq!((denied.code.as_ref(), denied.message.as_str()), ("AccessDeniedException", "Access to KMS is not allowed"));
        let disabled = kms_error(AwsError::client("DisabledException", "arn:aws:kms:us-east-1:2:key/k is disabled."), true);
        assert_eq!(disabled.code, "DecryptionFailure");
        assert!(disabled.message.contains("DisabledException"));
        assert_eq!(kms_error(AwsError::client("NotFoundException", "no key"), false).code, "EncryptionFailure");
        assert_eq!(context("a", "v").len(), 2);
    }
}
