//! The operations. Each takes its serde input (the request body) and returns its serde
//! output (the response body); validation, authorization, KMS use and the state change
//! happen here, in AWS's order: validate the request, find the secret, authorize, then the
//! secret's state (deleted?) and the values.

use std::sync::Arc;

use edgeward_policy::{ContextValue, Policy, PolicyKind};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::model::{self, b64, Secret, SecretRef, Version, CURRENT, MAX_LABELS_PER_VERSION};
use super::password::{self, PasswordSpec};
use super::{crypto, record_key, Due, SecretKey};
use crate::authz::{Access, ContextKey};
use crate::call::Call;
use crate::error::AwsError;
use crate::state::{self, PolicyDoc, State, Tag};

const RESOURCE_TYPE: &str = "AWS::SecretsManager::Secret";
const NOT_FOUND: &str = "Secrets Manager can't find the specified secret.";
const DELETED_TRIED: &str = "You tried to perform the operation on a secret that's currently marked deleted.";
const DELETED_CANT: &str = "You can't perform this operation on the secret because it was marked for deletion.";
const MAX_VALUE: usize = 65536;
const MAX_TAGS: usize = 50;
const DAY: i64 = 86400;

// ---- errors ----

fn not_found() -> AwsError {
    AwsError::client("ResourceNotFoundException", NOT_FOUND)
}
fn invalid_parameter(m: impl Into<String>) -> AwsError {
    AwsError::client("InvalidParameterException", m)
}
fn invalid_request(m: impl Into<String>) -> AwsError {
    AwsError::client("InvalidRequestException", m)
}
fn validation(m: impl Into<String>) -> AwsError {
    AwsError::client("ValidationException", m)
}
fn required(field: &str) -> AwsError {
    validation(format!("1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"))
}
fn too_long(field: &str, max: usize) -> AwsError {
    validation(format!("1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}"))
}

/// Reads a request body into an operation's input.
pub fn parse<T: DeserializeOwned>(input: &serde_json::Value) -> Result<T, AwsError> {
    serde_json::from_value(input.clone()).map_err(|e| AwsError::client("SerializationException", format!("Could not read the request: {e}")))
}

fn need<'a>(v: &'a Option<String>, field: &str) -> Result<&'a str, AwsError> {
    match v.as_deref() {
        Some(s) if !s.is_empty() => Ok(s),
        Some(_) => Err(validation(format!(
            "1 validation error detected: Value '' at '{field}' failed to satisfy constraint: Member must have length greater than or equal to 1"
        ))),
        None => Err(required(field)),
    }
}

fn check_token(token: &Option<String>) -> Result<(), AwsError> {
    match token {
        Some(t) if !(32..=64).contains(&t.len()) => Err(invalid_parameter("ClientRequestToken must be 32-64 characters long.")),
        _ => Ok(()),
    }
}

/// The value of a request: SecretString or SecretBinary (base64 on the wire), not both.
fn value(string: &Option<String>, binary: &Option<String>) -> Result<Option<(Vec<u8>, bool)>, AwsError> {
    match (string, binary) {
        (Some(_), Some(_)) => Err(invalid_parameter("You can't specify both a binary secret value and a string secret value in the same secret.")),
        (Some(s), None) => {
            if s.len() > MAX_VALUE {
                return Err(too_long("secretString", MAX_VALUE));
            }
            Ok(Some((s.as_bytes().to_vec(), false)))
        }
        (None, Some(b)) => {
            let bytes = b64::decode(b).ok_or_else(|| AwsError::client("SerializationException", "SecretBinary is not valid base64"))?;
            if bytes.len() > MAX_VALUE {
                return Err(too_long("secretBinary", MAX_VALUE));
            }
            Ok(Some((bytes, true)))
        }
        (None, None) => Ok(None),
    }
}

fn check_tags(tags: &[Tag]) -> Result<(), AwsError> {
    for t in tags {
        if t.key.is_empty() || t.key.chars().count() > 128 {
            return Err(validation("1 validation error detected: Value at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128"));
        }
        if t.value.chars().count() > 256 {
            return Err(too_long("tags.member.value", 256));
        }
        if t.key.to_ascii_lowercase().starts_with("aws:") {
            return Err(invalid_parameter(format!("Invalid tag key {}: tag keys that begin with aws: are reserved for AWS use.", t.key)));
        }
    }
    Ok(())
}

fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    crate::ids::random_bytes::<6>().iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

// ---- finding and authorizing ----

/// Whether a secret's recovery window has ended: it is deleted (lazily, by the request clock).
fn expired(s: &Secret, now: i64) -> bool {
    s.deletion_date.is_some_and(|d| d <= now)
}

/// The start of the day of `now`: LastAccessedDate has day granularity.
fn day_of(now: i64) -> i64 {
    now - now.rem_euclid(DAY)
}

/// Finds a secret by name, partial ARN or full ARN (names in the caller's account and
/// region). A secret whose recovery window has ended stops the call until the write path
/// has deleted it (`Due::Expired`); then it is not found.
fn resolve(call: &mut Call<'_>, st: &State, id: &str) -> Result<Option<SecretKey>, AwsError> {
    let found = {
        let secrets = &st.secrets.secrets;
        match model::parse_id(id) {
            SecretRef::Name(name) => {
                let k = (call.caller.account.clone(), call.region.clone(), name.to_string());
                secrets.contains_key(&k).then_some(k)
            }
            SecretRef::Arn { account, region, rest } => {
                let full = rest.len() > 7 && rest.as_bytes()[rest.len() - 7] == b'-' && {
                    let k = (account.to_string(), region.to_string(), rest[..rest.len() - 7].to_string());
                    secrets.get(&k).is_some_and(|s| s.arn == id)
                };
                let k = if full {
                    (account.to_string(), region.to_string(), rest[..rest.len() - 7].to_string())
                } else {
                    (account.to_string(), region.to_string(), rest.to_string())
                };
                secrets.contains_key(&k).then_some(k)
            }
        }
    };
    match found {
        Some(key) if expired(&st.secrets.secrets[&key], call.now) => Err(call.needs_write(Due::Expired(key).into())),
        found => Ok(found),
    }
}

/// Makes a change a read found due (write path).
pub fn make_due(call: &mut Call<'_>, st: &mut State, due: &Due) {
    match due {
        Due::Expired(key) => {
            if st.secrets.secrets.get(key).is_some_and(|s| expired(s, call.now)) {
                st.secrets.secrets.remove(key);
                call.batch.delete(record_key(&key.0, &key.1, &key.2));
            }
        }
        Due::Accessed { secret: key, version } => {
            let today = day_of(call.now);
            let Some(s) = st.secrets.secrets.get_mut(key) else { return };
            let mut touched = s.last_accessed != Some(today);
            s.last_accessed = Some(today);
            if let Some(v) = s.versions.iter_mut().find(|v| v.id == *version) {
                touched |= v.last_accessed != Some(today);
                v.last_accessed = Some(today);
            }
            if touched {
                save(call, st, key);
            }
        }
    }
}

