//! The cloud's state in memory: accounts, IAM entities, access keys and sessions. Every
//! record has one store key; a mutation writes the whole record into the call's batch, and
//! start-up reads every record back.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock};

use edgeward_policy::{ParseOptions, Policy, PolicyKind};
use serde::{Deserialize, Serialize};

use crate::store::{Batch, Store, StoreError};

/// A policy document as written, compiled on first use.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyDoc {
    pub text: String,
    pub kind: PolicyKind,
    #[serde(skip)]
    compiled: OnceLock<Option<Arc<Policy>>>,
}

impl PolicyDoc {
    /// Validates a document of a kind; the error is the policy engine's.
    pub fn new(text: &str, kind: PolicyKind, size_limit: Option<usize>) -> Result<PolicyDoc, edgeward_policy::PolicyError> {
        let mut opts = ParseOptions::new(kind);
        if let Some(l) = size_limit {
            opts = opts.with_size_limit(l);
        }
        let policy = Policy::parse(text, opts)?;
        let doc = PolicyDoc { text: text.to_string(), kind, compiled: OnceLock::new() };
        let _ = doc.compiled.set(Some(Arc::new(policy)));
        Ok(doc)
    }

    /// The compiled policy (None only if a stored document no longer parses).
    pub fn policy(&self) -> Option<&Arc<Policy>> {
        self.compiled
            .get_or_init(|| {
                let opts = ParseOptions::new(self.kind).with_size_limit(usize::MAX);
                Policy::parse(&self.text, opts).ok().map(Arc::new)
            })
            .as_ref()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: String,
}

impl Tag {
    pub fn pair(&self) -> (&str, &str) {
        (&self.key, &self.value)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created: i64,
    #[serde(default)]
    pub inline: BTreeMap<String, PolicyDoc>,
    #[serde(default)]
    pub attached: Vec<String>,
    #[serde(default)]
    pub boundary: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created: i64,
    #[serde(default)]
    pub inline: BTreeMap<String, PolicyDoc>,
    #[serde(default)]
    pub attached: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Role {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created: i64,
    pub trust: PolicyDoc,
    #[serde(default)]
    pub description: Option<String>,
    pub max_session_duration: i64,
    #[serde(default)]
    pub inline: BTreeMap<String, PolicyDoc>,
    #[serde(default)]
    pub attached: Vec<String>,
    #[serde(default)]
    pub boundary: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PolicyVersion {
    pub id: String,
    pub doc: PolicyDoc,
    pub created: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ManagedPolicy {
    pub name: String,
    pub path: String,
    pub id: String,
    pub arn: String,
    pub created: i64,
    pub updated: i64,
    #[serde(default)]
    pub description: Option<String>,
    pub default_version: String,
    pub versions: Vec<PolicyVersion>,
    /// The next version number to hand out (versions are never renumbered).
    pub next_version: u32,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

impl ManagedPolicy {
    pub fn default_doc(&self) -> Option<&PolicyDoc> {
        self.versions.iter().find(|v| v.id == self.default_version).map(|v| &v.doc)
    }
}

/// Who owns an access key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum KeyOwner {
    Root { account: String },
    User { account: String, user: String },
    Session { account: String },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessKey {
    pub id: String,
    pub secret: String,
    pub owner: KeyOwner,
    /// `Active` or `Inactive`.
    pub status: String,
    pub created: i64,
    #[serde(default)]
    pub last_used: Option<i64>,
}

/// When, for which service and in which region a long-term access key was last used
/// (GetAccessKeyLastUsed). Stored apart from the key so that use never rewrites the key.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeyUse {
    pub date: i64,
    pub service: String,
    pub region: String,
}

/// A temporary-credential session (AssumeRole, GetSessionToken).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub access_key_id: String,
    pub token: String,
    pub account: String,
    pub issued: i64,
    pub expires: i64,
    pub kind: SessionKind,
    #[serde(default)]
    pub source_identity: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum SessionKind {
    /// AssumeRole: acts as the role, limited by the session policies.
    AssumedRole {
        role_name: String,
        role_arn: String,
        role_id: String,
        session_name: String,
        #[serde(default)]
        tags: Vec<Tag>,
        #[serde(default)]
        transitive_tag_keys: Vec<String>,
        #[serde(default)]
        session_policy: Option<PolicyDoc>,
        #[serde(default)]
        session_policy_arns: Vec<String>,
        /// Assumed with credentials from another role session (role chaining).
        #[serde(default)]
        chained: bool,
    },
    /// GetSessionToken: acts as the long-term identity that asked for it.
    SessionToken { owner: KeyOwner },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub root_key: String,
    pub created: i64,
}

/// One account's IAM entities.
#[derive(Debug, Clone, Default)]
pub struct Iam {
    pub users: BTreeMap<String, User>,
    pub groups: BTreeMap<String, Group>,
    pub roles: BTreeMap<String, Role>,
    /// By ARN.
    pub policies: BTreeMap<String, ManagedPolicy>,
}

/// Everything the cloud holds in memory.
#[derive(Debug, Default)]
pub struct State {
    pub accounts: BTreeMap<String, Account>,
    pub iam: HashMap<String, Iam>,
    pub keys: HashMap<String, AccessKey>,
    pub sessions: HashMap<String, Session>,
    /// KMS keys, aliases and grants (records under `kms/`).
    pub kms: crate::kms::KmsState,
    /// Secrets Manager secrets (records under `secret/`).
    pub secrets: crate::secrets::SecretsState,
    /// SQS queues and messages (records under `sqs/`).
    pub sqs: crate::sqs::SqsState,
    /// S3 buckets, object versions and uploads (records under `s3/`; bytes in blob files).
    pub s3: crate::s3::S3State,
    /// Last use of long-term access keys, by key id.
    pub key_use: HashMap<String, KeyUse>,
}

// Store keys: one record per entity.
pub fn account_key(id: &str) -> String {
    format!("account/{id}")
}
pub fn user_key(account: &str, name: &str) -> String {
    format!("iam/{account}/user/{}", name.to_ascii_lowercase())
}
pub fn group_key(account: &str, name: &str) -> String {
    format!("iam/{account}/group/{}", name.to_ascii_lowercase())
}
pub fn role_key(account: &str, name: &str) -> String {
    format!("iam/{account}/role/{}", name.to_ascii_lowercase())
}
pub fn policy_key(account: &str, arn: &str) -> String {
    format!("iam/{account}/policy/{arn}")
}
pub fn access_key_key(id: &str) -> String {
    format!("key/{id}")
}
pub fn session_key(id: &str) -> String {
    format!("session/{id}")
}
pub fn key_use_key(id: &str) -> String {
    format!("keyuse/{id}")
}

/// Adds a record's current value to a batch.
pub fn put<T: Serialize>(batch: &mut Batch, key: String, value: &T) {
    batch.put(key, serde_json::to_vec(value).expect("state records serialize"));
}

impl State {
    /// Reads every record from the store.
    pub fn load(store: &Store) -> Result<State, StoreError> {
        let mut st = State::default();
        let bad = |k: &str, e: serde_json::Error| StoreError(format!("record {k} is unreadable: {e}"));
        for (k, v) in store.load_prefix("")? {
            let mut parts = k.splitn(4, '/');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("account"), Some(_), None) => {
                    let a: Account = serde_json::from_slice(&v).map_err(|e| bad(&k, e))?;
                    st.iam.entry(a.id.clone()).or_default();
                    st.accounts.insert(a.id.clone(), a);
                }
                (Some("key"), Some(_), None) => {
                    let key: AccessKey = serde_json::from_slice(&v).map_err(|e| bad(&k, e))?;
                    st.keys.insert(key.id.clone(), key);
                }
                (Some("keyuse"), Some(id), None) => {
                    let u: KeyUse = serde_json::from_slice(&v).map_err(|e| bad(&k, e))?;
                    st.key_use.insert(id.to_string(), u);
                }
                (Some("session"), Some(_), None) => {
                    let s: Session = serde_json::from_slice(&v).map_err(|e| bad(&k, e))?;
                    st.sessions.insert(s.access_key_id.clone(), s);
                }
                (Some("kms"), _, _) => st.kms.load_record(&k, &v).map_err(|e| bad(&k, e))?,
                (Some("secret"), _, _) => st.secrets.load_record(&k, &v).map_err(|e| bad(&k, e))?,
                (Some("sqs"), _, _) => st.sqs.load_record(&k, &v).map_err(|e| bad(&k, e))?,
                (Some("s3"), _, _) => st.s3.load_record(&k, &v).map_err(|e| bad(&k, e))?,
                (Some("iam"), Some(account), Some(kind)) => {
                    let iam = st.iam.entry(account.to_string()).or_default();
                    match kind {
                        "user" => {
                            let u: User = serde_json::from_slice(&v).map_err(|e| bad(&k, e))?;
                            iam.users.insert(u.name.to_ascii_lowercase(), u);
                        }
                        "group" => {
                            let g: Group = serde_json::from_slice(&v).map_err(|e| bad(&k, e))?;
                            iam.groups.insert(g.name.to_ascii_lowercase(), g);
                        }
                        "role" => {
                            let r: Role = serde_json::from_slice(&v).map_err(|e| bad(&k, e))?;
                            iam.roles.insert(r.name.to_ascii_lowercase(), r);
                        }
                        "policy" => {
                            let p: ManagedPolicy = serde_json::from_slice(&v).map_err(|e| bad(&k, e))?;
                            iam.policies.insert(p.arn.clone(), p);
                        }
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        Ok(st)
    }
}
