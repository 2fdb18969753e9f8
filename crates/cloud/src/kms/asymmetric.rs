//! Asymmetric KMS keys and data key pairs. edgeward implements one asymmetric key spec,
//! ECC_NIST_P256 with KeyUsage SIGN_VERIFY (signing algorithm ECDSA_SHA_256), and data key
//! pairs of KeyPairSpec ECC_NIST_P256: GetPublicKey, Sign, Verify, GenerateDataKeyPair and
//! GenerateDataKeyPairWithoutPlaintext. Every other asymmetric spec is answered
//! NotImplemented, naming the spec.
//!
//! A P-256 key's material is its 32-byte secret scalar, stored like symmetric material
//! (wrapped under the cloud's root key, unwrapped only in memory); the public key is derived
//! from it. On the wire, as AWS documents: public keys are DER SubjectPublicKeyInfo (RFC
//! 5280), signatures DER ECDSA-Sig-Value (ANSI X9.62, RFC 3279 §2.2.3), and the private key of
//! a data key pair DER PKCS #8 PrivateKeyInfo (RFC 5958), encrypted under a symmetric key as a
//! normal ciphertext blob that Decrypt opens.

use edgeward_policy::ContextValue;
use p256::ecdsa::signature::hazmat::{PrehashSigner, PrehashVerifier};
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::{EncodePrivateKey, EncodePublicKey};
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::call::Call;
use crate::error::AwsError;
use crate::state::State;

use super::access::{authorize, find, touched, usable, validation, Ask, Ids};
use super::crypto;
use super::data::{algorithm_key, encryption_context, invalid_usage, key, seal};
use super::grants::check_tokens;
use super::model::Key;
use super::wire::*;

/// The asymmetric key spec edgeward implements (KeySpec and KeyPairSpec).
pub const ECC_NIST_P256: &str = "ECC_NIST_P256";
/// Its signing algorithm.
pub const ECDSA_SHA_256: &str = "ECDSA_SHA_256";

/// AWS's SigningAlgorithmSpec.
const SIGNING_ALGORITHMS: &[&str] = &[
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "ECDSA_SHA_256",
    "ECDSA_SHA_384",
    "ECDSA_SHA_512",
    "SM2DSA",
    "ML_DSA_SHAKE_256",
    "ED25519_SHA_512",
    "ED25519_PH_SHA_512",
];

/// AWS's MessageType.
const MESSAGE_TYPES: &[&str] = &["RAW", "DIGEST", "EXTERNAL_MU"];

/// AWS's DataKeyPairSpec.
const DATA_KEY_PAIR_SPECS: &[&str] = &[
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "SM2",
    "ECC_NIST_EDWARDS25519",
    "ML_KEM_512",
    "ML_KEM_768",
    "ML_KEM_1024",
];

/// The signing algorithms of a SIGN_VERIFY key (DescribeKey, GetPublicKey); None for other keys.
pub fn signing_algorithms(key: &Key) -> Option<Vec<String>> {
    (key.usage == "SIGN_VERIFY").then(|| match key.spec.as_str() {
        ECC_NIST_P256 => vec![ECDSA_SHA_256.to_string()],
        _ => Vec::new(),
    })
}

// ---- P-256: the pure parts ----

/// A fresh P-256 secret scalar (32 bytes, big-endian, in [1, n-1]) from the system RNG.
pub fn new_secret() -> Vec<u8> {
    loop {
        // A uniform 256-bit value is out of range (zero or ≥ n) with probability < 2^-32.
        let bytes = crypto::random(32);
        if p256::SecretKey::from_slice(&bytes).is_ok() {
            return bytes;
        }
    }
}

fn secret_key(secret: &[u8]) -> Option<p256::SecretKey> {
    if secret.len() != 32 {
        return None;
    }
    p256::SecretKey::from_slice(secret).ok()
}

/// The DER SubjectPublicKeyInfo of a secret scalar's public key (uncompressed point).
pub fn public_key_der(secret: &[u8]) -> Option<Vec<u8>> {
    Some(secret_key(secret)?.public_key().to_public_key_der().ok()?.into_vec())
}

/// The DER PKCS #8 PrivateKeyInfo of a secret scalar (with the curve and the public key).
pub fn private_key_der(secret: &[u8]) -> Option<Vec<u8>> {
    Some(secret_key(secret)?.to_pkcs8_der().ok()?.as_bytes().to_vec())
}