/// What authorization sees of the target secret (or of the secret asked for, when it does
/// not exist).
struct Target {
    arn: String,
    account: String,
    tags: Vec<Tag>,
    policy: Option<Arc<Policy>>,
    /// The identifier as the caller gave it (AWS's denial message names it).
    shown: String,
}

impl Target {
    fn of(s: &Secret, shown: &str) -> Target {
        Target {
            arn: s.arn.clone(),
            account: s.account.clone(),
            tags: s.tags.clone(),
            policy: s.policy.as_ref().and_then(|p| p.policy().cloned()),
            shown: shown.to_string(),
        }
    }

    fn missing(call: &Call<'_>, id: &str) -> Target {
        let (arn, account) = match model::parse_id(id) {
            SecretRef::Arn { account, .. } => (id.to_string(), account.to_string()),
            SecretRef::Name(name) => (format!("arn:aws:secretsmanager:{}:{}:secret:{name}", call.region, call.caller.account), call.caller.account.clone()),
        };
        Target { arn, account, tags: Vec::new(), policy: None, shown: id.to_string() }
    }

    fn everything(call: &Call<'_>) -> Target {
        Target { arn: "*".into(), account: call.caller.account.clone(), tags: Vec::new(), policy: None, shown: "*".into() }
    }
}

fn single(k: impl Into<ContextKey>, v: impl Into<String>) -> (ContextKey, ContextValue) {
    (k.into(), ContextValue::Single(v.into()))
}

/// Asks the one decision point for `secretsmanager:<action>` on the target, with the
/// secret's policy, its tags (`aws:ResourceTag/…` and `secretsmanager:ResourceTag/…`),
/// `secretsmanager:SecretId` and the operation's own keys. A denial is Secrets Manager's
/// `AccessDeniedException` naming the secret as the caller named it.
fn authorize(call: &mut Call<'_>, st: &State, action: &str, t: &Target, extra: Vec<(ContextKey, ContextValue)>) -> Result<(), AwsError> {
    let mut a = Access::new(&format!("secretsmanager:{action}"), t.arn.clone(), &t.account);
    a.resource_policy = t.policy.clone();
    a.resource_tags = t.tags.clone();
    if t.arn != "*" {
        a.context.push(single("secretsmanager:SecretId", t.arn.clone()));
        for tag in &t.tags {
            a.context.push(single(format!("secretsmanager:ResourceTag/{}", tag.key), tag.value.clone()));
        }
        if !call.trail.resources.iter().any(|(arn, _)| *arn == t.arn) {
            call.trail.resources.push((t.arn.clone(), RESOURCE_TYPE.to_string()));
        }
        if t.account != call.caller.account {
            call.trail.resource_account = Some(t.account.clone());
        }
    }
    a.context.extend(extra);
    call.authorize(st, &a).map_err(|e| denied(e, &t.arn, &t.shown))
}

/// `call.authorize`'s AccessDenied as Secrets Manager (a JSON service) answers it.
fn denied(e: AwsError, arn: &str, shown: &str) -> AwsError {
    if e.code != "AccessDenied" {
        return e;
    }
    let message = e.message.replacen(&format!("on resource: {arn} "), &format!("on resource: {shown} "), 1);
    AwsError::client("AccessDeniedException", message)
}

/// Finds, authorizes and checks a secret: not found and deleted answers come after the
/// authorization, as in AWS. `deleted_message` None lets a deleted secret through.
fn open(
    call: &mut Call<'_>,
    st: &State,
    action: &str,
    id: &str,
    extra: Vec<(ContextKey, ContextValue)>,
    deleted_message: Option<&str>,
) -> Result<SecretKey, AwsError> {
    let key = resolve(call, st, id)?;
    let target = match key.as_ref().and_then(|k| st.secrets.secrets.get(k)) {
        Some(s) => Target::of(s, id),
        None => Target::missing(call, id),
    };
    authorize(call, st, action, &target, extra)?;
    let key = key.ok_or_else(not_found)?;
    if let Some(m) = deleted_message {
        if st.secrets.secrets[&key].is_deleted() {
            return Err(invalid_request(m));
        }
    }
    Ok(key)
}

/// [`open`] for operations that change the secret: a due change is made first.
fn open_mut(
    call: &mut Call<'_>,
    st: &mut State,
    action: &str,
    id: &str,
    extra: Vec<(ContextKey, ContextValue)>,
    deleted_message: Option<&str>,
) -> Result<SecretKey, AwsError> {
    call.making_due_changes(st, |call, st| open(call, st, action, id, extra.clone(), deleted_message))
}

fn secret<'s>(st: &'s State, key: &SecretKey) -> &'s Secret {
    &st.secrets.secrets[key]
}

fn secret_mut<'s>(st: &'s mut State, key: &SecretKey) -> &'s mut Secret {
    st.secrets.secrets.get_mut(key).expect("an opened secret exists")
}

fn save(call: &mut Call<'_>, st: &State, key: &SecretKey) {
    state::put(&mut call.batch, record_key(&key.0, &key.1, &key.2), secret(st, key));
}

/// The AWS managed key cannot serve callers from another account.
fn check_key_usable(call: &Call<'_>, owner: &str, kms_key_id: Option<&str>) -> Result<(), AwsError> {
    let managed = kms_key_id.is_none_or(|k| k.is_empty() || k == "alias/aws/secretsmanager" || k.ends_with(":alias/aws/secretsmanager"));
    if managed && owner != call.caller.account {
        return Err(AwsError::client("AccessDeniedException", "Access to KMS is not allowed"));
    }
    Ok(())
}

/// Decrypts a version's value.
fn reveal(call: &mut Call<'_>, st: &State, key: &SecretKey, version_id: &str) -> Result<(Vec<u8>, bool), AwsError> {
    let (arn, owner, kms, ciphertext, binary) = {
        let s = secret(st, key);
        let v = s.version(version_id).ok_or_else(not_found)?;
        (s.arn.clone(), s.account.clone(), v.kms_key_id.clone(), v.ciphertext.clone(), v.binary)
    };
    check_key_usable(call, &owner, kms.as_deref())?;
    let plain = crypto::decrypt(call, st, &ciphertext, &arn, version_id)?;
    Ok((plain, binary))
}

/// [`reveal`] for operations that change the secret: a due change to the KMS key is made first.
fn reveal_mut(call: &mut Call<'_>, st: &mut State, key: &SecretKey, version_id: &str) -> Result<(Vec<u8>, bool), AwsError> {
    call.making_due_changes(st, |call, st| reveal(call, st, key, version_id))
}

