//! Signed digests of the trail, after CloudTrail's log file validation: every so often the
//! store's writer thread closes a range of each account's chain with a digest record that
//! names the range (first/last sequence number, the hash before it and the hash of its last
//! event), links to the previous digest by its signature, and is signed with the account's
//! Ed25519 key. The record format is documented in `docs/AUDIT.md`.
//!
//! The writer emits digests inside its group commits (and, when the trail is idle, in a
//! transaction of their own when a timer fires), so no call waits for one.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// A digest closes a range once it holds this many events…
pub const DIGEST_EVERY: u64 = 1000;
/// …or once events have waited this long since the account's last digest.
pub const DIGEST_INTERVAL: Duration = Duration::from_secs(60);

pub const DIGEST_VERSION: &str = "edgeward-digest-1";
pub const SIGNATURE_ALGORITHM: &str = "Ed25519";
/// Written beside the store: every account's digest public keys.
pub const PUBLIC_KEYS_FILE: &str = "trail-public-keys.json";

/// What a digest signs. Field order is fixed by this struct, so the signed bytes are
/// `serde_json::to_vec(&body)` whatever the JSON map implementation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DigestBody {
    pub digest_version: String,
    pub account_id: String,
    /// 1, 2, 3, … per account.
    pub digest_seq: u64,
    /// When the previous digest was made (None for the first).
    pub digest_start_time: Option<String>,
    pub digest_end_time: String,
    /// The range of event sequence numbers covered, inclusive.
    pub first_seq: u64,
    pub last_seq: u64,
    /// The chain hash before `first_seq` (the previous digest's `lastHash`, zeros at the start).
    pub first_prev_hash: String,
    /// The chain hash of event `last_seq`.
    pub last_hash: String,
    /// The previous digest's signature (None for the first): digests form a chain too.
    pub previous_digest_signature: Option<String>,
    /// Hex SHA-256 of the 32-byte public key that verifies `signature`.
    pub public_key_fingerprint: String,
    pub signature_algorithm: String,
}

impl DigestBody {
    pub fn signed_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// A stored digest: the body and its Ed25519 signature (hex).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestRecord {
    #[serde(flatten)]
    pub body: DigestBody,
    pub signature: String,
}

/// An account's signing key as the store keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRecord {
    pub account_id: String,
    /// Hex of the 32-byte Ed25519 secret key.
    pub secret_key: String,
    pub public_key: String,
    pub fingerprint: String,
    pub created_at: String,
}

/// A public key as `trail-public-keys.json` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKey {
    pub public_key: String,
    pub fingerprint: String,
    pub created_at: String,
}

/// `trail-public-keys.json`: account → its keys (oldest first).
pub type PublicKeys = BTreeMap<String, Vec<PublicKey>>;

pub fn fingerprint(key: &VerifyingKey) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// Where an account's digests stand.
#[derive(Debug, Clone)]
struct Tip {
    digest_seq: u64,
    last_seq: u64,
    last_hash: [u8; 32],
    signature: Option<String>,
    end_time: Option<String>,
    /// The last digest, or the start of the process: the interval timer runs from here.
    since: Instant,
}

/// The digest state the writer thread carries between commits. Cloned per group (like the
/// chain heads) and kept only when the group commits.
#[derive(Clone)]
pub struct Digester {
    every: u64,
    interval: Duration,
    dir: Option<PathBuf>,
    started: Instant,
    tips: HashMap<String, Tip>,
    keys: HashMap<String, (SigningKey, String)>,
    /// Keys made since the last `publish`, to be written to the store and the key file.
    fresh_keys: Vec<KeyRecord>,
}

/// One digest ready for the store.
pub struct Emitted {
    pub account: String,
    pub digest_seq: u64,
    pub bytes: Vec<u8>,
}

impl Digester {
    /// `dir` receives `trail-public-keys.json` (None: no file, for tests).
    pub fn new(dir: Option<PathBuf>, every: u64, interval: Duration) -> Digester {
        Digester {
            every: every.max(1),
            interval,
            dir,
            started: Instant::now(),
            tips: HashMap::new(),
            keys: HashMap::new(),
            fresh_keys: Vec::new(),
        }
    }

    /// Restores an account's last digest (as read from the store at open).
    pub fn restore_digest(&mut self, record: &DigestRecord) -> Result<(), String> {
        let b = &record.body;
        let last_hash = hash32(&b.last_hash).ok_or_else(|| format!("digest {} of {} has a bad lastHash", b.digest_seq, b.account_id))?;
        self.tips.insert(
            b.account_id.clone(),
            Tip {
                digest_seq: b.digest_seq,
                last_seq: b.last_seq,
                last_hash,
                signature: Some(record.signature.clone()),
                end_time: Some(b.digest_end_time.clone()),
                since: self.started,
            },
        );
        Ok(())
    }