/// What is signed: the SHA-256 of a RAW message, or a DIGEST message as given (32 bytes).
pub fn message_digest(message: &[u8], message_type: &str, algorithm: &str) -> Result<[u8; 32], AwsError> {
    match message_type {
        "RAW" => Ok(Sha256::digest(message).into()),
        "DIGEST" => message.try_into().map_err(|_| validation(format!("Digest is invalid length for algorithm {algorithm}."))),
        other => Err(validation(format!("MessageType {other} is not valid for algorithm {algorithm}."))),
    }
}

/// The DER ECDSA signature of a 32-byte digest (nonce per RFC 6979).
pub fn sign_digest(secret: &[u8], digest: &[u8; 32]) -> Option<Vec<u8>> {
    let key = SigningKey::from(secret_key(secret)?);
    let sig: DerSignature = key.sign_prehash(digest).ok()?;
    Some(sig.as_bytes().to_vec())
}

/// Whether `signature` (DER) is a valid ECDSA signature of the digest under the key.
pub fn verify_digest(secret: &[u8], digest: &[u8; 32], signature: &[u8]) -> bool {
    let Some(sk) = secret_key(secret) else { return false };
    let Ok(sig) = DerSignature::from_bytes(signature) else { return false };
    let key = p256::ecdsa::VerifyingKey::from(sk.public_key());
    key.verify_prehash(digest, &sig).is_ok()
}

// ---- the operations ----

fn dry_run(flag: Option<bool>) -> Result<(), AwsError> {
    if flag == Some(true) {
        return Err(AwsError::client("DryRunOperationException", "The request would have succeeded, but the DryRun option is set."));
    }
    Ok(())
}

/// The current material (secret scalar) of an asymmetric key, in memory.
fn secret_of(call: &Call<'_>, st: &State, k: &Key) -> Result<std::sync::Arc<Vec<u8>>, AwsError> {
    st.kms.material(&call.cloud.kms_root, k, &k.current().id).ok_or_else(|| AwsError::internal("the key material cannot be unwrapped"))
}

pub fn get_public_key(call: &mut Call<'_>, st: &State, r: KeyIdRequest) -> Result<Value, AwsError> {
    check_tokens(r.grant_tokens.as_deref())?;
    let found = find(call, st, &r.key_id, Ids::KeyOrAlias, true)?;
    touched(call, &found.arn);
    authorize(call, st, &found.arn, &Ask { op: "GetPublicKey", alias: found.alias.as_deref(), ..Ask::default() })?;
    let k = key(st, &found.arn);
    usable(k)?;
    if k.spec != ECC_NIST_P256 {
        return Err(AwsError::client("UnsupportedOperationException", format!("{} key spec {} is not valid for this operation.", k.arn, k.spec)));
    }
    let secret = secret_of(call, st, k)?;
    let public = public_key_der(&secret).ok_or_else(|| AwsError::internal("the key material is not a P-256 key"))?;
    Ok(json!({
        "KeyId": k.arn,
        "PublicKey": crypto::base64::encode(&public),
        "CustomerMasterKeySpec": k.spec,
        "KeySpec": k.spec,
        "KeyUsage": k.usage,
        "SigningAlgorithms": signing_algorithms(k),
    }))
}

/// What Sign and Verify share: the request's members that say what to sign or verify.
struct Signing<'a> {
    op: &'a str,
    key_id: &'a str,
    message: &'a [u8],
    message_type: Option<&'a str>,
    algorithm: &'a str,
    grant_tokens: Option<&'a [String]>,
}

/// The checks Sign and Verify share, up to the digest to sign or verify: (key ARN, digest).
fn signing_request(call: &mut Call<'_>, st: &State, r: Signing<'_>) -> Result<(String, [u8; 32]), AwsError> {
    let Signing { op, key_id, message, message_type, algorithm, grant_tokens } = r;
    if message.is_empty() {
        return Err(validation("1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length greater than or equal to 1"));
    }
    if message.len() > 4096 {
        return Err(validation("1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to 4096"));
    }
    if !SIGNING_ALGORITHMS.contains(&algorithm) {
        return Err(enum_error(algorithm, "signingAlgorithm", SIGNING_ALGORITHMS));
    }
    // kms:MessageType has the effective value: RAW when the parameter is omitted.
    let message_type = message_type.unwrap_or("RAW");
    if !MESSAGE_TYPES.contains(&message_type) {
        return Err(enum_error(message_type, "messageType", MESSAGE_TYPES));
    }
    check_tokens(grant_tokens)?;
    let found = find(call, st, key_id, Ids::KeyOrAlias, true)?;
    touched(call, &found.arn);
    let extra = vec![
        ("kms:SigningAlgorithm".into(), ContextValue::Single(algorithm.to_string())),
        ("kms:MessageType".into(), ContextValue::Single(message_type.to_string())),
    ];
    authorize(call, st, &found.arn, &Ask { op, alias: found.alias.as_deref(), extra, ..Ask::default() })?;
    let k = key(st, &found.arn);
    usable(k)?;
    if k.usage != "SIGN_VERIFY" {
        return Err(invalid_usage(k, op));
    }
    if !signing_algorithms(k).unwrap_or_default().iter().any(|a| a == algorithm) {
        return Err(AwsError::client("InvalidKeyUsageException", format!("Algorithm {algorithm} is incompatible with key spec {}.", k.spec)));
    }
    let digest = message_digest(message, message_type, algorithm)?;
    Ok((found.arn, digest))
}

