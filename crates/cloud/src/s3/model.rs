//! S3's records: buckets (with their configuration), object versions and multipart
//! uploads. Object bytes live in blob files (`blob`); these records hold everything else and
//! are stored one per entity:
//! - `s3/b/<bucket>`: a bucket and its configuration;
//! - `s3/o/<bucket>/<seq>`: one object version (or delete marker), `seq` orders versions;
//! - `s3/u/<bucket>/<upload id>`: a multipart upload in progress with its parts.
//!
//! Keys load in order, so a bucket comes before its objects and uploads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::checksum::ChecksumAlgorithm;
use crate::state::{PolicyDoc, Tag};

/// Every bucket (one global namespace across accounts, as in AWS).
#[derive(Debug, Default)]
pub struct S3State {
    pub buckets: BTreeMap<String, Bucket>,
    /// Next version sequence number (store keys and version order).
    pub next_seq: u64,
    /// Blob files whose records the current step removed: deleted once the step is durable.
    pub doomed: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Versioning {
    /// Never configured: versions are all `null`.
    #[default]
    Unversioned,
    Enabled,
    Suspended,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

/// A bucket's default encryption (`PutBucketEncryption`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DefaultEncryption {
    /// `AES256`, `aws:kms` or `aws:kms:dsse`.
    pub algorithm: String,
    pub kms_key_id: Option<String>,
    pub bucket_key_enabled: bool,
}

impl Default for DefaultEncryption {
    /// Since January 2023 every bucket encrypts new objects with SSE-S3 unless told otherwise.
    fn default() -> Self {
        DefaultEncryption { algorithm: "AES256".into(), kms_key_id: None, bucket_key_enabled: false }
    }
}

/// The stored part of a bucket.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketRecord {
    pub name: String,
    /// The owning account.
    pub owner: String,
    pub region: String,
    /// Milliseconds since the epoch.
    pub created: i64,
    #[serde(default)]
    pub policy: Option<PolicyDoc>,
    #[serde(default)]
    pub public_access_block: Option<PublicAccessBlock>,
    /// None: no tag set (`NoSuchTagSet`).
    #[serde(default)]
    pub tags: Option<Vec<Tag>>,
    #[serde(default)]
    pub versioning: Versioning,
    /// None: the implicit SSE-S3 default (GetBucketEncryption still answers it).
    #[serde(default)]
    pub encryption: Option<DefaultEncryption>,
}

#[derive(Debug, Clone)]
pub struct Bucket {
    pub rec: BucketRecord,
    /// Object key → versions, oldest first (the last is current).
    pub objects: BTreeMap<String, Vec<Version>>,
    /// Upload id → upload.
    pub uploads: BTreeMap<String, Upload>,
}

impl Bucket {
    pub fn new(rec: BucketRecord) -> Bucket {
        Bucket { rec, objects: BTreeMap::new(), uploads: BTreeMap::new() }
    }

    pub fn arn(&self) -> String {
        format!("arn:aws:s3:::{}", self.rec.name)
    }

    pub fn store_key(&self) -> String {
        format!("s3/b/{}", self.rec.name)
    }

    /// The current version of a key, unless it is a delete marker.
    pub fn current(&self, key: &str) -> Option<&Version> {
        self.objects.get(key).and_then(|v| v.last()).filter(|v| !v.delete_marker)
    }

    /// A version by id (`null` names the unversioned one).
    pub fn version(&self, key: &str, version_id: &str) -> Option<&Version> {
        self.objects.get(key)?.iter().find(|v| v.version_id == version_id)
    }
}

/// How an object's bytes are encrypted at rest. Every object is encrypted: with a data key
/// wrapped by the cloud's root key (SSE-S3) or by a KMS key (SSE-KMS).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Encryption {
    /// `AES256` or `aws:kms` (also `aws:kms:dsse`), as S3 reports it.
    pub algorithm: String,
    /// SSE-KMS: the key's ARN.
    #[serde(default)]
    pub kms_key_arn: Option<String>,
    /// SSE-KMS: the caller's `x-amz-server-side-encryption-context` (base64 JSON), if given.
    #[serde(default)]
    pub context: Option<String>,
    #[serde(default)]
    pub bucket_key_enabled: bool,
    /// The data key: wrapped under the root key (SSE-S3) or a KMS ciphertext (SSE-KMS).
    #[serde(with = "crate::protocol::base64")]
    pub wrapped_key: Vec<u8>,
}

/// A stretch of an object's bytes in one blob file (a whole object, or one multipart part).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Piece {
    pub blob: String,
    pub size: u64,
    /// Distinguishes the nonces of blobs sharing a data key (0 for a PUT; for a multipart
    /// part, the upload's counter at the time it was written).
    pub nonce_prefix: u32,
}

/// A checksum as S3 reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Checksum {
    pub algorithm: ChecksumAlgorithm,
    /// Base64, with `-N` for a composite multipart checksum.
    pub value: String,
    /// `FULL_OBJECT` or `COMPOSITE`.
    pub kind: String,
}

/// One part of a completed multipart object (for `partNumber` reads and attributes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartInfo {
    pub number: u32,
    pub size: u64,
    pub etag: String,
    #[serde(default)]
    pub checksum: Option<String>,
}

