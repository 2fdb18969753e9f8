//! STS (awsQuery): GetCallerIdentity, AssumeRole (trust policy and, across accounts, the
//! caller's own policy; session tags, transitive tags, role chaining, external id, source
//! identity, session policies), GetSessionToken. The operations take and return the plain
//! types of `shapes`; `wire` maps them to and from awsQuery.

mod shapes;
mod wire;

pub use wire::{handle, reads_only};

use edgeward_policy::{ContextValue, ResourcePolicyMode};
use serde_json::json;

use crate::authz::Access;
use crate::call::Call;
use crate::error::AwsError;
use crate::identity::CallerKind;
use crate::protocol::query::{in_range, missing};
use crate::state::{self, AccessKey, KeyOwner, PolicyDoc, Session, SessionKind, Tag};
use shapes::*;

/// No permission is needed, and an explicit deny does not apply (AWS documents this).
pub(super) fn get_caller_identity(call: &mut Call<'_>, _input: GetCallerIdentityInput) -> Result<GetCallerIdentityOutput, AwsError> {
    call.trail.read_only = true;
    let c = &call.caller;
    let (arn, user_id, account) =
        crate::compat::moto_default_identity(call).unwrap_or_else(|| (c.arn.clone(), c.user_id(), c.account.clone()));
    Ok(GetCallerIdentityOutput { arn, user_id, account })
}

fn valid_session_name(s: &str) -> bool {
    (2..=64).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c))
}

fn validation(message: impl Into<String>) -> AwsError {
    AwsError::client("ValidationError", message)
}