pub fn sign(call: &mut Call<'_>, st: &State, r: SignRequest) -> Result<Value, AwsError> {
    let ask = Signing {
        op: "Sign",
        key_id: &r.key_id,
        message: &r.message,
        message_type: r.message_type.as_deref(),
        algorithm: &r.signing_algorithm,
        grant_tokens: r.grant_tokens.as_deref(),
    };
    let (arn, digest) = signing_request(call, st, ask)?;
    dry_run(r.dry_run)?;
    let secret = secret_of(call, st, key(st, &arn))?;
    let signature = sign_digest(&secret, &digest).ok_or_else(|| AwsError::internal("the key material is not a P-256 key"))?;
    Ok(json!({"KeyId": arn, "Signature": crypto::base64::encode(&signature), "SigningAlgorithm": r.signing_algorithm}))
}

pub fn verify(call: &mut Call<'_>, st: &State, r: VerifyRequest) -> Result<Value, AwsError> {
    if r.signature.is_empty() {
        return Err(validation("1 validation error detected: Value at 'signature' failed to satisfy constraint: Member must have length greater than or equal to 1"));
    }
    if r.signature.len() > 6144 {
        return Err(validation("1 validation error detected: Value at 'signature' failed to satisfy constraint: Member must have length less than or equal to 6144"));
    }
    let ask = Signing {
        op: "Verify",
        key_id: &r.key_id,
        message: &r.message,
        message_type: r.message_type.as_deref(),
        algorithm: &r.signing_algorithm,
        grant_tokens: r.grant_tokens.as_deref(),
    };
    let (arn, digest) = signing_request(call, st, ask)?;
    dry_run(r.dry_run)?;
    let secret = secret_of(call, st, key(st, &arn))?;
    if !verify_digest(&secret, &digest, &r.signature) {
        // AWS answers a signature that does not verify with this error and no message.
        return Err(AwsError::client("KMSInvalidSignatureException", ""));
    }
    Ok(json!({"KeyId": arn, "SignatureValid": true, "SigningAlgorithm": r.signing_algorithm}))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DataKeyPairResponse {
    #[serde(with = "b64")]
    pub private_key_ciphertext_blob: Vec<u8>,
    #[serde(with = "b64opt", skip_serializing_if = "Option::is_none")]
    pub private_key_plaintext: Option<Vec<u8>>,
    #[serde(with = "b64")]
    pub public_key: Vec<u8>,
    pub key_id: String,
    pub key_pair_spec: String,
    /// The material of the symmetric key that encrypted the private key.
    pub key_material_id: String,
}

/// GenerateDataKeyPair(WithoutPlaintext): a fresh key pair whose private key (PKCS #8) is
/// encrypted under a symmetric encryption key with the encryption context.
pub fn generate_data_key_pair(call: &mut Call<'_>, st: &State, r: GenerateDataKeyPairRequest, with_plaintext: bool) -> Result<DataKeyPairResponse, AwsError> {
    let op = if with_plaintext { "GenerateDataKeyPair" } else { "GenerateDataKeyPairWithoutPlaintext" };
    if !DATA_KEY_PAIR_SPECS.contains(&r.key_pair_spec.as_str()) {
        return Err(enum_error(&r.key_pair_spec, "keyPairSpec", DATA_KEY_PAIR_SPECS));
    }
    if r.key_pair_spec != ECC_NIST_P256 {
        return Err(AwsError::new(501, "NotImplemented", format!("KMS {op} with KeyPairSpec {} is not implemented in edgeward (ECC_NIST_P256 only)", r.key_pair_spec)));
    }
    if r.recipient.is_some() {
        // Never fall back to returning the private key in plaintext.
        return Err(AwsError::new(501, "NotImplemented", format!("KMS {op} with a Recipient (attested environments) is not implemented in edgeward")));
    }
    check_tokens(r.grant_tokens.as_deref())?;
    let ctx = encryption_context(&r.encryption_context);
    let found = find(call, st, &r.key_id, Ids::KeyOrAlias, true)?;
    touched(call, &found.arn);
    let extra = vec![("kms:DataKeyPairSpec".into(), ContextValue::Single(r.key_pair_spec.clone())), algorithm_key("SYMMETRIC_DEFAULT")];
    authorize(call, st, &found.arn, &Ask { op, context: Some(ctx), alias: found.alias.as_deref(), extra, ..Ask::default() })?;
    let k = key(st, &found.arn);
    usable(k)?;
    if k.usage != "ENCRYPT_DECRYPT" || !k.is_symmetric() {
        return Err(invalid_usage(k, op));
    }
    dry_run(r.dry_run)?;
    let material_id = k.current().id.clone();
    let secret = new_secret();
    let private = private_key_der(&secret).ok_or_else(|| AwsError::internal("cannot encode the private key"))?;
    let public = public_key_der(&secret).ok_or_else(|| AwsError::internal("cannot encode the public key"))?;
    let blob = seal(call, st, &found.arn, ctx, &private)?;
    Ok(DataKeyPairResponse {
        private_key_ciphertext_blob: blob,
        private_key_plaintext: with_plaintext.then_some(private),
        public_key: public,
        key_id: found.arn,
        key_pair_spec: r.key_pair_spec,
        key_material_id: material_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6979 A.2.5 (P-256): the private key x and its public key (Ux, Uy).
    const X: &str = "c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721";
    const UX: &str = "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6";
    const UY: &str = "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";

    #[test]
    fn public_key_is_der_spki_with_the_uncompressed_point() {
        let secret = hex::decode(X).unwrap();
        let spki = public_key_der(&secret).unwrap();
        // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING { 04 ‖ X ‖ Y } }: 91 bytes.
        let prefix = hex::decode("3059301306072a8648ce3d020106082a8648ce3d030107034200").unwrap();
        assert_eq!(spki.len(), 91);
        assert_eq!(&spki[..26], &prefix[..]);
        assert_eq!(hex::encode(&spki[26..]), format!("04{UX}{UY}"));
    }

    #[test]
    fn rfc6979_sample_signature() {
        // RFC 6979 A.2.5, SHA-256, message "sample": the deterministic signature (r, s).
        let secret = hex::decode(X).unwrap();
        let digest = message_digest(b"sample", "RAW", ECDSA_SHA_256).unwrap();
        let der = sign_digest(&secret, &digest).unwrap();
        let sig = p256::ecdsa::Signature::from_der(&der).unwrap();
        let (r, s) = sig.split_bytes();
        assert_eq!(hex::encode(r), "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716");
        assert_eq!(hex::encode(s), "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8");
        assert!(verify_digest(&secret, &digest, &der));
    }

    #[test]
    fn raw_and_digest_messages_sign_the_same_hash() {
        let secret = new_secret();
        let raw = message_digest(b"hello", "RAW", ECDSA_SHA_256).unwrap();
        let given = message_digest(&raw, "DIGEST", ECDSA_SHA_256).unwrap();
        assert_eq!(raw, given);
        let sig = sign_digest(&secret, &raw).unwrap();
        assert!(verify_digest(&secret, &given, &sig));
        let other = message_digest(b"hellO", "RAW", ECDSA_SHA_256).unwrap();
        assert!(!verify_digest(&secret, &other, &sig));
        assert!(!verify_digest(&new_secret(), &raw, &sig));
        assert!(!verify_digest(&secret, &raw, b"not DER"));
        let e = message_digest(&[0; 31], "DIGEST", ECDSA_SHA_256).unwrap_err();
        assert_eq!((e.code.as_ref(), e.message.as_str()), ("ValidationException", "Digest is invalid length for algorithm ECDSA_SHA_256."));
        assert_eq!(message_digest(&[0; 64], "EXTERNAL_MU", ECDSA_SHA_256).unwrap_err().code, "ValidationException");
    }

    #[test]
    fn pkcs8_holds_the_secret_and_matches_the_public_key() {
        use p256::pkcs8::DecodePrivateKey;
        let secret = new_secret();
        let der = private_key_der(&secret).unwrap();
        let back = p256::SecretKey::from_pkcs8_der(&der).unwrap();
        assert_eq!(back.to_bytes().as_slice(), secret.as_slice());
        assert_eq!(back.public_key().to_public_key_der().unwrap().as_bytes(), public_key_der(&secret).unwrap().as_slice());
        assert!(private_key_der(&[0; 32]).is_none());
        assert!(public_key_der(&[1; 31]).is_none());
    }
}