/// One version of an object, or a delete marker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    pub bucket: String,
    pub key: String,
    /// `null` outside versioning.
    pub version_id: String,
    pub seq: u64,
    #[serde(default)]
    pub delete_marker: bool,
    /// Milliseconds since the epoch.
    pub last_modified: i64,
    /// The account that wrote it.
    pub owner: String,
    /// Without quotes.
    #[serde(default)]
    pub etag: String,
    #[serde(default)]
    pub size: u64,
    /// Content-Type, Content-Encoding, Cache-Control, … as given.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// `x-amz-meta-*` (names lowercased, without the prefix).
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub storage_class: Option<String>,
    #[serde(default)]
    pub encryption: Option<Encryption>,
    #[serde(default)]
    pub pieces: Vec<Piece>,
    #[serde(default)]
    pub checksum: Option<Checksum>,
    /// Set for objects completed from a multipart upload.
    #[serde(default)]
    pub parts: Option<Vec<PartInfo>>,
    /// The multipart upload that made it (a repeated Complete answers with this version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upload_id: Option<String>,
}

impl Version {
    /// An empty version of `key` (no bytes, no metadata) for the caller to fill in; its id
    /// and sequence number are given when it is published.
    pub fn new(bucket: &str, key: &str, owner: &str, last_modified: i64) -> Version {
        Version {
            bucket: bucket.to_string(),
            key: key.to_string(),
            version_id: String::new(),
            seq: 0,
            delete_marker: false,
            last_modified,
            owner: owner.to_string(),
            etag: String::new(),
            size: 0,
            headers: BTreeMap::new(),
            metadata: BTreeMap::new(),
            tags: Vec::new(),
            storage_class: None,
            encryption: None,
            pieces: Vec::new(),
            checksum: None,
            parts: None,
            upload_id: None,
        }
    }

    pub fn store_key(&self) -> String {
        format!("s3/o/{}/{:020}", self.bucket, self.seq)
    }

    pub fn quoted_etag(&self) -> String {
        format!("\"{}\"", self.etag)
    }
}

/// One uploaded part of a multipart upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Part {
    pub number: u32,
    pub piece: Piece,
    /// Without quotes.
    pub etag: String,
    pub last_modified: i64,
    #[serde(default)]
    pub checksum: Option<String>,
}

/// A multipart upload in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Upload {
    pub bucket: String,
    pub key: String,
    pub id: String,
    pub initiated: i64,
    pub owner: String,
    /// The caller that started it (Initiator).
    pub initiator_arn: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub storage_class: Option<String>,
    pub encryption: Encryption,
    #[serde(default)]
    pub checksum_algorithm: Option<ChecksumAlgorithm>,
    #[serde(default)]
    pub checksum_type: Option<String>,
    #[serde(default)]
    pub parts: BTreeMap<u32, Part>,
    /// The nonce prefix the next blob written under this upload's key gets: every part
    /// upload (also a retried part number) takes a fresh one, so no two blobs sharing the
    /// data key share a nonce.
    #[serde(default)]
    pub next_nonce: u32,
}

impl Upload {
    pub fn store_key(&self) -> String {
        format!("s3/u/{}/{}", self.bucket, self.id)
    }
}

impl S3State {
    /// Reads one stored record (see the module comment for the keys).
    pub fn load_record(&mut self, key: &str, value: &[u8]) -> Result<(), serde_json::Error> {
        let mut parts = key.splitn(4, '/');
        let (_, kind, bucket) = (parts.next(), parts.next(), parts.next().unwrap_or(""));
        match kind {
            Some("b") => {
                let rec: BucketRecord = serde_json::from_slice(value)?;
                self.buckets.insert(rec.name.clone(), Bucket::new(rec));
            }
            Some("o") => {
                let v: Version = serde_json::from_slice(value)?;
                self.next_seq = self.next_seq.max(v.seq + 1);
                if let Some(b) = self.buckets.get_mut(bucket) {
                    // Keys load in `seq` order, so versions arrive oldest first.
                    b.objects.entry(v.key.clone()).or_default().push(v);
                }
            }
            Some("u") => {
                let u: Upload = serde_json::from_slice(value)?;
                if let Some(b) = self.buckets.get_mut(bucket) {
                    b.uploads.insert(u.id.clone(), u);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Every blob a record refers to (the rest are leftovers of crashed writes).
    pub fn referenced_blobs(&self) -> std::collections::HashSet<String> {
        let mut out = std::collections::HashSet::new();
        for b in self.buckets.values() {
            for v in b.objects.values().flatten() {
                out.extend(v.pieces.iter().map(|p| p.blob.clone()));
            }
            for u in b.uploads.values() {
                out.extend(u.parts.values().map(|p| p.piece.blob.clone()));
            }
        }
        out
    }

    pub fn take_seq(&mut self) -> u64 {
        let s = self.next_seq;
        self.next_seq += 1;
        s
    }
}

/// `x-amz-meta-*` and the standard stored headers, read from a request.
pub const STORED_HEADERS: [&str; 6] =
    ["content-type", "content-encoding", "content-disposition", "content-language", "cache-control", "expires"];
