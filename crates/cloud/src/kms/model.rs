//! KMS records: keys (with their wrapped material versions and grants) and aliases, one
//! store record each (`kms/key/<key ARN>`, `kms/alias/<alias ARN>`).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use edgeward_policy::PolicyKind;
use serde::{Deserialize, Serialize};

use crate::state::{self, PolicyDoc, Tag};
use crate::store::Batch;

use super::crypto::RootKey;

/// A key's unwrapped material versions, by material id.
type MaterialById = HashMap<String, Arc<Vec<u8>>>;

/// KMS state across accounts, loaded from records under `kms/`.
#[derive(Debug, Default)]
pub struct KmsState {
    /// By key ARN.
    pub keys: BTreeMap<String, Key>,
    /// By alias ARN.
    pub aliases: BTreeMap<String, Alias>,
    /// Unwrapped material by key ARN and material id, filled on first use (memory only).
    material_cache: RwLock<HashMap<String, MaterialById>>,
}

impl KmsState {
    /// Reads one stored record (key `kms/...`).
    pub fn load_record(&mut self, key: &str, value: &[u8]) -> Result<(), serde_json::Error> {
        if key.starts_with("kms/key/") {
            let k: Key = serde_json::from_slice(value)?;
            self.keys.insert(k.arn.clone(), k);
        } else if key.starts_with("kms/alias/") {
            let a: Alias = serde_json::from_slice(value)?;
            self.aliases.insert(a.arn.clone(), a);
        }
        Ok(())
    }

    /// A key's material version in plaintext (memory only).
    pub(crate) fn material(&self, root: &RootKey, key: &Key, material_id: &str) -> Option<Arc<Vec<u8>>> {
        // Readers (every Decrypt) share the lock and allocate nothing.
        let cached = self.material_cache.read().unwrap_or_else(|e| e.into_inner());
        if let Some(m) = cached.get(&key.arn).and_then(|by_id| by_id.get(material_id)) {
            return Some(m.clone());
        }
        drop(cached);
        let m = key.materials.iter().find(|m| m.id == material_id)?;
        let label = format!("{}/{material_id}", key.arn);
        let plain = Arc::new(root.unwrap(&label, &hex::decode(&m.wrapped).ok()?)?);
        let mut cache = self.material_cache.write().unwrap_or_else(|e| e.into_inner());
        cache.entry(key.arn.clone()).or_default().insert(material_id.to_string(), plain.clone());
        Some(plain)
    }

    /// Forgets a key's cached material (deletion).
    pub(crate) fn forget(&self, key_arn: &str) {
        self.material_cache.write().unwrap_or_else(|e| e.into_inner()).remove(key_arn);
    }

    /// Writes a key's record into a batch.
    pub(crate) fn save_key(&self, batch: &mut Batch, arn: &str) {
        if let Some(k) = self.keys.get(arn) {
            state::put(batch, key_record(arn), k);
        }
    }

    pub(crate) fn save_alias(&self, batch: &mut Batch, arn: &str) {
        if let Some(a) = self.aliases.get(arn) {
            state::put(batch, alias_record(arn), a);
        }
    }

    /// Alias names (`alias/…`) that point at a key.
    pub fn aliases_of(&self, key: &Key) -> Vec<String> {
        let prefix = format!("arn:aws:kms:{}:{}:alias/", key.region, key.account);
        self.aliases.range(prefix.clone()..).take_while(|(a, _)| a.starts_with(&prefix)).filter(|(_, a)| a.target == key.id).map(|(_, a)| a.name.clone()).collect()
    }
}

pub fn key_record(arn: &str) -> String {
    format!("kms/key/{arn}")
}

pub fn alias_record(arn: &str) -> String {
    format!("kms/alias/{arn}")
}

pub fn key_arn(region: &str, account: &str, id: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:key/{id}")
}

pub fn alias_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:{name}")
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Key {
    pub arn: String,
    pub id: String,
    pub account: String,
    pub region: String,
    pub created: i64,
    #[serde(default)]
    pub description: String,
    /// ENCRYPT_DECRYPT, GENERATE_VERIFY_MAC or SIGN_VERIFY.
    pub usage: String,
    /// SYMMETRIC_DEFAULT, HMAC_224/256/384/512 or ECC_NIST_P256.
    pub spec: String,
    /// CUSTOMER or AWS.
    pub manager: String,
    /// Enabled, Disabled or PendingDeletion.
    pub state: String,
    #[serde(default)]
    pub deletion_date: Option<i64>,
    #[serde(default)]
    pub pending_window: Option<i64>,
    pub policy: PolicyDoc,
    #[serde(default)]
    pub tags: Vec<Tag>,
    /// Automatic rotation period in days, when automatic rotation is on.
    #[serde(default)]
    pub rotation_period: Option<i64>,
    #[serde(default)]
    pub next_rotation: Option<i64>,
    #[serde(default)]
    pub multi_region: bool,
    /// Material versions, oldest first; the last one is current.
    pub materials: Vec<Material>,
    #[serde(default)]
    pub grants: Vec<Grant>,
}

impl Key {
    pub fn current(&self) -> &Material {
        self.materials.last().expect("a key has material")
    }

    pub fn is_symmetric(&self) -> bool {
        self.spec == "SYMMETRIC_DEFAULT"
    }

