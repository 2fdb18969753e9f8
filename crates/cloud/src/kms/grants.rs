//! Grants: CreateGrant (with Name idempotence), ListGrants, ListRetirableGrants,
//! RetireGrant, RevokeGrant. A grant takes effect as soon as CreateGrant returns, so a
//! grant token is never needed to use it; tokens are checked for shape and for RetireGrant.

use edgeward_policy::ContextValue;
use serde_json::{json, Value};

use crate::authz::ContextKey;
use crate::call::Call;
use crate::error::AwsError;
use crate::state::State;

use super::access::{self, authorize, find, find_mut, grantee_matches, not_found, not_pending, touched, validation, Ask, Ids};
use super::model::Grant;
use super::wire::*;


/// GrantTokens: at most 10, each 1–8192 characters.
pub fn check_tokens(tokens: Option<&[String]>) -> Result<(), AwsError> {
    let Some(tokens) = tokens else { return Ok(()) };
    if tokens.len() > 10 {
        return Err(validation("1 validation error detected: Value at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10"));
    }
    if tokens.iter().any(|t| t.is_empty() || t.len() > 8192) {
        return Err(AwsError::client("InvalidGrantTokenException", "A grant token is not valid"));
    }
    Ok(())
}

fn entry(key_arn: &str, g: &Grant) -> GrantListEntry {
    let constraints = (g.context_subset.is_some() || g.context_equals.is_some())
        .then(|| GrantConstraints { encryption_context_subset: g.context_subset.clone(), encryption_context_equals: g.context_equals.clone() });
    GrantListEntry {
        key_id: key_arn.to_string(),
        grant_id: g.id.clone(),
        name: g.name.clone(),
        creation_date: g.created,
        grantee_principal: g.grantee.clone(),
        retiring_principal: g.retiring.clone(),
        issuing_account: g.issuing_account.clone(),
        operations: g.operations.clone(),
        constraints,
    }
}

pub fn create(call: &mut Call<'_>, st: &mut State, r: CreateGrantRequest, via: Option<&str>) -> Result<Value, AwsError> {
    check_tokens(r.grant_tokens.as_deref())?;
    if r.operations.is_empty() {
        return Err(validation("1 validation error detected: Value '[]' at 'operations' failed to satisfy constraint: Member must have length greater than or equal to 1"));
    }
    for op in &r.operations {
        if !access::is_grant_operation(op) {
            let list = access::GRANT_OPERATIONS.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", ");
            return Err(validation(format!(
                "1 validation error detected: Value '[{op}]' at 'operations' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [{list}]]"
            )));
        }
    }
    if r.grantee_principal.is_empty() {
        return Err(validation("1 validation error detected: Value at 'granteePrincipal' failed to satisfy constraint: Member must have length greater than or equal to 1"));
    }
    if let Some(n) = &r.name {
        if n.is_empty() || n.len() > 256 || !n.bytes().all(|b| b.is_ascii_alphanumeric() || b":/_-".contains(&b)) {
            return Err(validation(format!("1 validation error detected: Value '{n}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$")));
        }
    }
    let found = find_mut(call, st, &r.key_id, Ids::Key, true)?;
    touched(call, &found.arn);
    let constraints = r.constraints.clone().unwrap_or_default();
    let mut extra: Vec<(ContextKey, ContextValue)> = vec![
        ("kms:GrantOperations".into(), ContextValue::Multi(r.operations.clone())),
        ("kms:GranteePrincipal".into(), ContextValue::Single(r.grantee_principal.clone())),
    ];
    if let Some(rp) = &r.retiring_principal {
        extra.push(("kms:RetiringPrincipal".into(), ContextValue::Single(rp.clone())));
    }
    let mut kinds = Vec::new();
    if constraints.encryption_context_equals.is_some() {
        kinds.push("EncryptionContextEquals".to_string());
    }
    if constraints.encryption_context_subset.is_some() {
        kinds.push("EncryptionContextSubset".to_string());
    }
    if !kinds.is_empty() {
        extra.push(("kms:GrantConstraintType".into(), ContextValue::Multi(kinds)));
    }
    // In CreateGrant, kms:EncryptionContext:* describe the grant's constraints.
    let constraint_ctx: Context =
        constraints.encryption_context_equals.iter().chain(constraints.encryption_context_subset.iter()).flat_map(|m| m.clone()).collect();
    authorize(call, st, &found.arn, &Ask { op: "CreateGrant", context: Some(&constraint_ctx), via, extra, ..Ask::default() })?;
    not_pending(st.kms.keys.get(&found.arn).expect("found"))?;
    let token = crate::ids::hex(&super::crypto::random(48));
    let k = st.kms.keys.get_mut(&found.arn).expect("found");
    // The same Name with the same parameters returns the existing grant.
    if let Some(name) = &r.name {
        if let Some(g) = k.grants.iter().find(|g| {
            g.name.as_ref() == Some(name)
                && g.grantee == r.grantee_principal
                && g.retiring == r.retiring_principal
                && g.operations == r.operations
                && g.context_equals == constraints.encryption_context_equals
                && g.context_subset == constraints.encryption_context_subset
        }) {
            return Ok(json!({"GrantToken": g.token, "GrantId": g.id}));
        }
    }
    if k.grants.len() >= 50_000 {
        return Err(AwsError::client("LimitExceededException", "The key has too many grants"));
    }
    let grant = Grant {
        id: crate::ids::hex(&super::crypto::random(32)),
        name: r.name.clone(),
        token,
        created: call.now,
        grantee: r.grantee_principal.clone(),
        retiring: r.retiring_principal.clone(),
        issuing_account: format!("arn:aws:iam::{}:root", call.caller.account),
        operations: r.operations.clone(),
        context_subset: constraints.encryption_context_subset.clone(),
        context_equals: constraints.encryption_context_equals.clone(),
    };
    let out = json!({"GrantToken": grant.token, "GrantId": grant.id});
    k.grants.push(grant);
    st.kms.save_key(&mut call.batch, &found.arn);
    call.trail.response_elements = Some(json!({"grantId": out["GrantId"]}));
    Ok(out)
}