/// Adds a new version carrying `stages` (idempotent by ClientRequestToken: the same token
/// with the same value returns the existing version; with another value it is refused).
/// Returns the version id and whether a version was added.
fn new_version(
    call: &mut Call<'_>,
    st: &mut State,
    key: &SecretKey,
    token: Option<&str>,
    (plain, binary): (Vec<u8>, bool),
    stages: &[String],
) -> Result<(String, bool), AwsError> {
    let version_id = token.map(str::to_string).unwrap_or_else(crate::ids::uuid);
    if secret(st, key).version(&version_id).is_some() {
        let (old, old_binary) = reveal_mut(call, st, key, &version_id)?;
        if old == plain && old_binary == binary {
            return Ok((version_id, false));
        }
        let arn = secret(st, key).arn.clone();
        return Err(AwsError::client(
            "ResourceExistsException",
            format!("You can't use ClientRequestToken {version_id} because that value is already in use for a version of secret {arn}."),
        ));
    }
    let (arn, owner, kms) = {
        let s = secret(st, key);
        (s.arn.clone(), s.account.clone(), s.kms_key_id.clone())
    };
    check_key_usable(call, &owner, kms.as_deref())?;
    let ciphertext = crypto::encrypt(call, st, kms.as_deref(), &plain, &arn, &version_id)?;
    let v = Version { id: version_id.clone(), stages: Vec::new(), created: call.now, last_accessed: None, binary, ciphertext, kms_key_id: kms };
    let s = secret_mut(st, key);
    s.add_version(v, stages);
    s.last_changed = call.now;
    Ok((version_id, true))
}

// ---- shapes ----

/// A tag on the wire (`Key`/`Value`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct WireTag {
    pub key: String,
    pub value: String,
}

fn from_wire(tags: Option<Vec<WireTag>>) -> Vec<Tag> {
    tags.unwrap_or_default().into_iter().map(|t| Tag { key: t.key, value: t.value }).collect()
}