pub(super) fn assume_role(call: &mut Call<'_>, input: AssumeRoleInput) -> Result<AssumeRoleOutput, AwsError> {
    let AssumeRoleInput { role_arn, role_session_name: session_name, duration_seconds, external_id, source_identity, policy: policy_text, policy_arns, tags, transitive_tag_keys: transitive } =
        input;
    if session_name.len() > 64 {
        return Err(validation(format!(
            "1 validation error detected: Value '{session_name}' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64"
        )));
    }
    if !valid_session_name(&session_name) {
        return Err(validation(format!(
            "1 validation error detected: Value '{session_name}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
        )));
    }
    if role_arn.len() < 20 {
        return Err(validation(format!("{role_arn} is invalid")));
    }
    let duration = in_range("durationSeconds", duration_seconds, 900, 43_200)?.unwrap_or(3600);
    let policy_arns: Vec<String> = policy_arns.into_iter().filter_map(|p| p.arn).collect();
    let mut session_tags: Vec<Tag> = Vec::new();
    for t in tags {
        let key = t.key.ok_or_else(|| missing("Tags.member.N.Key"))?;
        session_tags.push(Tag { key, value: t.value.unwrap_or_default() });
    }
    let tags = session_tags;
    if tags.len() > 50 {
        return Err(validation("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"));
    }
    for k in &transitive {
        if !tags.iter().any(|t| t.key.eq_ignore_ascii_case(k)) {
            return Err(validation(format!("The transitive tag key {k} is not one of the session tags")));
        }
    }
    call.trail.request_parameters = Some(json!({
        "roleArn": role_arn, "roleSessionName": session_name, "durationSeconds": duration,
        "externalId": external_id, "sourceIdentity": source_identity,
        "tags": tags.iter().map(|t| json!({"key": t.key, "value": t.value})).collect::<Vec<_>>(),
        "transitiveTagKeys": transitive,
    }));

    let cloud = call.cloud;
    let mut st = cloud.write_state();
    let (role_account, role_name) = parse_role_arn(&role_arn).ok_or_else(|| validation(format!("{role_arn} is invalid")))?;
    call.trail.resource_account = Some(role_account.clone()).filter(|a| *a != call.caller.account);
    call.trail.resources.push((role_arn.clone(), "AWS::IAM::Role".into()));

    // What the caller's session carries into a chained session.
    let (inherited, chained) = match &call.caller.kind {
        CallerKind::AssumedRole { session_tags, transitive_tag_keys, .. } => {
            let carried: Vec<Tag> = session_tags
                .iter()
                .filter(|t| transitive_tag_keys.iter().any(|k| k.eq_ignore_ascii_case(&t.key)))
                .cloned()
                .collect();
            (carried, true)
        }
        _ => (Vec::new(), false),
    };
    if chained && duration_seconds.is_some() && duration > 3600 {
        return Err(validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."));
    }
    for t in &tags {
        if inherited.iter().any(|i| i.key.eq_ignore_ascii_case(&t.key)) {
            return Err(validation(format!("The session tag {} is transitive from the calling session and cannot be overridden", t.key)));
        }
    }
    if let (Some(prev), Some(new)) = (&call.caller.source_identity, &source_identity) {
        if prev != new {
            return Err(validation("The source identity cannot be changed once set in a role chain"));
        }
    }
    let effective_source = call.caller.source_identity.clone().or(source_identity.clone());

    // The trust policy decides (and, across accounts, the caller's own policies too).
    let role = st.iam.get(&role_account).and_then(|iam| iam.roles.get(&role_name.to_ascii_lowercase())).cloned();
    let trust = role.as_ref().and_then(|r| r.trust.policy().cloned());
    let mut access = Access::new("sts:AssumeRole", role_arn.clone(), &role_account);
    access.resource_policy = trust;
    access.mode = ResourcePolicyMode::Required;
    access = access.key("sts:RoleSessionName", session_name.clone());
    if let Some(e) = &external_id {
        access = access.key("sts:ExternalId", e.clone());
    }
    if let Some(s) = &source_identity {
        access = access.key("sts:SourceIdentity", s.clone());
    }
    if let Some(r) = &role {
        access.resource_tags = r.tags.clone();
    }
    access.context.extend(crate::authz::request_tags(tags.iter().map(Tag::pair)));
    if !transitive.is_empty() {
        access.context.push(("sts:TransitiveTagKeys".into(), ContextValue::Multi(transitive.clone())));
    }
    call.authorize(&st, &access)?;
    if !tags.is_empty() {
        let mut tag_access = access.clone();
        tag_access.action = "sts:TagSession".into();
        call.authorize(&st, &tag_access)?;
    }
    if source_identity.is_some() {
        let mut si_access = access.clone();
        si_access.action = "sts:SetSourceIdentity".into();
        call.authorize(&st, &si_access)?;
    }
    // Authorized means the trust policy allowed it, so the role exists.
    let role = role.ok_or_else(|| AwsError::new(403, "AccessDenied", format!("User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}", call.caller.arn)))?;
    let max = if chained { 3600 } else { role.max_session_duration };
    if duration > max {
        return Err(validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role."));
    }
    let session_policy = match &policy_text {
        Some(text) => Some(PolicyDoc::new(text, edgeward_policy::PolicyKind::Session, None).map_err(|e| {
            // AWS words PackedPolicyTooLarge by the packed size, which edgeward does not
            // compute: that one keeps edgeward's text.
            if e.code() == "LimitExceeded" {
                AwsError::client("PackedPolicyTooLarge", e.to_string())
            } else {
                AwsError::client("MalformedPolicyDocument", e.aws_message())
            }
        })?),
        None => None,
    };
    if policy_arns.len() > 10 {
        return Err(validation("1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10"));
    }
    let mut all_tags = inherited.clone();
    all_tags.extend(tags.iter().cloned());
    let mut all_transitive: Vec<String> = inherited.iter().map(|t| t.key.clone()).collect();
    all_transitive.extend(transitive.iter().cloned());

    let kind = SessionKind::AssumedRole {
        role_name: role.name.clone(),
        role_arn: role.arn.clone(),
        role_id: role.id.clone(),
        session_name: session_name.clone(),
        tags: all_tags,
        transitive_tag_keys: all_transitive,
        session_policy,
        session_policy_arns: policy_arns,
        chained,
    };
    let creds = issue_session(call, &mut st, &role_account, call.now + duration, kind, effective_source.clone());
    let (key_id, secret, token) = (creds.key_id, creds.secret, creds.token);
    let now = call.now;

    let assumed_arn = format!("arn:aws:sts::{role_account}:assumed-role/{}/{session_name}", role.name);
    let assumed_id = format!("{}:{session_name}", role.id);
    let expiration = crate::time::iso8601(now + duration);
    call.trail.response_elements = Some(json!({
        "credentials": {"accessKeyId": key_id, "sessionToken": "HIDDEN_DUE_TO_SECURITY_REASONS", "expiration": expiration},
        "assumedRoleUser": {"assumedRoleId": assumed_id, "arn": assumed_arn},
        "sourceIdentity": effective_source,
    }));
    Ok(AssumeRoleOutput {
        source_identity: effective_source,
        assumed_role_user: AssumedRoleUser { assumed_role_id: assumed_id, arn: assumed_arn },
        credentials: Credentials { access_key_id: key_id, secret_access_key: secret, session_token: token, expiration },
        packed_policy_size: (!tags.is_empty() || policy_text.is_some()).then(|| packed_size(&tags, policy_text.as_deref())),
    })
}

/// A rough percentage of the packed-policy quota, as AWS reports it.
fn packed_size(tags: &[Tag], policy: Option<&str>) -> usize {
    let bytes: usize = tags.iter().map(|t| t.key.len() + t.value.len()).sum::<usize>() + policy.map_or(0, |p| p.len());
    (bytes * 100 / 2048).clamp(1, 100)
}

/// Fresh temporary credentials.
struct Issued {
    key_id: String,
    secret: String,
    token: String,
}

/// Creates a session and its ASIA key in `account`, staged in the call's batch.
fn issue_session(
    call: &mut Call<'_>,
    st: &mut crate::state::State,
    account: &str,
    expires: i64,
    kind: SessionKind,
    source_identity: Option<String>,
) -> Issued {
    let issued = Issued { key_id: crate::ids::aws_id("ASIA"), secret: crate::ids::secret_key(), token: crate::ids::session_token() };
    let session = Session {
        access_key_id: issued.key_id.clone(),
        token: issued.token.clone(),
        account: account.to_string(),
        issued: call.now,
        expires,
        kind,
        source_identity,
    };
    let key = AccessKey {
        id: issued.key_id.clone(),
        secret: issued.secret.clone(),
        owner: KeyOwner::Session { account: account.to_string() },
        status: "Active".into(),
        created: call.now,
        last_used: None,
    };
    state::put(&mut call.batch, state::access_key_key(&issued.key_id), &key);
    state::put(&mut call.batch, state::session_key(&issued.key_id), &session);
    st.keys.insert(issued.key_id.clone(), key);
    st.sessions.insert(issued.key_id.clone(), session);
    issued
}

/// `arn:aws:iam::ACCOUNT:role/path/NAME` → (account, name).
fn parse_role_arn(arn: &str) -> Option<(String, String)> {
    let a = edgeward_policy::Arn::parse(arn)?;
    if a.service != "iam" || a.account.len() != 12 {
        return None;
    }
    let rest = a.resource.strip_prefix("role/")?;
    let name = rest.rsplit('/').next()?;
    (!name.is_empty()).then(|| (a.account.to_string(), name.to_string()))
}

pub(super) fn get_session_token(call: &mut Call<'_>, input: GetSessionTokenInput) -> Result<GetSessionTokenOutput, AwsError> {
    let owner = match &call.caller.kind {
        CallerKind::Root => KeyOwner::Root { account: call.caller.account.clone() },
        CallerKind::User { name, .. } => KeyOwner::User { account: call.caller.account.clone(), user: name.clone() },
        CallerKind::AssumedRole { .. } | CallerKind::Anonymous => {
            return Err(AwsError::new(403, "AccessDenied", "Cannot call GetSessionToken with session credentials"))
        }
    };
    if call.caller.session_token_issued.is_some() {
        return Err(AwsError::new(403, "AccessDenied", "Cannot call GetSessionToken with session credentials"));
    }
    let max = if matches!(owner, KeyOwner::Root { .. }) { 3600 } else { 129_600 };
    let duration = in_range("durationSeconds", input.duration_seconds, 900, 129_600)?.unwrap_or(if max == 3600 { 3600 } else { 43_200 }).min(max);
    let cloud = call.cloud;
    let mut st = cloud.write_state();
    let now = call.now;
    let account = call.caller.account.clone();
    let creds = issue_session(call, &mut st, &account, now + duration, SessionKind::SessionToken { owner }, None);
    let (key_id, secret, token) = (creds.key_id, creds.secret, creds.token);
    let expiration = crate::time::iso8601(now + duration);
    call.trail.request_parameters = Some(json!({"durationSeconds": duration}));
    call.trail.response_elements = Some(json!({"credentials": {"accessKeyId": key_id, "expiration": expiration}}));
    Ok(GetSessionTokenOutput { credentials: Credentials { access_key_id: key_id, secret_access_key: secret, session_token: token, expiration } })
}
