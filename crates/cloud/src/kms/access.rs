//! Finding keys (key id, key ARN, alias name, alias ARN; across accounts by ARN), the key
//! lifecycle that happens by the request clock (deletion after the waiting period,
//! automatic rotation), key-state checks, and authorization: the key policy (required),
//! the caller's IAM policies, and grants.

use edgeward_policy::{ContextValue, Decision, ResourcePolicyMode};

use crate::authz::{self, Access, ContextKey, Keys, RequestFacts};
use crate::call::Call;
use crate::error::AwsError;
use crate::identity::Caller;
use crate::state::State;

use super::model::{self, alias_arn, alias_record, key_arn, key_record, Key};
use super::wire::Context;
use super::Due;

pub fn not_found(message: impl Into<String>) -> AwsError {
    AwsError::client("NotFoundException", message)
}

pub fn validation(message: impl Into<String>) -> AwsError {
    AwsError::client("ValidationException", message)
}

pub fn invalid_state(message: impl Into<String>) -> AwsError {
    AwsError::client("KMSInvalidStateException", message)
}

/// Services whose AWS managed key (`alias/aws/<service>`) edgeward creates on first use.
pub const MANAGED_SERVICES: &[&str] = &["secretsmanager", "s3"];

/// Where a key was found: its ARN, and the alias name when the caller named one.
#[derive(Debug, Clone)]
pub struct Found {
    pub arn: String,
    pub alias: Option<String>,
}

/// Which identifier forms an operation accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ids {
    /// Key id or key ARN (management operations).
    Key,
    /// Also alias names and alias ARNs (cryptographic operations, DescribeKey).
    KeyOrAlias,
}

/// Finds a key by any accepted identifier. `cross_account`: whether a key of another
/// account may be named (by ARN). A key whose lifecycle is due, or an AWS managed key not
/// created yet, stops the call until the write path has made the change (`Call::due`).
pub fn find(call: &mut Call<'_>, st: &State, key_id: &str, ids: Ids, cross_account: bool) -> Result<Found, AwsError> {
    if key_id.is_empty() {
        return Err(validation("1 validation error detected: Value at 'keyId' failed to satisfy constraint: Member must have length greater than or equal to 1"));
    }
    let invalid = || not_found(format!("Invalid keyId {key_id}"));
    let (arn, alias) = if let Some(name) = key_id.strip_prefix("alias/").map(|_| key_id) {
        if ids == Ids::Key {
            return Err(invalid());
        }
        let (region, account) = (call.region.clone(), call.caller.account.clone());
        (alias_target(call, st, &region, &account, name)?, Some(name.to_string()))
    } else if let Some(rest) = key_id.strip_prefix("arn:") {
        let parts: Vec<&str> = rest.splitn(5, ':').collect();
        if parts.len() != 5 || parts[1] != "kms" {
            return Err(not_found(format!("Invalid arn {key_id}")));
        }
        let (region, account, resource) = (parts[2], parts[3], parts[4]);
        if account != call.caller.account && !cross_account {
            return Err(not_found(format!("Invalid arn {key_id}")));
        }
        if resource.starts_with("alias/") {
            if ids == Ids::Key {
                return Err(invalid());
            }
            (alias_target(call, st, region, account, resource)?, Some(resource.to_string()))
        } else if let Some(id) = resource.strip_prefix("key/") {
            (key_arn(region, account, id), None)
        } else {
            return Err(not_found(format!("Invalid arn {key_id}")));
        }
    } else {
        if !looks_like_key_id(key_id) {
            return Err(invalid());
        }
        (key_arn(&call.region, &call.caller.account, key_id), None)
    };
    check_lifecycle(call, st, &arn)?;
    if !st.kms.keys.contains_key(&arn) {
        return Err(not_found(format!("Key '{arn}' does not exist")));
    }
    Ok(Found { arn, alias })
}

/// [`find`] for operations that change state (under the write lock): a due change is made
/// first.
pub fn find_mut(call: &mut Call<'_>, st: &mut State, key_id: &str, ids: Ids, cross_account: bool) -> Result<Found, AwsError> {
    call.making_due_changes(st, |call, st| find(call, st, key_id, ids, cross_account))
}