pub fn list(call: &mut Call<'_>, st: &State, r: ListGrantsRequest) -> Result<Value, AwsError> {
    let found = find(call, st, &r.key_id, Ids::Key, true)?;
    touched(call, &found.arn);
    authorize(call, st, &found.arn, &Ask { op: "ListGrants", ..Ask::default() })?;
    let k = st.kms.keys.get(&found.arn).expect("found");
    let all: Vec<GrantListEntry> = k
        .grants
        .iter()
        .filter(|g| r.grant_id.as_ref().is_none_or(|id| *id == g.id))
        .filter(|g| r.grantee_principal.as_ref().is_none_or(|p| *p == g.grantee))
        .map(|g| entry(&k.arn, g))
        .collect();
    let (page, truncated, next) = paginate(all, r.limit, r.marker.as_deref(), 50)?;
    out(Page { items: json!({"Grants": page}), truncated, next_marker: next })
}

pub fn list_retirable(call: &mut Call<'_>, st: &State, r: ListRetirableRequest) -> Result<Value, AwsError> {
    if r.retiring_principal.is_empty() {
        return Err(validation("1 validation error detected: Value null at 'retiringPrincipal' failed to satisfy constraint: Member must not be null"));
    }
    access::authorize_account(call, st, "kms:ListRetirableGrants", "*", Vec::new())?;
    let all: Vec<GrantListEntry> = st
        .kms
        .keys
        .values()
        .filter(|k| k.region == call.region)
        .flat_map(|k| k.grants.iter().filter(|g| g.retiring.as_deref() == Some(r.retiring_principal.as_str())).map(move |g| entry(&k.arn, g)))
        .collect();
    let (page, truncated, next) = paginate(all, r.limit, r.marker.as_deref(), 50)?;
    out(Page { items: json!({"Grants": page}), truncated, next_marker: next })
}

fn remove(call: &mut Call<'_>, st: &mut State, key_arn: &str, grant_id: &str) {
    if let Some(k) = st.kms.keys.get_mut(key_arn) {
        k.grants.retain(|g| g.id != grant_id);
        st.kms.save_key(&mut call.batch, key_arn);
    }
}

pub fn retire(call: &mut Call<'_>, st: &mut State, r: RetireGrantRequest) -> Result<Value, AwsError> {
    let (key_arn, grant) = match (&r.grant_token, &r.key_id, &r.grant_id) {
        (Some(token), _, _) => {
            check_tokens(Some(std::slice::from_ref(token)))?;
            st.kms
                .keys
                .values()
                .find_map(|k| k.grants.iter().find(|g| g.token == *token).map(|g| (k.arn.clone(), g.clone())))
                .ok_or_else(|| AwsError::client("InvalidGrantTokenException", "The grant token is not valid"))?
        }
        (None, Some(key_id), Some(grant_id)) => {
            let found = find_mut(call, st, key_id, Ids::Key, true)?;
            let g = st.kms.keys[&found.arn].grants.iter().find(|g| g.id == *grant_id).cloned();
            (found.arn, g.ok_or_else(|| not_found(format!("Grant ID {grant_id} not found")))?)
        }
        _ => return Err(validation("Either GrantToken, or both KeyId and GrantId, must be given")),
    };
    touched(call, &key_arn);
    // The retiring principal, or the grantee of a grant that allows RetireGrant, may retire
    // it; anyone else needs kms:RetireGrant from the key policy.
    let caller = &call.caller;
    let entitled = g_retiring(&grant, caller) || (grant.operations.iter().any(|o| o == "RetireGrant") && grantee_matches(&grant.grantee, caller));
    if !entitled {
        authorize(call, st, &key_arn, &Ask { op: "RetireGrant", ..Ask::default() })?;
    }
    remove(call, st, &key_arn, &grant.id);
    Ok(json!({}))
}

fn g_retiring(g: &Grant, caller: &crate::identity::Caller) -> bool {
    g.retiring.as_deref().is_some_and(|p| grantee_matches(p, caller))
}

pub fn revoke(call: &mut Call<'_>, st: &mut State, r: RevokeGrantRequest) -> Result<Value, AwsError> {
    let found = find_mut(call, st, &r.key_id, Ids::Key, true)?;
    touched(call, &found.arn);
    authorize(call, st, &found.arn, &Ask { op: "RevokeGrant", ..Ask::default() })?;
    if !st.kms.keys[&found.arn].grants.iter().any(|g| g.id == r.grant_id) {
        return Err(not_found(format!("Grant ID {} not found", r.grant_id)));
    }
    remove(call, st, &found.arn, &r.grant_id);
    Ok(json!({}))
}
