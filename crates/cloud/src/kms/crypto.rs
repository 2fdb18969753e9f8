//! KMS cryptography: the cloud's root key (which wraps every key's material at rest), the
//! self-describing ciphertext blob, AES-256-GCM with the encryption context as additional
//! data, HMAC, and the base64 of the JSON wire format.

use std::collections::BTreeMap;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};

/// The root key file in the data directory (32 random bytes, hex, mode 0600).
pub const ROOT_KEY_FILE: &str = "root-key";
/// The environment variable that gives the root key instead (64 hex characters).
pub const ROOT_KEY_ENV: &str = "EDGEWARD_ROOT_KEY";

/// The cloud's root key: wraps every KMS key's material before it reaches the store.
#[derive(Clone)]
pub struct RootKey(Aes256Gcm);

impl std::fmt::Debug for RootKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RootKey(..)")
    }
}

impl RootKey {
    pub fn from_bytes(key: &[u8; 32]) -> RootKey {
        RootKey(Aes256Gcm::new_from_slice(key).expect("a 32-byte key"))
    }

    /// `EDGEWARD_ROOT_KEY` when set, else `<dir>/root-key`, created (mode 0600) when missing.
    pub fn load_or_create(dir: &Path) -> Result<RootKey, String> {
        if let Some(v) = std::env::var_os(ROOT_KEY_ENV).filter(|v| !v.is_empty()) {
            let text = v.to_string_lossy().to_string();
            return parse_hex_key(text.trim()).map(|k| RootKey::from_bytes(&k)).ok_or_else(|| format!("{ROOT_KEY_ENV} must be 64 hex characters"));
        }
        let path = dir.join(ROOT_KEY_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => parse_hex_key(text.trim())
                .map(|k| RootKey::from_bytes(&k))
                .ok_or_else(|| format!("{} must hold 64 hex characters", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = crate::ids::random_bytes();
                write_private(&path, hex::encode(key).as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                Ok(RootKey::from_bytes(&key))
            }
            Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        }
    }

    /// Encrypts key material, bound to `label` (the key ARN and material id): nonce ‖ ciphertext ‖ tag.
    pub fn wrap(&self, label: &str, material: &[u8]) -> Vec<u8> {
        seal(&self.0, label.as_bytes(), material)
    }

    pub fn unwrap(&self, label: &str, wrapped: &[u8]) -> Option<Vec<u8>> {
        open(&self.0, label.as_bytes(), wrapped)
    }
}

fn parse_hex_key(text: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(text).ok()?;
    bytes.try_into().ok()
}

/// Writes a file readable by its owner only (created with mode 0600, then renamed in place).
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension("tmp");
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// AES-256-GCM with a random 96-bit nonce: nonce ‖ ciphertext ‖ tag.
fn seal(cipher: &Aes256Gcm, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let nonce: [u8; 12] = crate::ids::random_bytes();
    let ct = cipher.encrypt(&Nonce::from(nonce), Payload { msg: plaintext, aad }).expect("AES-GCM encrypts any KMS-sized input");
    let mut out = Vec::with_capacity(12 + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

fn open(cipher: &Aes256Gcm, aad: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() < 12 + 16 {
        return None;
    }
    let (nonce, ct) = sealed.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    cipher.decrypt(&Nonce::from(nonce), Payload { msg: ct, aad }).ok()
}

/// A blob's additional authenticated data: its header, then the encryption context in
/// canonical form (keys sorted, JSON), written into one buffer.
fn aad(header: &[u8], ctx: &BTreeMap<String, String>) -> Vec<u8> {
    let mut aad = Vec::with_capacity(header.len() + 160);
    aad.extend_from_slice(header);
    serde_json::to_writer(&mut aad, ctx).expect("a string map serializes");
    aad
}

/// The version byte that starts every ciphertext blob.
const BLOB_VERSION: u8 = 1;

/// A parsed ciphertext blob: which key and material made it, and the sealed payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob<'a> {
    pub key_arn: &'a str,
    /// The key material id (64 hex characters).
    pub material_id: String,
    header: &'a [u8],
    sealed: &'a [u8],
}

/// Encrypts `plaintext` under a key's material. The blob is
/// `version ‖ len(arn) ‖ arn ‖ material id (32 bytes) ‖ nonce ‖ ciphertext ‖ tag`; the
/// header (everything before the nonce) and the canonical encryption context are the AAD.
pub fn encrypt_blob(key_arn: &str, material_id: &str, material: &[u8], ctx: &BTreeMap<String, String>, plaintext: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + key_arn.len() + 32 + 12 + plaintext.len() + 16);
    out.push(BLOB_VERSION);
    out.push(key_arn.len() as u8);
    out.extend_from_slice(key_arn.as_bytes());
    out.extend_from_slice(&hex::decode(material_id).unwrap_or_else(|_| vec![0; 32]));
    let aad = aad(&out, ctx);
    let cipher = Aes256Gcm::new_from_slice(material).expect("symmetric material is 32 bytes");
    out.extend_from_slice(&seal(&cipher, &aad, plaintext));
    out
}

/// Reads a blob's header; None when it is not one of ours.
pub fn parse_blob(blob: &[u8]) -> Option<Blob<'_>> {
    if blob.len() < 2 || blob[0] != BLOB_VERSION {
        return None;
    }
    let n = blob[1] as usize;
    let header_len = 2 + n + 32;
    if blob.len() < header_len + 12 + 16 {
        return None;
    }
    let key_arn = std::str::from_utf8(&blob[2..2 + n]).ok()?;
    Some(Blob { key_arn, material_id: hex::encode(&blob[2 + n..header_len]), header: &blob[..header_len], sealed: &blob[header_len..] })
}

/// Decrypts a parsed blob with its material; None when the context or the blob is wrong.
pub fn decrypt_blob(blob: &Blob<'_>, material: &[u8], ctx: &BTreeMap<String, String>) -> Option<Vec<u8>> {
    let aad = aad(blob.header, ctx);
    let cipher = Aes256Gcm::new_from_slice(material).ok()?;
    open(&cipher, &aad, blob.sealed)
}

/// HMAC of `message` with `key` for a MacAlgorithm (HMAC_SHA_224/256/384/512).
pub fn hmac(algorithm: &str, key: &[u8], message: &[u8]) -> Option<Vec<u8>> {
    fn run<D: hmac::EagerHash>(key: &[u8], message: &[u8]) -> Vec<u8>
    where
        Hmac<D>: Mac + KeyInit,
    {
        let mut m = <Hmac<D> as KeyInit>::new_from_slice(key).expect("HMAC accepts any key length");
        m.update(message);
        m.finalize().into_bytes().to_vec()
    }
    Some(match algorithm {
        "HMAC_SHA_224" => run::<sha2::Sha224>(key, message),
        "HMAC_SHA_256" => run::<sha2::Sha256>(key, message),
        "HMAC_SHA_384" => run::<sha2::Sha384>(key, message),
        "HMAC_SHA_512" => run::<sha2::Sha512>(key, message),
        _ => return None,
    })
}

/// Compares in constant time.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

pub use crate::ids::random;

pub use crate::protocol::base64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_bind_key_material_and_context() {
        let material = random(32);
        let mid = hex::encode(random(32));
        let arn = "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let mut ctx = BTreeMap::new();
        ctx.insert("b".to_string(), "2".to_string());
        ctx.insert("a".to_string(), "1".to_string());
        let blob = encrypt_blob(arn, &mid, &material, &ctx, b"secret");
        let parsed = parse_blob(&blob).unwrap();
        assert_eq!(parsed.key_arn, arn);
        assert_eq!(parsed.material_id, mid);
        assert_eq!(decrypt_blob(&parsed, &material, &ctx).unwrap(), b"secret");
        let mut other = ctx.clone();
        other.insert("a".into(), "x".into());
        assert!(decrypt_blob(&parsed, &material, &other).is_none());
        assert!(decrypt_blob(&parsed, &material, &BTreeMap::new()).is_none());
        let mut tampered = blob.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(decrypt_blob(&parse_blob(&tampered).unwrap(), &material, &ctx).is_none());
    }

    #[test]
    fn root_key_wraps_with_a_label() {
        let root = RootKey::from_bytes(&[7; 32]);
        let w = root.wrap("k1", b"material");
        assert_eq!(root.unwrap("k1", &w).unwrap(), b"material");
        assert!(root.unwrap("k2", &w).is_none());
        assert!(RootKey::from_bytes(&[8; 32]).unwrap("k1", &w).is_none());
    }

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        let mac = hmac("HMAC_SHA_256", b"Jefe", b"what do ya want for nothing?").unwrap();
        assert_eq!(hex::encode(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }
}