/// A key id is a UUID (AWS also has `mrk-…` multi-Region ids).
fn looks_like_key_id(s: &str) -> bool {
    let uuid = s.len() == 36 && s.bytes().enumerate().all(|(i, b)| if matches!(i, 8 | 13 | 18 | 23) { b == b'-' } else { b.is_ascii_hexdigit() });
    uuid || (s.starts_with("mrk-") && s.len() == 36 && s[4..].bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The key ARN an alias points at; AWS managed aliases are created on first use (on the
/// write path: `Due::ManagedKey`).
fn alias_target(call: &mut Call<'_>, st: &State, region: &str, account: &str, name: &str) -> Result<String, AwsError> {
    let arn = alias_arn(region, account, name);
    if let Some(a) = st.kms.aliases.get(&arn) {
        return Ok(key_arn(region, account, &a.target));
    }
    if let Some(service) = name.strip_prefix("alias/aws/").and_then(|s| MANAGED_SERVICES.iter().find(|m| **m == s).copied()) {
        if account == call.caller.account && region == call.region {
            return Err(call.needs_write(Due::ManagedKey(service).into()));
        }
    }
    Err(not_found(format!("Alias {arn} is not found.")))
}

/// Creates the AWS managed key `alias/aws/<service>` of the caller's account and region.
pub fn create_managed_key(call: &mut Call<'_>, st: &mut State, service: &str) -> String {
    let (region, account) = (call.region.clone(), call.caller.account.clone());
    let name = format!("alias/aws/{service}");
    let aarn = alias_arn(&region, &account, &name);
    if let Some(a) = st.kms.aliases.get(&aarn) {
        return key_arn(&region, &account, &a.target);
    }
    let id = crate::ids::uuid();
    let arn = key_arn(&region, &account, &id);
    let now = call.now;
    let key = Key {
        arn: arn.clone(),
        id: id.clone(),
        account: account.clone(),
        region: region.clone(),
        created: now,
        description: model::aws_managed_description(service),
        usage: "ENCRYPT_DECRYPT".into(),
        spec: "SYMMETRIC_DEFAULT".into(),
        manager: "AWS".into(),
        state: "Enabled".into(),
        deletion_date: None,
        pending_window: None,
        policy: model::aws_managed_policy(&account, &region, service),
        tags: Vec::new(),
        // AWS managed keys rotate every year.
        rotation_period: Some(365),
        next_rotation: Some(now + 365 * 86_400),
        multi_region: false,
        materials: vec![model::new_material(&call.cloud.kms_root, &arn, "SYMMETRIC_DEFAULT", now, None)],
        grants: Vec::new(),
    };
    st.kms.keys.insert(arn.clone(), key);
    st.kms.save_key(&mut call.batch, &arn);
    st.kms.aliases.insert(aarn.clone(), model::Alias { name, arn: aarn.clone(), target: id, created: now, updated: now });
    st.kms.save_alias(&mut call.batch, &aarn);
    arn
}

/// Whether the request clock deletes a key now: its waiting period has ended.
fn deletion_due(k: &Key, now: i64) -> bool {
    k.state == "PendingDeletion" && k.deletion_date.is_some_and(|d| d <= now)
}

/// Whether the request clock rotates a key now: automatic rotation is on and its date has come.
fn rotation_due(k: &Key, now: i64) -> bool {
    k.state == "Enabled" && k.rotation_period.is_some() && k.next_rotation.is_some_and(|n| n <= now)
}

/// What happens by the request clock: a key whose deletion date has passed is deleted
/// (material, grants and aliases with it); a key due for automatic rotation rotates.
/// Write path only (`Due::Lifecycle`); reads check [`check_lifecycle`].
pub fn tick(call: &mut Call<'_>, st: &mut State, arn: &str) {
    let now = call.now;
    let Some(k) = st.kms.keys.get_mut(arn) else { return };
    if deletion_due(k, now) {
        let id = k.id.clone();
        st.kms.keys.remove(arn);
        st.kms.forget(arn);
        call.batch.delete(key_record(arn));
        let prefix = arn.split(":key/").next().unwrap_or("").to_string() + ":alias/";
        let gone: Vec<String> = st.kms.aliases.iter().filter(|(a, al)| a.starts_with(&prefix) && al.target == id).map(|(a, _)| a.clone()).collect();
        for a in gone {
            st.kms.aliases.remove(&a);
            call.batch.delete(alias_record(&a));
        }
        return;
    }
    if let (true, Some(period), Some(next)) = (rotation_due(k, now), k.rotation_period, k.next_rotation) {
        let m = model::new_material(&call.cloud.kms_root, arn, &k.spec, next, Some("AUTOMATIC"));
        k.materials.push(m);
        let mut n = next;
        while n <= now {
            n += period * 86_400;
        }
        k.next_rotation = Some(n);
        st.kms.save_key(&mut call.batch, arn);
    }
}

/// Stops the call when the key's lifecycle is due (see [`tick`]), for the write path to
/// apply it before the key is used.
pub fn check_lifecycle(call: &mut Call<'_>, st: &State, arn: &str) -> Result<(), AwsError> {
    match st.kms.keys.get(arn) {
        Some(k) if deletion_due(k, call.now) || rotation_due(k, call.now) => Err(call.needs_write(Due::Lifecycle(arn.to_string()).into())),
        _ => Ok(()),
    }
}

/// [`check_lifecycle`] for every key of an account and region (before listing).
pub fn check_lifecycle_all(call: &mut Call<'_>, st: &State, account: &str, region: &str) -> Result<(), AwsError> {
    let prefix = format!("arn:aws:kms:{region}:{account}:key/");
    let mut result = Ok(());
    for (arn, _) in st.kms.keys.range(prefix.clone()..).take_while(|(a, _)| a.starts_with(&prefix)) {
        if let Err(e) = check_lifecycle(call, st, arn) {
            result = Err(e);
        }
    }
    result
}

/// Names a key among the call's trail resources (and its owner, across accounts).
pub fn touched(call: &mut Call<'_>, arn: &str) {
    call.trail.resources.push((arn.to_string(), "AWS::KMS::Key".into()));
    let account = edgeward_policy::Arn::parse(arn).map_or("", |a| a.account).to_string();
    if account != call.caller.account {
        call.trail.resource_account = Some(account);
    }
}

/// For cryptographic operations: the key must be enabled.
pub fn usable(key: &Key) -> Result<(), AwsError> {
    match key.state.as_str() {
        "Enabled" => Ok(()),
        "Disabled" => Err(AwsError::client("DisabledException", format!("{} is disabled.", key.arn))),
        "PendingDeletion" => Err(invalid_state(format!("{} is pending deletion.", key.arn))),
        other => Err(invalid_state(format!("{} is {other}.", key.arn))),
    }
}

/// For management operations not allowed while a key waits for deletion.
pub fn not_pending(key: &Key) -> Result<(), AwsError> {
    if key.state == "PendingDeletion" {
        return Err(invalid_state(format!("{} is pending deletion.", key.arn)));
    }
    Ok(())
}

/// What one KMS call asks of a key.
#[derive(Debug, Default)]
pub struct Ask<'a> {
    /// The operation (`Decrypt`); the action is `kms:<op>`.
    pub op: &'a str,
    /// The encryption context, for `kms:EncryptionContext:*` and grant constraints.
    pub context: Option<&'a Context>,
    /// The alias the caller named (`kms:RequestAlias`).
    pub alias: Option<&'a str>,
    /// Forward access: the service calling on the caller's behalf (`secretsmanager`).
    pub via: Option<&'a str>,
    /// More condition keys (`kms:GranteePrincipal`, …).
    pub extra: Vec<(ContextKey, ContextValue)>,
    /// The grant operation this call uses, when it differs from `op` (ReEncrypt).
    pub grant_op: Option<&'a str>,
}

/// Operations a grant can allow.
pub const GRANT_OPERATIONS: &[&str] = &[
    "Decrypt",
    "Encrypt",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "ReEncryptFrom",
    "ReEncryptTo",
    "Sign",
    "Verify",
    "GetPublicKey",
    "CreateGrant",
    "RetireGrant",
    "DescribeKey",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateMac",
    "VerifyMac",
    "DeriveSharedSecret",
];

pub fn is_grant_operation(op: &str) -> bool {
    GRANT_OPERATIONS.contains(&op)
}

/// The request `authz` decides for a call on a key; its KMS condition keys are `key_context`.
pub fn access_for(key: &Key, ask: &Ask<'_>) -> Access {
    let mut a = Access::new(&format!("kms:{}", ask.op), key.arn.clone(), &key.account);
    a.resource_policy = key.policy.policy().cloned();
    a.mode = ResourcePolicyMode::Required;
    a.resource_tags = key.tags.clone();
    a
}

/// The KMS condition keys of a call on `key` that a decision reads (`keys`): a call has a
/// dozen, key policies read one or two, so each is made only when asked for.
fn key_context(st: &State, key: &Key, ask: &Ask<'_>, keys: &Keys<'_>, caller: &Caller, facts: &RequestFacts<'_>, out: &mut Vec<(ContextKey, ContextValue)>) {
    let put = |out: &mut Vec<(ContextKey, ContextValue)>, name: &'static str, value: &dyn Fn() -> ContextValue| {
        if keys.has(name) {
            out.push((name.into(), value()));
        }
    };
    let single = |v: &str| ContextValue::Single(v.to_string());
    put(out, "kms:CallerAccount", &|| single(&caller.account));
    put(out, "kms:KeySpec", &|| single(&key.spec));
    put(out, "kms:KeyUsage", &|| single(&key.usage));
    put(out, "kms:KeyOrigin", &|| single("AWS_KMS"));
    put(out, "kms:MultiRegion", &|| single(if key.multi_region { "true" } else { "false" }));
    if keys.has("kms:ResourceAliases") {
        let aliases = st.kms.aliases_of(key);
        if !aliases.is_empty() {
            out.push(("kms:ResourceAliases".into(), ContextValue::Multi(aliases)));
        }
    }
    if let Some(alias) = ask.alias {
        put(out, "kms:RequestAlias", &|| single(alias));
    }
    if let Some(ctx) = ask.context {
        if keys.has_prefix("kms:encryptioncontext:") {
            out.extend(ctx.iter().map(|(k, v)| (format!("kms:EncryptionContext:{k}").into(), single(v))));
        }
        if !ctx.is_empty() {
            put(out, "kms:EncryptionContextKeys", &|| ContextValue::Multi(ctx.keys().cloned().collect()));
        }
    }
    if let Some(via) = ask.via {
        // Forward access (a service calling KMS for the caller).
        let service = || single(&format!("{via}.amazonaws.com"));
        put(out, "kms:ViaService", &|| ContextValue::Single(format!("{via}.{}.amazonaws.com", facts.region)));
        put(out, "aws:CalledVia", &|| ContextValue::Multi(vec![format!("{via}.amazonaws.com")]));
        put(out, "aws:CalledViaFirst", &service);
        put(out, "aws:CalledViaLast", &service);
        put(out, "aws:ViaAWSService", &|| single("true"));
    }
    if matches!(ask.op, "CreateGrant" | "ListGrants" | "RevokeGrant") {
        put(out, "kms:GrantIsForAWSResource", &|| single(if ask.via.is_some() { "true" } else { "false" }));
    }
    out.extend(ask.extra.iter().filter(|(k, _)| keys.has(k)).cloned());
}

/// Authorizes a call on a key: the key policy must allow (directly, or by naming the
/// account so that IAM policies decide), or a grant on the key must allow the operation to
/// the caller; an explicit deny in any policy wins over grants.
pub fn authorize(call: &mut Call<'_>, st: &State, arn: &str, ask: &Ask<'_>) -> Result<(), AwsError> {
    let Some(key) = st.kms.keys.get(arn) else { return Err(not_found(format!("Key '{arn}' does not exist"))) };
    if !call.enforce {
        return Ok(());
    }
    let access = access_for(key, ask);
    let fill = |keys: &Keys<'_>, caller: &Caller, facts: &RequestFacts<'_>, out: &mut Vec<(ContextKey, ContextValue)>| {
        key_context(st, key, ask, keys, caller, facts, out)
    };
    let grant_op = ask.grant_op.unwrap_or(ask.op);
    if is_grant_operation(grant_op) && key.grants.iter().any(|g| grant_allows(g, &call.caller, grant_op, ask.context)) {
        match authz::authorize_with(st, &call.caller, &call.facts(), &access, &fill) {
            Ok(()) => return Ok(()),
            Err(denied) if denied.explanation.decision != Decision::ExplicitlyDenied => return Ok(()),
            Err(_) => {}
        }
    }
    call.authorize_with(st, &access, &fill)
}

/// Authorizes an action that names no key (`kms:CreateKey`, `kms:ListKeys`, …): IAM only.
pub fn authorize_account(call: &mut Call<'_>, st: &State, action: &str, resource: &str, extra: Vec<(ContextKey, ContextValue)>) -> Result<(), AwsError> {
    let mut a = Access::new(action, resource, &call.caller.account.clone());
    a.context.push(("kms:CallerAccount".into(), ContextValue::Single(call.caller.account.clone())));
    a.context.extend(extra);
    call.authorize(st, &a)
}

/// Whether a grant gives `caller` the operation for this encryption context.
pub fn grant_allows(g: &model::Grant, caller: &Caller, op: &str, ctx: Option<&Context>) -> bool {
    if !g.operations.iter().any(|o| o == op) || !grantee_matches(&g.grantee, caller) {
        return false;
    }
    let empty = Context::new();
    let ctx = ctx.unwrap_or(&empty);
    if let Some(eq) = &g.context_equals {
        if eq != ctx {
            return false;
        }
    }
    if let Some(sub) = &g.context_subset {
        if !sub.iter().all(|(k, v)| ctx.get(k) == Some(v)) {
            return false;
        }
    }
    true
}

/// A grantee or retiring principal names the caller: its ARN, or the role of its session.
pub fn grantee_matches(principal: &str, caller: &Caller) -> bool {
    principal == caller.arn || principal == caller.principal_arn()
}