    /// Restores an account's signing key (as read from the store at open).
    pub fn restore_key(&mut self, record: &KeyRecord) -> Result<(), String> {
        let secret: [u8; 32] = hex::decode(&record.secret_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| format!("the trail signing key of {} is damaged", record.account_id))?;
        let key = SigningKey::from_bytes(&secret);
        let fp = fingerprint(&key.verifying_key());
        self.keys.insert(record.account_id.clone(), (key, fp));
        Ok(())
    }

    /// Forgets every digest (the store was wiped); keys stay.
    pub fn wipe(&mut self) {
        self.tips.clear();
    }

    fn tip(&self, account: &str) -> Option<&Tip> {
        self.tips.get(account)
    }

    fn covered(&self, account: &str) -> u64 {
        self.tip(account).map_or(0, |t| t.last_seq)
    }

    fn since(&self, account: &str) -> Instant {
        self.tip(account).map_or(self.started, |t| t.since)
    }

    /// The accounts whose uncovered events call for a digest now: `every` of them, or any
    /// once `interval` has passed since the account's last digest.
    pub fn due<'a>(&self, heads: impl Iterator<Item = (&'a str, u64)>, now: Instant) -> Vec<String> {
        heads
            .filter(|(account, seq)| {
                let pending = seq.saturating_sub(self.covered(account));
                pending > 0 && (pending >= self.every || now.duration_since(self.since(account)) >= self.interval)
            })
            .map(|(a, _)| a.to_string())
            .collect()
    }

    /// When the writer must wake up to digest an idle trail (None: nothing is pending).
    pub fn next_deadline<'a>(&self, heads: impl Iterator<Item = (&'a str, u64)>) -> Option<Instant> {
        heads.filter(|(account, seq)| *seq > self.covered(account)).map(|(account, _)| self.since(account) + self.interval).min()
    }

    /// Makes and signs the digest closing `account`'s chain at `(last_seq, last_hash)`.
    pub fn emit(&mut self, account: &str, last_seq: u64, last_hash: [u8; 32], now_secs: i64, now: Instant) -> Emitted {
        let (key, fp) = self.key_for(account, now_secs);
        let tip = self.tips.get(account);
        let body = DigestBody {
            digest_version: DIGEST_VERSION.into(),
            account_id: account.to_string(),
            digest_seq: tip.map_or(0, |t| t.digest_seq) + 1,
            digest_start_time: tip.and_then(|t| t.end_time.clone()),
            digest_end_time: crate::time::iso8601(now_secs),
            first_seq: tip.map_or(0, |t| t.last_seq) + 1,
            last_seq,
            first_prev_hash: hex::encode(tip.map_or([0; 32], |t| t.last_hash)),
            last_hash: hex::encode(last_hash),
            previous_digest_signature: tip.and_then(|t| t.signature.clone()),
            public_key_fingerprint: fp,
            signature_algorithm: SIGNATURE_ALGORITHM.into(),
        };
        let signature = hex::encode(key.sign(&body.signed_bytes()).to_bytes());
        let digest_seq = body.digest_seq;
        self.tips.insert(
            account.to_string(),
            Tip { digest_seq, last_seq, last_hash, signature: Some(signature.clone()), end_time: Some(body.digest_end_time.clone()), since: now },
        );
        let bytes = serde_json::to_vec(&DigestRecord { body, signature }).unwrap_or_default();
        Emitted { account: account.to_string(), digest_seq, bytes }
    }

    /// After a failed digest-only write: wait another interval before trying again.
    pub fn postpone(&mut self, accounts: &[String], now: Instant) {
        for a in accounts {
            if let Some(t) = self.tips.get_mut(a) {
                t.since = now;
            }
        }
        if accounts.iter().any(|a| !self.tips.contains_key(a)) {
            self.started = now;
        }
    }

    fn key_for(&mut self, account: &str, now_secs: i64) -> (SigningKey, String) {
        if let Some(k) = self.keys.get(account) {
            return k.clone();
        }
        let key = SigningKey::from_bytes(&crate::ids::random_bytes::<32>());
        let public = key.verifying_key();
        let fp = fingerprint(&public);
        self.fresh_keys.push(KeyRecord {
            account_id: account.to_string(),
            secret_key: hex::encode(key.to_bytes()),
            public_key: hex::encode(public.as_bytes()),
            fingerprint: fp.clone(),
            created_at: crate::time::iso8601(now_secs),
        });
        self.keys.insert(account.to_string(), (key.clone(), fp.clone()));
        (key, fp)
    }

    /// Keys made since the last call, to be stored in the same transaction as their digests.
    pub fn take_fresh_keys(&mut self) -> Vec<KeyRecord> {
        std::mem::take(&mut self.fresh_keys)
    }

    /// Writes `trail-public-keys.json` (after the keys are committed).
    pub fn publish(&self, records: &[KeyRecord]) -> Result<(), String> {
        match &self.dir {
            Some(dir) => write_public_keys(dir, records),
            None => Ok(()),
        }
    }
}