    pub fn is_aws_managed(&self) -> bool {
        self.manager == "AWS"
    }
}

/// One version of a key's material, wrapped under the root key (hex).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Material {
    /// 64 hex characters (AWS's KeyMaterialId shape).
    pub id: String,
    pub wrapped: String,
    pub created: i64,
    /// AUTOMATIC or ON_DEMAND for material made by a rotation.
    #[serde(default)]
    pub rotation: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub token: String,
    pub created: i64,
    pub grantee: String,
    #[serde(default)]
    pub retiring: Option<String>,
    /// The account root ARN of the account that created it.
    pub issuing_account: String,
    pub operations: Vec<String>,
    #[serde(default)]
    pub context_subset: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub context_equals: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Alias {
    /// `alias/…`.
    pub name: String,
    pub arn: String,
    /// The target key's id.
    pub target: String,
    pub created: i64,
    pub updated: i64,
}

/// Makes new key material (32 bytes for AES-256, the HMAC spec's length for HMAC keys, the
/// 32-byte secret scalar for ECC_NIST_P256 keys), wrapped under the root key.
pub fn new_material(root: &RootKey, key_arn: &str, spec: &str, now: i64, rotation: Option<&str>) -> Material {
    let id = hex::encode(super::crypto::random(32));
    let plain = match spec {
        "HMAC_224" => super::crypto::random(28),
        "HMAC_384" => super::crypto::random(48),
        "HMAC_512" => super::crypto::random(64),
        super::asymmetric::ECC_NIST_P256 => super::asymmetric::new_secret(),
        _ => super::crypto::random(32),
    };
    let wrapped = hex::encode(root.wrap(&format!("{key_arn}/{id}"), &plain));
    Material { id, wrapped, created: now, rotation: rotation.map(str::to_string) }
}

/// The default key policy: the account root may do everything, which delegates to IAM.
pub fn default_policy(account: &str) -> PolicyDoc {
    let text = format!(
        r#"{{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {{
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "arn:aws:iam::{account}:root"
    }},
    "Action" : "kms:*",
    "Resource" : "*"
  }} ]
}}"#
    );
    PolicyDoc::new(&text, PolicyKind::Key, None).expect("the default key policy is valid")
}

/// The fixed key policy of an AWS managed key (`alias/aws/<service>`): use through the
/// service by principals of the account, metadata access for the account. (AWS's own
/// Secrets Manager policy repeats one Sid in two statements; edgeward's validator requires
/// unique Sids, so the second one says "(data keys)".)
pub fn aws_managed_policy(account: &str, region: &str, service: &str) -> PolicyDoc {
    let text = if service == "secretsmanager" {
        format!(
            r#"{{
  "Version" : "2012-10-17",
  "Id" : "auto-secretsmanager-2",
  "Statement" : [ {{
    "Sid" : "Allow access through AWS Secrets Manager for all principals in the account that are authorized to use AWS Secrets Manager",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "*"
    }},
    "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:CreateGrant", "kms:DescribeKey" ],
    "Resource" : "*",
    "Condition" : {{
      "StringEquals" : {{
        "kms:CallerAccount" : "{account}",
        "kms:ViaService" : "secretsmanager.{region}.amazonaws.com"
      }}
    }}
  }}, {{
    "Sid" : "Allow access through AWS Secrets Manager for all principals in the account that are authorized to use AWS Secrets Manager (data keys)",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "*"
    }},
    "Action" : "kms:GenerateDataKey*",
    "Resource" : "*",
    "Condition" : {{
      "StringEquals" : {{
        "kms:CallerAccount" : "{account}"
      }},
      "StringLike" : {{
        "kms:ViaService" : "secretsmanager.*.amazonaws.com"
      }}
    }}
  }}, {{
    "Sid" : "Allow direct access to key metadata to the account",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "arn:aws:iam::{account}:root"
    }},
    "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant" ],
    "Resource" : "*"
  }} ]
}}"#
        )
    } else {
        format!(
            r#"{{
  "Version" : "2012-10-17",
  "Id" : "auto-{service}-2",
  "Statement" : [ {{
    "Sid" : "Allow access through {service} for all principals in the account that are authorized to use {service}",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "*"
    }},
    "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey" ],
    "Resource" : "*",
    "Condition" : {{
      "StringEquals" : {{
        "kms:CallerAccount" : "{account}",
        "kms:ViaService" : "{service}.{region}.amazonaws.com"
      }}
    }}
  }}, {{
    "Sid" : "Allow direct access to key metadata to the account",
    "Effect" : "Allow",
    "Principal" : {{
      "AWS" : "arn:aws:iam::{account}:root"
    }},
    "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*" ],
    "Resource" : "*"
  }} ]
}}"#
        )
    };
    PolicyDoc::new(&text, PolicyKind::Key, None).expect("the AWS managed key policy is valid")
}

/// The description AWS gives its managed keys.
pub fn aws_managed_description(service: &str) -> String {
    match service {
        "secretsmanager" => "Default key that protects my Secrets Manager data when no other key is defined".into(),
        "s3" => "Default key that protects my S3 objects when no other key is defined".into(),
        other => format!("Default key that protects my {other} data when no other key is defined"),
    }
}