fn to_wire(tags: &[Tag]) -> Vec<WireTag> {
    tags.iter().map(|t| WireTag { key: t.key.clone(), value: t.value.clone() }).collect()
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SecretIdInput {
    pub secret_id: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ArnName {
    #[serde(rename = "ARN")]
    pub arn: String,
    pub name: String,
}

fn arn_name(s: &Secret) -> ArnName {
    ArnName { arn: s.arn.clone(), name: s.name.clone() }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ArnNameVersion {
    #[serde(rename = "ARN")]
    pub arn: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

// ---- CreateSecret ----

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct CreateSecretInput {
    pub name: Option<String>,
    pub client_request_token: Option<String>,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    pub secret_binary: Option<String>,
    pub secret_string: Option<String>,
    pub tags: Option<Vec<WireTag>>,
    pub add_replica_regions: Option<Vec<serde_json::Value>>,
    pub force_overwrite_replica_secret: Option<bool>,
    #[serde(rename = "Type")]
    pub secret_type: Option<String>,
}

pub fn create_secret(call: &mut Call<'_>, st: &mut State, i: CreateSecretInput) -> Result<ArnNameVersion, AwsError> {
    let name = need(&i.name, "name")?.to_string();
    if name.len() > 512 {
        return Err(too_long("name", 512));
    }
    if !model::valid_name(&name) {
        return Err(invalid_parameter("Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"));
    }
    check_token(&i.client_request_token)?;
    if i.description.as_ref().is_some_and(|d| d.chars().count() > 2048) {
        return Err(too_long("description", 2048));
    }
    let tags = from_wire(i.tags.clone());
    check_tags(&tags)?;
    if tags.len() > MAX_TAGS {
        return Err(AwsError::client("LimitExceededException", format!("A secret can have at most {MAX_TAGS} tags.")));
    }
    if i.add_replica_regions.as_ref().is_some_and(|r| !r.is_empty()) {
        return Err(AwsError::new(501, "NotImplemented", "Secrets Manager replication (AddReplicaRegions) is not implemented in edgeward"));
    }
    let val = value(&i.secret_string, &i.secret_binary)?;
    let kms = i.kms_key_id.clone().filter(|k| !k.is_empty());
    let mut extra = vec![single("secretsmanager:Name", name.clone())];
    extra.extend(i.description.as_ref().map(|d| single("secretsmanager:Description", d.clone())));
    extra.extend(kms.as_ref().map(|k| single("secretsmanager:KmsKeyId", k.clone())));
    extra.extend(crate::authz::request_tags(tags.iter().map(Tag::pair)));

    let key: SecretKey = (call.caller.account.clone(), call.region.clone(), name.clone());
    if call.making_due_changes(st, |call, st| resolve(call, st, &name))?.is_some() {
        let target = Target::of(secret(st, &key), &name);
        authorize(call, st, "CreateSecret", &target, extra)?;
        if secret(st, &key).is_deleted() {
            return Err(invalid_request("You can't create this secret because a secret with this name is already scheduled for deletion."));
        }
        // A retry with the same token and value returns the version it created.
        if let (Some(token), Some(v)) = (i.client_request_token.as_deref(), val) {
            if secret(st, &key).version(token).is_some() {
                let (version_id, _) = new_version(call, st, &key, Some(token), v, &[CURRENT.to_string()])?;
                let s = secret(st, &key);
                return Ok(ArnNameVersion { arn: s.arn.clone(), name: s.name.clone(), version_id: Some(version_id) });
            }
        }
        return Err(AwsError::client("ResourceExistsException", format!("The operation failed because the secret {name} already exists.")));
    }

    let arn = model::secret_arn(&call.region, &call.caller.account, &name, &random_suffix());
    let target = Target { arn: arn.clone(), account: call.caller.account.clone(), tags: Vec::new(), policy: None, shown: name.clone() };
    authorize(call, st, "CreateSecret", &target, extra)?;
    let seq = st.secrets.next_seq;
    st.secrets.next_seq += 1;
    let s = Secret {
        account: key.0.clone(),
        region: key.1.clone(),
        name: name.clone(),
        arn: arn.clone(),
        description: i.description.clone(),
        kms_key_id: kms,
        tagged: !tags.is_empty(),
        tags,
        policy: None,
        created: call.now,
        last_changed: call.now,
        last_accessed: None,
        deleted: None,
        deletion_date: None,
        versions: Vec::new(),
        seq,
    };
    st.secrets.secrets.insert(key.clone(), s);
    let mut version_id = None;
    if let Some(v) = val {
        match new_version(call, st, &key, i.client_request_token.as_deref(), v, &[CURRENT.to_string()]) {
            Ok((id, _)) => version_id = Some(id),
            Err(e) => {
                // Nothing is created when the value cannot be encrypted.
                st.secrets.secrets.remove(&key);
                return Err(e);
            }
        }
    }
    save(call, st, &key);
    call.trail.response_elements = Some(serde_json::json!({"aRN": arn}));
    Ok(ArnNameVersion { arn, name, version_id })
}

// ---- GetSecretValue / BatchGetSecretValue ----

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GetSecretValueInput {
    pub secret_id: Option<String>,
    pub version_id: Option<String>,
    pub version_stage: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretValue {
    #[serde(rename = "ARN")]
    pub arn: String,
    pub name: String,
    pub version_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_binary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_string: Option<String>,
    pub version_stages: Vec<String>,
    pub created_date: i64,
}

pub fn get_secret_value(call: &mut Call<'_>, st: &State, i: GetSecretValueInput) -> Result<SecretValue, AwsError> {
    let id = need(&i.secret_id, "secretId")?.to_string();
    get_value(call, st, &id, i.version_id.as_deref(), i.version_stage.as_deref())
}

fn get_value(call: &mut Call<'_>, st: &State, id: &str, version_id: Option<&str>, stage: Option<&str>) -> Result<SecretValue, AwsError> {
    let mut extra = Vec::new();
    extra.extend(version_id.map(|v| single("secretsmanager:VersionId", v)));
    match (stage, version_id) {
        (Some(stage), _) => extra.push(single("secretsmanager:VersionStage", stage)),
        (None, None) => extra.push(single("secretsmanager:VersionStage", CURRENT)),
        (None, Some(_)) => {}
    }
    let key = open(call, st, "GetSecretValue", id, extra, Some(DELETED_TRIED))?;
    let vid = {
        let s = secret(st, &key);
        match (version_id, stage) {
            (Some(v), st_opt) => {
                let ver = s
                    .version(v)
                    .ok_or_else(|| AwsError::client("ResourceNotFoundException", format!("Secrets Manager can't find the specified secret value for VersionId: {v}")))?;
                if let Some(stage) = st_opt {
                    if !ver.stages.iter().any(|x| x == stage) {
                        return Err(invalid_request("You provided a VersionStage that is not associated to the provided VersionId."));
                    }
                }
                ver.id.clone()
            }
            (None, stage) => {
                let stage = stage.unwrap_or(CURRENT);
                s.with_stage(stage)
                    .ok_or_else(|| AwsError::client("ResourceNotFoundException", format!("Secrets Manager can't find the specified secret value for staging label: {stage}")))?
                    .id
                    .clone()
            }
        }
    };
    let (plain, binary) = reveal(call, st, &key, &vid)?;
    // LastAccessedDate has day granularity: the record is rewritten once a day at most, by
    // the write path (the call runs again there).
    let today = day_of(call.now);
    let s = secret(st, &key);
    let v = s.version(&vid).ok_or_else(not_found)?;
    if s.last_accessed != Some(today) || v.last_accessed != Some(today) {
        return Err(call.needs_write(Due::Accessed { secret: key.clone(), version: vid.clone() }.into()));
    }
    Ok(SecretValue {
        arn: s.arn.clone(),
        name: s.name.clone(),
        version_id: vid.clone(),
        secret_binary: binary.then(|| b64::encode(&plain)),
        secret_string: (!binary).then(|| String::from_utf8_lossy(&plain).into_owned()),
        version_stages: v.stages.clone(),
        created_date: v.created,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct BatchGetSecretValueInput {
    pub secret_id_list: Option<Vec<String>>,
    pub filters: Option<Vec<FilterInput>>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApiError {
    pub secret_id: String,
    pub error_code: String,
    pub message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchGetSecretValueOutput {
    pub secret_values: Vec<SecretValue>,
    pub errors: Vec<ApiError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

pub fn batch_get_secret_value(call: &mut Call<'_>, st: &State, i: BatchGetSecretValueInput) -> Result<BatchGetSecretValueOutput, AwsError> {
    let ids = i.secret_id_list.clone().filter(|l| !l.is_empty());
    let filters = i.filters.clone().filter(|f| !f.is_empty());
    if ids.is_some() && filters.is_some() {
        return Err(invalid_parameter("Either 'SecretIdList' or 'Filters' must be provided, but not both."));
    }
    if i.max_results.is_some() && filters.is_none() {
        return Err(invalid_parameter("'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided."));
    }
    if ids.is_none() && filters.is_none() {
        return Err(invalid_parameter("Either 'SecretIdList' or 'Filters' must be provided."));
    }
    if ids.as_ref().is_some_and(|l| l.len() > 20) {
        return Err(validation("1 validation error detected: Value at 'secretIdList' failed to satisfy constraint: Member must have length less than or equal to 20"));
    }
    let max = match i.max_results {
        None => 20,
        Some(n) if (1..=20).contains(&n) => n as usize,
        Some(n) => return Err(validation(format!("1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 20"))),
    };
    authorize(call, st, "BatchGetSecretValue", &Target::everything(call), Vec::new())?;
    let (wanted, next_token) = match (ids, filters) {
        (Some(ids), _) => (ids, None),
        (None, Some(f)) => {
            let filters = check_filters(&f)?;
            let start = page_start(&i.next_token)?;
            let mut all: Vec<&Secret> = scope(call, st).filter(|s| !s.is_deleted() && model::matches(s, &filters)).collect();
            all.sort_by_key(|s| (s.created, s.seq));
            let page: Vec<String> = all.iter().skip(start).take(max).map(|s| s.arn.clone()).collect();
            let next = (start + max < all.len()).then(|| page_token(start + max));
            (page, next)
        }
        (None, None) => unreachable!("checked above"),
    };
    let mut out = BatchGetSecretValueOutput { secret_values: Vec::new(), errors: Vec::new(), next_token };
    for id in wanted {
        match get_value(call, st, &id, None, None) {
            Ok(v) => out.secret_values.push(v),
            Err(e) => out.errors.push(ApiError { secret_id: id, error_code: e.code.to_string(), message: e.message }),
        }
    }
    Ok(out)
}

// ---- PutSecretValue / UpdateSecret ----

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PutSecretValueInput {
    pub secret_id: Option<String>,
    pub client_request_token: Option<String>,
    pub secret_binary: Option<String>,
    pub secret_string: Option<String>,
    pub version_stages: Option<Vec<String>>,
    pub rotation_token: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutSecretValueOutput {
    #[serde(rename = "ARN")]
    pub arn: String,
    pub name: String,
    pub version_id: String,
    pub version_stages: Vec<String>,
}

fn check_stages(stages: &[String]) -> Result<(), AwsError> {
    if stages.len() > MAX_LABELS_PER_VERSION {
        return Err(AwsError::client("LimitExceededException", format!("A version can have at most {MAX_LABELS_PER_VERSION} staging labels.")));
    }
    if stages.iter().any(|s| s.is_empty() || s.len() > 256) {
        return Err(validation("1 validation error detected: Value at 'versionStages' failed to satisfy constraint: Member must have length between 1 and 256"));
    }
    Ok(())
}

pub fn put_secret_value(call: &mut Call<'_>, st: &mut State, i: PutSecretValueInput) -> Result<PutSecretValueOutput, AwsError> {
    let id = need(&i.secret_id, "secretId")?.to_string();
    check_token(&i.client_request_token)?;
    let val = value(&i.secret_string, &i.secret_binary)?.ok_or_else(|| invalid_request("You must provide either SecretString or SecretBinary."))?;
    let stages = i.version_stages.clone().unwrap_or_else(|| vec![CURRENT.to_string()]);
    check_stages(&stages)?;
    let key = open_mut(call, st, "PutSecretValue", &id, Vec::new(), Some(DELETED_CANT))?;
    let (version_id, added) = new_version(call, st, &key, i.client_request_token.as_deref(), val, &stages)?;
    if added {
        save(call, st, &key);
    }
    let s = secret(st, &key);
    let version_stages = s.version(&version_id).map(|v| v.stages.clone()).unwrap_or_default();
    Ok(PutSecretValueOutput { arn: s.arn.clone(), name: s.name.clone(), version_id, version_stages })
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UpdateSecretInput {
    pub secret_id: Option<String>,
    pub client_request_token: Option<String>,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    pub secret_binary: Option<String>,
    pub secret_string: Option<String>,
    #[serde(rename = "Type")]
    pub secret_type: Option<String>,
}

pub fn update_secret(call: &mut Call<'_>, st: &mut State, i: UpdateSecretInput) -> Result<ArnNameVersion, AwsError> {
    let id = need(&i.secret_id, "secretId")?.to_string();
    check_token(&i.client_request_token)?;
    if i.description.as_ref().is_some_and(|d| d.chars().count() > 2048) {
        return Err(too_long("description", 2048));
    }
    let val = value(&i.secret_string, &i.secret_binary)?;
    let mut extra = Vec::new();
    extra.extend(i.description.as_ref().map(|d| single("secretsmanager:Description", d.clone())));
    extra.extend(i.kms_key_id.as_ref().filter(|k| !k.is_empty()).map(|k| single("secretsmanager:KmsKeyId", k.clone())));
    let key = open_mut(call, st, "UpdateSecret", &id, extra, Some(DELETED_CANT))?;
    if let Some(d) = &i.description {
        secret_mut(st, &key).description = Some(d.clone());
    }
    if let Some(k) = &i.kms_key_id {
        let new_key = Some(k.clone()).filter(|k| !k.is_empty());
        if secret(st, &key).kms_key_id != new_key {
            secret_mut(st, &key).kms_key_id = new_key.clone();
            reencrypt(call, st, &key, new_key.as_deref());
        }
    }
    let mut version_id = None;
    if let Some(v) = val {
        let (vid, _) = new_version(call, st, &key, i.client_request_token.as_deref(), v, &[CURRENT.to_string()])?;
        version_id = Some(vid);
    }
    secret_mut(st, &key).last_changed = call.now;
    save(call, st, &key);
    let s = secret(st, &key);
    Ok(ArnNameVersion { arn: s.arn.clone(), name: s.name.clone(), version_id })
}

/// A new KMS key re-encrypts the labeled versions; as in AWS, a version the caller cannot
/// move to the new key (no kms:Decrypt on the old or kms:Encrypt on the new) stays as it is.
fn reencrypt(call: &mut Call<'_>, st: &mut State, key: &SecretKey, new_key: Option<&str>) {
    let ids: Vec<String> = secret(st, key).labeled().map(|v| v.id.clone()).collect();
    for vid in ids {
        let Ok((plain, _)) = reveal_mut(call, st, key, &vid) else { continue };
        let (arn, owner) = (secret(st, key).arn.clone(), secret(st, key).account.clone());
        if check_key_usable(call, &owner, new_key).is_err() {
            continue;
        }
        if let Ok(c) = crypto::encrypt(call, st, new_key, &plain, &arn, &vid) {
            if let Some(v) = secret_mut(st, key).versions.iter_mut().find(|v| v.id == vid) {
                v.ciphertext = c;
                v.kms_key_id = new_key.map(str::to_string);
            }
        }
    }
}

// ---- DescribeSecret / ListSecrets / ListSecretVersionIds ----

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecretDescription {
    #[serde(rename = "ARN")]
    pub arn: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    pub last_changed_date: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_accessed_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_date: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<WireTag>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_ids_to_stages: Option<std::collections::BTreeMap<String, Vec<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_versions_to_stages: Option<std::collections::BTreeMap<String, Vec<String>>>,
    pub created_date: i64,
}

fn describe(s: &Secret, listing: bool) -> SecretDescription {
    let stages: std::collections::BTreeMap<String, Vec<String>> = s.labeled().map(|v| (v.id.clone(), v.stages.clone())).collect();
    let stages = (!stages.is_empty()).then_some(stages);
    SecretDescription {
        arn: s.arn.clone(),
        name: s.name.clone(),
        description: s.description.clone(),
        kms_key_id: s.kms_key_id.clone(),
        last_changed_date: s.last_changed,
        last_accessed_date: s.last_accessed,
        deleted_date: s.deleted,
        tags: (s.tagged || !s.tags.is_empty()).then(|| to_wire(&s.tags)),
        version_ids_to_stages: if listing { None } else { stages.clone() },
        secret_versions_to_stages: if listing { stages } else { None },
        created_date: s.created,
    }
}

pub fn describe_secret(call: &mut Call<'_>, st: &State, i: SecretIdInput) -> Result<SecretDescription, AwsError> {
    let id = need(&i.secret_id, "secretId")?.to_string();
    let key = open(call, st, "DescribeSecret", &id, Vec::new(), None)?;
    Ok(describe(secret(st, &key), false))
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FilterInput {
    pub key: Option<String>,
    pub values: Option<Vec<String>>,
}

fn check_filters(filters: &[FilterInput]) -> Result<Vec<(String, Vec<String>)>, AwsError> {
    let mut out = Vec::new();
    for (n, f) in filters.iter().enumerate() {
        let key = f.key.as_deref().ok_or_else(|| invalid_parameter("Invalid filter key"))?;
        if !model::FILTER_KEYS.contains(&key) {
            return Err(validation(format!(
                "1 validation error detected: Value '{key}' at 'filters.{}.member.key' failed to satisfy constraint: Member must satisfy enum value set: [all, name, tag-key, description, tag-value]",
                n + 1
            )));
        }
        let values = f.values.clone().filter(|v| !v.is_empty()).ok_or_else(|| invalid_parameter(format!("Invalid filter values for key: {key}")))?;
        if values.len() > 10 {
            return Err(validation(format!("1 validation error detected: Value at 'filters.{}.member.values' failed to satisfy constraint: Member must have length less than or equal to 10", n + 1)));
        }
        out.push((key.to_string(), values));
    }
    Ok(out)
}

/// The secrets of the caller's account in the request's region.
fn scope<'s>(call: &Call<'_>, st: &'s State) -> impl Iterator<Item = &'s Secret> {
    let (account, region) = (call.caller.account.clone(), call.region.clone());
    st.secrets.secrets.values().filter(move |s| s.account == account && s.region == region)
}

fn page_token(start: usize) -> String {
    b64::encode(format!("edgeward-page:{start}").as_bytes())
}

fn page_start(token: &Option<String>) -> Result<usize, AwsError> {
    let Some(t) = token else { return Ok(0) };
    let bad = || AwsError::client("InvalidNextTokenException", "The NextToken value is invalid.");
    let text = b64::decode(t).and_then(|b| String::from_utf8(b).ok()).ok_or_else(bad)?;
    text.strip_prefix("edgeward-page:").and_then(|n| n.parse().ok()).ok_or_else(bad)
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListSecretsInput {
    pub include_planned_deletion: Option<bool>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
    pub filters: Option<Vec<FilterInput>>,
    pub sort_order: Option<String>,
    pub sort_by: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretsOutput {
    pub secret_list: Vec<SecretDescription>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

pub fn list_secrets(call: &mut Call<'_>, st: &State, i: ListSecretsInput) -> Result<ListSecretsOutput, AwsError> {
    let max = match i.max_results {
        None => 100,
        Some(n) if (1..=100).contains(&n) => n as usize,
        Some(n) => return Err(validation(format!("1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100"))),
    };
    let filters = check_filters(i.filters.as_deref().unwrap_or_default())?;
    let desc = match i.sort_order.as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(o) => return Err(validation(format!("1 validation error detected: Value '{o}' at 'sortOrder' failed to satisfy constraint: Member must satisfy enum value set: [asc, desc]"))),
    };
    let sort_by = i.sort_by.clone().unwrap_or_else(|| "created-date".into());
    if !["created-date", "last-accessed-date", "last-changed-date", "name"].contains(&sort_by.as_str()) {
        return Err(validation(format!(
            "1 validation error detected: Value '{sort_by}' at 'sortBy' failed to satisfy constraint: Member must satisfy enum value set: [created-date, last-accessed-date, last-changed-date, name]"
        )));
    }
    let start = page_start(&i.next_token)?;
    authorize(call, st, "ListSecrets", &Target::everything(call), Vec::new())?;
    // Secrets whose recovery window has ended are deleted first (on the write path).
    let ended: Vec<SecretKey> = scope(call, st).filter(|s| expired(s, call.now)).map(|s| (s.account.clone(), s.region.clone(), s.name.clone())).collect();
    if let Some(stop) = ended.into_iter().map(|k| call.needs_write(Due::Expired(k).into())).last() {
        return Err(stop);
    }
    let planned = i.include_planned_deletion.unwrap_or(false);
    let mut all: Vec<&Secret> = scope(call, st).filter(|s| (planned || !s.is_deleted()) && model::matches(s, &filters)).collect();
    all.sort_by(|a, b| {
        let primary = match sort_by.as_str() {
            "name" => a.name.cmp(&b.name),
            "last-changed-date" => a.last_changed.cmp(&b.last_changed),
            "last-accessed-date" => a.last_accessed.cmp(&b.last_accessed),
            _ => a.created.cmp(&b.created),
        };
        primary.then(a.seq.cmp(&b.seq))
    });
    if desc {
        all.reverse();
    }
    let secret_list: Vec<SecretDescription> = all.iter().skip(start).take(max).map(|s| describe(s, true)).collect();
    let next_token = (start + max < all.len()).then(|| page_token(start + max));
    Ok(ListSecretsOutput { secret_list, next_token })
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ListSecretVersionIdsInput {
    pub secret_id: Option<String>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
    pub include_deprecated: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VersionEntry {
    pub version_id: String,
    pub version_stages: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_accessed_date: Option<i64>,
    pub created_date: i64,
    pub kms_key_ids: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSecretVersionIdsOutput {
    pub versions: Vec<VersionEntry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(rename = "ARN")]
    pub arn: String,
    pub name: String,
}

pub fn list_secret_version_ids(call: &mut Call<'_>, st: &State, i: ListSecretVersionIdsInput) -> Result<ListSecretVersionIdsOutput, AwsError> {
    let id = need(&i.secret_id, "secretId")?.to_string();
    let max = match i.max_results {
        None => 100,
        Some(n) if (1..=100).contains(&n) => n as usize,
        Some(n) => return Err(validation(format!("1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100"))),
    };
    let start = page_start(&i.next_token)?;
    let key = open(call, st, "ListSecretVersionIds", &id, Vec::new(), None)?;
    let s = secret(st, &key);
    let deprecated = i.include_deprecated.unwrap_or(false);
    let all: Vec<&Version> = s.versions.iter().filter(|v| deprecated || !v.stages.is_empty()).collect();
    let versions = all
        .iter()
        .skip(start)
        .take(max)
        .map(|v| VersionEntry {
            version_id: v.id.clone(),
            version_stages: v.stages.clone(),
            last_accessed_date: v.last_accessed,
            created_date: v.created,
            kms_key_ids: vec![v.kms_key_id.clone().unwrap_or_else(|| "DefaultEncryptionKey".into())],
        })
        .collect();
    let next_token = (start + max < all.len()).then(|| page_token(start + max));
    Ok(ListSecretVersionIdsOutput { versions, next_token, arn: s.arn.clone(), name: s.name.clone() })
}

// ---- UpdateSecretVersionStage ----

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UpdateSecretVersionStageInput {
    pub secret_id: Option<String>,
    pub version_stage: Option<String>,
    pub remove_from_version_id: Option<String>,
    pub move_to_version_id: Option<String>,
}

pub fn update_secret_version_stage(call: &mut Call<'_>, st: &mut State, i: UpdateSecretVersionStageInput) -> Result<ArnName, AwsError> {
    let id = need(&i.secret_id, "secretId")?.to_string();
    let stage = need(&i.version_stage, "versionStage")?.to_string();
    let extra = vec![single("secretsmanager:VersionStage", stage.clone())];
    let key = open_mut(call, st, "UpdateSecretVersionStage", &id, extra, Some(DELETED_CANT))?;
    let s = secret(st, &key);
    let holder = s.with_stage(&stage).map(|v| v.id.clone());
    if let Some(from) = &i.remove_from_version_id {
        let v = s.version(from).ok_or_else(|| invalid_parameter(format!("Not a valid version: {from}")))?;
        if !v.stages.contains(&stage) {
            return Err(invalid_parameter(format!("Version stage {stage} not found in version {from}")));
        }
    }
    match &i.move_to_version_id {
        Some(to) => {
            let v = s.version(to).ok_or_else(|| invalid_parameter(format!("Not a valid version: {to}")))?;
            if let Some(h) = &holder {
                if h != to && i.remove_from_version_id.as_deref() != Some(h.as_str()) {
                    return Err(invalid_parameter(format!(
                        "The parameter RemoveFromVersionId can't be empty. Staging label {stage} is currently attached to version {h}, so you must explicitly reference that version in RemoveFromVersionId."
                    )));
                }
            }
            if !v.stages.contains(&stage) && v.stages.len() >= MAX_LABELS_PER_VERSION {
                return Err(AwsError::client("LimitExceededException", format!("A version can have at most {MAX_LABELS_PER_VERSION} staging labels.")));
            }
            let to = to.clone();
            secret_mut(st, &key).move_stage(&stage, &to);
        }
        None => {
            let from = i.remove_from_version_id.clone().ok_or_else(|| invalid_parameter("You must specify MoveToVersionId, RemoveFromVersionId, or both."))?;
            if stage == CURRENT {
                return Err(invalid_parameter("You can't remove the staging label AWSCURRENT from a version without moving it to another version: specify MoveToVersionId."));
            }
            secret_mut(st, &key).remove_stage(&stage, &from);
        }
    }
    let s = secret_mut(st, &key);
    s.last_changed = call.now;
    save(call, st, &key);
    Ok(arn_name(secret(st, &key)))
}

// ---- DeleteSecret / RestoreSecret ----

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct DeleteSecretInput {
    pub secret_id: Option<String>,
    pub recovery_window_in_days: Option<i64>,
    pub force_delete_without_recovery: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeleteSecretOutput {
    #[serde(rename = "ARN")]
    pub arn: String,
    pub name: String,
    pub deletion_date: i64,
}

pub fn delete_secret(call: &mut Call<'_>, st: &mut State, i: DeleteSecretInput) -> Result<DeleteSecretOutput, AwsError> {
    let id = need(&i.secret_id, "secretId")?.to_string();
    let force = i.force_delete_without_recovery.unwrap_or(false);
    if let Some(days) = i.recovery_window_in_days {
        if !(7..=30).contains(&days) {
            return Err(invalid_parameter("An error occurred (InvalidParameterException) when calling the DeleteSecret operation: RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."));
        }
        if force {
            return Err(invalid_parameter("An error occurred (InvalidParameterException) when calling the DeleteSecret operation: You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."));
        }
    }
    let days = i.recovery_window_in_days.unwrap_or(30);
    let mut extra = vec![single("secretsmanager:ForceDeleteWithoutRecovery", force.to_string())];
    if !force {
        extra.push(single("secretsmanager:RecoveryWindowInDays", days.to_string()));
    }
    let key = match open_mut(call, st, "DeleteSecret", &id, extra, if force { None } else { Some(DELETED_TRIED) }) {
        Ok(k) => k,
        // Forced deletion of a secret that does not exist succeeds, as in AWS.
        Err(e) if force && e.code == "ResourceNotFoundException" => {
            let t = Target::missing(call, &id);
            let name = match model::parse_id(&id) {
                SecretRef::Arn { rest, .. } => rest.to_string(),
                SecretRef::Name(n) => n.to_string(),
            };
            return Ok(DeleteSecretOutput { arn: t.arn, name, deletion_date: call.now });
        }
        Err(e) => return Err(e),
    };
    if force {
        let s = st.secrets.secrets.remove(&key).expect("an opened secret exists");
        call.batch.delete(record_key(&key.0, &key.1, &key.2));
        return Ok(DeleteSecretOutput { arn: s.arn, name: s.name, deletion_date: call.now });
    }
    let s = secret_mut(st, &key);
    s.deleted = Some(call.now);
    s.deletion_date = Some(call.now + days * DAY);
    let out = DeleteSecretOutput { arn: s.arn.clone(), name: s.name.clone(), deletion_date: call.now + days * DAY };
    save(call, st, &key);
    Ok(out)
}

pub fn restore_secret(call: &mut Call<'_>, st: &mut State, i: SecretIdInput) -> Result<ArnName, AwsError> {
    let id = need(&i.secret_id, "secretId")?.to_string();
    let key = open_mut(call, st, "RestoreSecret", &id, Vec::new(), None)?;
    let s = secret_mut(st, &key);
    if s.deleted.is_some() {
        s.deleted = None;
        s.deletion_date = None;
        s.last_changed = call.now;
        save(call, st, &key);
    }
    Ok(arn_name(secret(st, &key)))
}

// ---- tags ----

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct TagResourceInput {
    pub secret_id: Option<String>,
    pub tags: Option<Vec<WireTag>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct UntagResourceInput {
    pub secret_id: Option<String>,
    pub tag_keys: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
pub struct Empty {}

pub fn tag_resource(call: &mut Call<'_>, st: &mut State, i: TagResourceInput) -> Result<Empty, AwsError> {
    let id = need(&i.secret_id, "secretId")?.to_string();
    let tags = from_wire(Some(i.tags.clone().ok_or_else(|| required("tags"))?));
    check_tags(&tags)?;
    let extra = crate::authz::request_tags(tags.iter().map(Tag::pair));
    let key = open_mut(call, st, "TagResource", &id, extra, Some(DELETED_CANT))?;
    let s = secret_mut(st, &key);
    let mut merged = s.tags.clone();
    for t in tags {
        match merged.iter_mut().find(|m| m.key == t.key) {
            Some(m) => m.value = t.value,
            None => merged.push(t),
        }
    }
    if merged.len() > MAX_TAGS {
        return Err(AwsError::client("LimitExceededException", format!("A secret can have at most {MAX_TAGS} tags.")));
    }
    s.tags = merged;
    s.tagged = true;
    save(call, st, &key);
    Ok(Empty {})
}

pub fn untag_resource(call: &mut Call<'_>, st: &mut State, i: UntagResourceInput) -> Result<Empty, AwsError> {
    let id = need(&i.secret_id, "secretId")?.to_string();
    let keys = i.tag_keys.clone().ok_or_else(|| required("tagKeys"))?;
    let extra = vec![("aws:TagKeys".into(), ContextValue::Multi(keys.clone()))];
    let key = open_mut(call, st, "UntagResource", &id, extra, Some(DELETED_CANT))?;
    secret_mut(st, &key).tags.retain(|t| !keys.contains(&t.key));
    save(call, st, &key);
    Ok(Empty {})
}

// ---- GetRandomPassword ----

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GetRandomPasswordInput {
    pub password_length: Option<i64>,
    pub exclude_characters: Option<String>,
    pub exclude_numbers: Option<bool>,
    pub exclude_punctuation: Option<bool>,
    pub exclude_uppercase: Option<bool>,
    pub exclude_lowercase: Option<bool>,
    pub include_space: Option<bool>,
    pub require_each_included_type: Option<bool>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetRandomPasswordOutput {
    pub random_password: String,
}

pub fn get_random_password(call: &mut Call<'_>, st: &State, i: GetRandomPasswordInput) -> Result<GetRandomPasswordOutput, AwsError> {
    let length = i.password_length.unwrap_or(32);
    if length < 1 {
        return Err(validation(format!("1 validation error detected: Value '{length}' at 'passwordLength' failed to satisfy constraint: Member must have value greater than or equal to 1")));
    }
    if length > 4096 {
        return Err(validation(format!("1 validation error detected: Value '{length}' at 'passwordLength' failed to satisfy constraint: Member must have value less than or equal to 4096")));
    }
    let exclude = i.exclude_characters.clone().unwrap_or_default();
    if exclude.chars().count() > 4096 {
        return Err(too_long("excludeCharacters", 4096));
    }
    authorize(call, st, "GetRandomPassword", &Target::everything(call), Vec::new())?;
    let d = PasswordSpec::default();
    let spec = PasswordSpec {
        length: length as usize,
        exclude_characters: exclude,
        exclude_numbers: i.exclude_numbers.unwrap_or(d.exclude_numbers),
        exclude_punctuation: i.exclude_punctuation.unwrap_or(d.exclude_punctuation),
        exclude_uppercase: i.exclude_uppercase.unwrap_or(d.exclude_uppercase),
        exclude_lowercase: i.exclude_lowercase.unwrap_or(d.exclude_lowercase),
        include_space: i.include_space.unwrap_or(d.include_space),
        require_each_included_type: i.require_each_included_type.unwrap_or(d.require_each_included_type),
    };
    let random_password = password::generate(&spec).map_err(invalid_parameter)?;
    Ok(GetRandomPasswordOutput { random_password })
}

// ---- resource policies ----

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PutResourcePolicyInput {
    pub secret_id: Option<String>,
    pub resource_policy: Option<String>,
    pub block_public_policy: Option<bool>,
}

fn parse_policy(text: &str) -> Result<PolicyDoc, AwsError> {
    if text.len() > 20480 {
        return Err(too_long("resourcePolicy", 20480));
    }
    PolicyDoc::new(text, PolicyKind::Resource, Some(20480)).map_err(|e| AwsError::client("MalformedPolicyDocumentException", e.aws_message()))
}

const PUBLIC_POLICY: &str = "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.";

pub fn put_resource_policy(call: &mut Call<'_>, st: &mut State, i: PutResourcePolicyInput) -> Result<ArnName, AwsError> {
    let id = need(&i.secret_id, "secretId")?.to_string();
    let text = need(&i.resource_policy, "resourcePolicy")?.to_string();
    let block = i.block_public_policy.unwrap_or(false);
    let extra = vec![single("secretsmanager:BlockPublicPolicy", block.to_string())];
    let key = open_mut(call, st, "PutResourcePolicy", &id, extra, Some(DELETED_CANT))?;
    let doc = parse_policy(&text)?;
    if block && super::public::is_public(&text) {
        return Err(AwsError::client("PublicPolicyException", PUBLIC_POLICY));
    }
    let s = secret_mut(st, &key);
    s.policy = Some(doc);
    s.last_changed = call.now;
    save(call, st, &key);
    Ok(arn_name(secret(st, &key)))
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetResourcePolicyOutput {
    #[serde(rename = "ARN")]
    pub arn: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<String>,
}

pub fn get_resource_policy(call: &mut Call<'_>, st: &State, i: SecretIdInput) -> Result<GetResourcePolicyOutput, AwsError> {
    let id = need(&i.secret_id, "secretId")?.to_string();
    let key = open(call, st, "GetResourcePolicy", &id, Vec::new(), None)?;
    let s = secret(st, &key);
    Ok(GetResourcePolicyOutput { arn: s.arn.clone(), name: s.name.clone(), resource_policy: s.policy.as_ref().map(|p| p.text.clone()) })
}

pub fn delete_resource_policy(call: &mut Call<'_>, st: &mut State, i: SecretIdInput) -> Result<ArnName, AwsError> {
    let id = need(&i.secret_id, "secretId")?.to_string();
    let key = open_mut(call, st, "DeleteResourcePolicy", &id, Vec::new(), Some(DELETED_CANT))?;
    let s = secret_mut(st, &key);
    if s.policy.take().is_some() {
        s.last_changed = call.now;
        save(call, st, &key);
    }
    Ok(arn_name(secret(st, &key)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ValidateResourcePolicyInput {
    pub secret_id: Option<String>,
    pub resource_policy: Option<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValidationError {
    pub check_name: String,
    pub error_message: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ValidateResourcePolicyOutput {
    pub policy_validation_passed: bool,
    pub validation_errors: Vec<ValidationError>,
}

/// Checks a policy: its grammar (the policy engine's findings) and whether it grants broad
/// (public) access.
pub fn validate_resource_policy(call: &mut Call<'_>, st: &State, i: ValidateResourcePolicyInput) -> Result<ValidateResourcePolicyOutput, AwsError> {
    let text = need(&i.resource_policy, "resourcePolicy")?.to_string();
    match i.secret_id.as_deref().filter(|s| !s.is_empty()) {
        Some(id) => {
            open(call, st, "ValidateResourcePolicy", id, Vec::new(), None)?;
        }
        None => authorize(call, st, "ValidateResourcePolicy", &Target::everything(call), Vec::new())?,
    }
    if serde_json::from_str::<serde_json::Value>(&text).is_err() {
        return Err(AwsError::client("MalformedPolicyDocumentException", "This resource policy contains a syntax error."));
    }
    let mut errors = Vec::new();
    let opts = edgeward_policy::ParseOptions::new(PolicyKind::Resource).with_size_limit(20480);
    let (_, findings) = edgeward_policy::analyze(&text, opts);
    for f in findings.iter().filter(|f| f.severity == edgeward_policy::Severity::Error) {
        errors.push(ValidationError { check_name: "SYNTAX_CHECK".into(), error_message: f.to_string() });
    }
    if errors.is_empty() && super::public::is_public(&text) {
        errors.push(ValidationError { check_name: "PUBLIC_ACCESS_CHECK".into(), error_message: "The resource policy grants broad (public) access to the secret.".into() });
    }
    Ok(ValidateResourcePolicyOutput { policy_validation_passed: errors.is_empty(), validation_errors: errors })
}

// ---- rotation (no Lambda in edgeward) ----

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RotateSecretInput {
    pub secret_id: Option<String>,
    pub client_request_token: Option<String>,
    #[serde(rename = "RotationLambdaARN")]
    pub rotation_lambda_arn: Option<String>,
    pub rotation_rules: Option<serde_json::Value>,
    pub rotate_immediately: Option<bool>,
}

pub fn rotate_secret(call: &mut Call<'_>, st: &mut State, i: RotateSecretInput) -> Result<Empty, AwsError> {
    let id = need(&i.secret_id, "secretId")?.to_string();
    check_token(&i.client_request_token)?;
    if i.rotation_lambda_arn.as_ref().is_some_and(|a| a.len() > 2048) {
        return Err(too_long("rotationLambdaARN", 2048));
    }
    if let Some(days) = i.rotation_rules.as_ref().and_then(|r| r.get("AutomaticallyAfterDays")).and_then(|d| d.as_i64()) {
        if !(1..=1000).contains(&days) {
            return Err(invalid_parameter("RotationRules.AutomaticallyAfterDays must be within 1-1000."));
        }
    }
    let mut extra = Vec::new();
    extra.extend(i.rotation_lambda_arn.as_ref().map(|a| single("secretsmanager:RotationLambdaARN", a.clone())));
    open_mut(call, st, "RotateSecret", &id, extra, Some(DELETED_TRIED))?;
    Err(AwsError::new(
        501,
        "NotImplemented",
        "RotateSecret is not supported by edgeward: rotation runs a Lambda function, and edgeward has no Lambda. \
         Rotate a secret by calling PutSecretValue with the new value (it becomes AWSCURRENT and the old value AWSPREVIOUS).",
    ))
}

pub fn cancel_rotate_secret(call: &mut Call<'_>, st: &mut State, i: SecretIdInput) -> Result<Empty, AwsError> {
    let id = need(&i.secret_id, "secretId")?.to_string();
    open_mut(call, st, "CancelRotateSecret", &id, Vec::new(), Some(DELETED_TRIED))?;
    // Rotation can never be configured here (no Lambda), so AWS's answer for a secret
    // without a rotation function applies.
    Err(invalid_request(
        "You tried to enable rotation on a secret that doesn't already have a Lambda function ARN configured and you didn't include such an ARN as a parameter in this call.",
    ))
}