fn hash32(text: &str) -> Option<[u8; 32]> {
    hex::decode(text).ok()?.try_into().ok()
}

/// Writes every account's public keys to `dir/trail-public-keys.json` (atomically).
pub fn write_public_keys(dir: &Path, records: &[KeyRecord]) -> Result<(), String> {
    let mut keys = PublicKeys::new();
    for r in records {
        keys.entry(r.account_id.clone()).or_default().push(PublicKey {
            public_key: r.public_key.clone(),
            fingerprint: r.fingerprint.clone(),
            created_at: r.created_at.clone(),
        });
    }
    let path = dir.join(PUBLIC_KEYS_FILE);
    let tmp = dir.join(format!("{PUBLIC_KEYS_FILE}.tmp"));
    let text = serde_json::to_string_pretty(&keys).map_err(|e| e.to_string())?;
    let write = || -> std::io::Result<()> {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    };
    write().map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Reads `dir/trail-public-keys.json`.
pub fn read_public_keys(dir: &Path) -> Result<PublicKeys, String> {
    let path = dir.join(PUBLIC_KEYS_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{} is not valid: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Verifier;

    #[test]
    fn digests_chain_and_verify() {
        let mut d = Digester::new(None, 3, Duration::from_secs(60));
        let now = Instant::now();
        assert!(d.due([("111111111111", 2)].into_iter(), now).is_empty());
        assert_eq!(d.due([("111111111111", 3)].into_iter(), now), vec!["111111111111".to_string()]);
        let later = now + Duration::from_secs(61);
        assert_eq!(d.due([("111111111111", 1)].into_iter(), later).len(), 1);
        assert!(d.next_deadline([("111111111111", 0)].into_iter()).is_none());

        let first = d.emit("111111111111", 3, [7; 32], 1_700_000_000, now);
        let keys = d.take_fresh_keys();
        assert_eq!(keys.len(), 1);
        let second = d.emit("111111111111", 5, [9; 32], 1_700_000_060, later);
        assert!(d.take_fresh_keys().is_empty(), "one key per account");
        let a: DigestRecord = serde_json::from_slice(&first.bytes).unwrap();
        let b: DigestRecord = serde_json::from_slice(&second.bytes).unwrap();
        assert_eq!((a.body.first_seq, a.body.last_seq, b.body.first_seq, b.body.last_seq), (1, 3, 4, 5));
        assert_eq!(b.body.previous_digest_signature.as_deref(), Some(a.signature.as_str()));
        assert_eq!(b.body.first_prev_hash, hex::encode([7; 32]));
        let public = VerifyingKey::from_bytes(&hash32(&keys[0].public_key).unwrap()).unwrap();
        assert_eq!(fingerprint(&public), b.body.public_key_fingerprint);
        let sig = ed25519_dalek::Signature::from_slice(&hex::decode(&b.signature).unwrap()).unwrap();
        public.verify(&b.body.signed_bytes(), &sig).unwrap();
        let mut forged = b.body.clone();
        forged.last_seq = 6;
        assert!(public.verify(&forged.signed_bytes(), &sig).is_err());

        // A restored digester continues the same chain.
        let mut r = Digester::new(None, 3, Duration::from_secs(60));
        r.restore_key(&keys[0]).unwrap();
        r.restore_digest(&b).unwrap();
        let third: DigestRecord = serde_json::from_slice(&r.emit("111111111111", 6, [1; 32], 1_700_000_120, later).bytes).unwrap();
        assert_eq!(third.body.digest_seq, 3);
        assert_eq!(third.body.previous_digest_signature.as_deref(), Some(b.signature.as_str()));
        assert!(r.take_fresh_keys().is_empty());
    }
}
