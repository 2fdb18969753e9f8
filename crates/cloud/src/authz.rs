//! The one decision point. A service describes the access it needs (action, resource,
//! owner account, resource policy, its own condition keys); this module gathers the
//! caller's policies (identity, boundary, session), fills the condition keys they read from
//! the real request, and asks `edgeward-policy` for the decision. A denial carries AWS's
//! message and the full explanation, kept by request id.

use std::sync::Arc;

use edgeward_policy::{
    evaluate, explain, ContextValue, Decision, Explanation, Policy, PolicyRole, PolicySet, Principal, PrincipalKind,
    Request, RequestBuilder, ResourcePolicyMode,
};

use crate::error::AwsError;
use crate::identity::{Caller, CallerKind};
use crate::state::{State, Tag};

/// A context key's name: most are fixed (`kms:CallerAccount`), some are made
/// (`aws:RequestTag/<key>`).
pub type ContextKey = std::borrow::Cow<'static, str>;

/// What a service asks permission for.
#[derive(Debug, Clone)]
pub struct Access {
    /// `service:Action`, e.g. `iam:CreateUser`.
    pub action: String,
    /// The resource ARN, or `*`.
    pub resource: String,
    /// The account that owns the resource.
    pub resource_account: String,
    pub resource_policy: Option<Arc<Policy>>,
    pub mode: ResourcePolicyMode,
    /// Service-specific and request-specific keys (`aws:RequestTag/…`, `sts:ExternalId`, …);
    /// fixed names are borrowed, not allocated.
    pub context: Vec<(ContextKey, ContextValue)>,
    /// The resource's tags, as `aws:ResourceTag/…`.
    pub resource_tags: Vec<Tag>,
}

impl Access {
    pub fn new(action: &str, resource: impl Into<String>, resource_account: &str) -> Access {
        Access {
            action: action.to_string(),
            resource: resource.into(),
            resource_account: resource_account.to_string(),
            resource_policy: None,
            mode: ResourcePolicyMode::Ordinary,
            context: Vec::new(),
            resource_tags: Vec::new(),
        }
    }

    pub fn key(mut self, key: impl Into<ContextKey>, value: impl Into<String>) -> Access {
        self.context.push((key.into(), ContextValue::Single(value.into())));
        self
    }

    pub fn keys(mut self, key: impl Into<ContextKey>, values: Vec<String>) -> Access {
        self.context.push((key.into(), ContextValue::Multi(values)));
        self
    }
}

/// `aws:RequestTag/<key>` for each tag a request carries, then `aws:TagKeys` (when it
/// carries any).
pub fn request_tags<'t>(tags: impl IntoIterator<Item = (&'t str, &'t str)>) -> Vec<(ContextKey, ContextValue)> {
    let mut tag_keys = Vec::new();
    let mut context: Vec<(ContextKey, ContextValue)> = tags
        .into_iter()
        .map(|(k, v)| {
            tag_keys.push(k.to_string());
            (format!("aws:RequestTag/{k}").into(), ContextValue::Single(v.to_string()))
        })
        .collect();
    if !tag_keys.is_empty() {
        context.push(("aws:TagKeys".into(), ContextValue::Multi(tag_keys)));
    }
    context
}

/// Facts about the request itself (not the caller).
#[derive(Debug, Clone)]
pub struct RequestFacts<'a> {
    pub source_ip: &'a str,
    pub user_agent: &'a str,
    pub region: &'a str,
    pub secure_transport: bool,
    pub now_secs: i64,
}

/// A denied request: AWS's error and the explanation.
#[derive(Debug, Clone)]
pub struct Denied {
    pub error: AwsError,
    pub explanation: Explanation,
}

/// Condition keys a service computes only when a decision reads them: called with the keys
/// the decision reads, the caller and the request's facts, it adds those it has.
pub type Fill<'f> = &'f dyn Fn(&Keys<'_>, &Caller, &RequestFacts<'_>, &mut Vec<(ContextKey, ContextValue)>);

/// Decides whether `caller` may make `access`.
pub fn authorize(state: &State, caller: &Caller, facts: &RequestFacts<'_>, access: &Access) -> Result<(), Box<Denied>> {
    authorize_with(state, caller, facts, access, &|_, _, _, _| {})
}

/// [`authorize`], with more of the access's condition keys from `fill`: for keys that cost
/// something to compute (a KMS call has a dozen), of which a decision reads few or none.
pub fn authorize_with(state: &State, caller: &Caller, facts: &RequestFacts<'_>, access: &Access, fill: Fill<'_>) -> Result<(), Box<Denied>> {
    let policies = gather(state, caller);
    // Build only the context keys the policies read: most read none, and gathering all two
    // dozen would be most of the work.
    let read: Vec<&str> = access
        .resource_policy
        .as_deref()
        .into_iter()
        .chain([&policies.identity, &policies.boundary, &policies.session].into_iter().flatten().map(|(p, _)| p.as_ref()))
        .flat_map(Policy::context_keys)
        .collect();
    let request = build_request(state, caller, facts, access, &Keys(read), fill);
    fn set<'a>(access: &'a Access, identity: Vec<&'a Policy>, boundary: Vec<&'a Policy>, session: Vec<&'a Policy>) -> PolicySet<'a> {
        PolicySet {
            identity,
            resource: access.resource_policy.as_deref(),
            resource_mode: access.mode,
            permission_boundaries: boundary,
            session,
            scps: Vec::new(),
            rcps: Vec::new(),
        }
    }
    fn refs<'a>(list: &'a [(Arc<Policy>, &str)]) -> Vec<&'a Policy> {
        list.iter().map(|(p, _)| p.as_ref()).collect()
    }
    let fast = set(access, refs(&policies.identity), refs(&policies.boundary), refs(&policies.session));
    if evaluate(&request, &fast) == Decision::Allowed {
        return Ok(());
    }
    // Denials are rare: only their explanation pays for labelling policies by name. (It
    // traces only the keys the policies read: the request above has them all.)
    let label = |list: &[(Arc<Policy>, &str)]| list.iter().map(|(p, name)| (**p).clone().with_name(*name)).collect::<Vec<_>>();
    let (identity, boundary, session) = (label(&policies.identity), label(&policies.boundary), label(&policies.session));
    let named = set(access, identity.iter().collect(), boundary.iter().collect(), session.iter().collect());
    let explanation = explain(&request, &named);
    let error = denial_error(caller, access, &explanation, policies.has_session_policy);
    Err(Box::new(Denied { error, explanation }))
}

/// The caller's policies, each with the name traces show for it.
struct Gathered<'s> {
    identity: Vec<(Arc<Policy>, &'s str)>,
    boundary: Vec<(Arc<Policy>, &'s str)>,
    session: Vec<(Arc<Policy>, &'s str)>,
    has_session_policy: bool,
}

/// The caller's identity policies (user + groups, or role), boundary and session policies.
fn gather<'s>(state: &'s State, caller: &'s Caller) -> Gathered<'s> {
    let mut g = Gathered { identity: Vec::new(), boundary: Vec::new(), session: Vec::new(), has_session_policy: false };
    let Some(iam) = state.iam.get(&caller.account) else { return g };
    let managed = |arn: &str| -> Option<(Arc<Policy>, &'s str)> {
        // AWS managed policies (arn:aws:iam::aws:policy/…) are not modelled: unknown ARNs grant nothing.
        let p = iam.policies.get(arn)?;
        Some((p.default_doc()?.policy()?.clone(), p.name.as_str()))
    };
    let inline = |(name, doc): (&'s String, &'s crate::state::PolicyDoc)| Some((doc.policy()?.clone(), name.as_str()));
    match &caller.kind {
        CallerKind::Root | CallerKind::Anonymous => {}
        CallerKind::User { name, .. } => {
            if let Some(u) = iam.users.get(&name.to_ascii_lowercase()) {
                g.identity.extend(u.inline.iter().filter_map(inline));
                g.identity.extend(u.attached.iter().filter_map(|a| managed(a)));
                for group in &u.groups {
                    if let Some(gr) = iam.groups.get(&group.to_ascii_lowercase()) {
                        g.identity.extend(gr.inline.iter().filter_map(inline));
                        g.identity.extend(gr.attached.iter().filter_map(|a| managed(a)));
                    }
                }
                g.boundary.extend(u.boundary.as_deref().and_then(managed));
            }
        }
        CallerKind::AssumedRole { role_name, .. } => {
            if let Some(r) = iam.roles.get(&role_name.to_ascii_lowercase()) {
                g.identity.extend(r.inline.iter().filter_map(inline));
                g.identity.extend(r.attached.iter().filter_map(|a| managed(a)));
                g.boundary.extend(r.boundary.as_deref().and_then(managed));
            }
            if let Some(doc) = &caller.session_policy {
                g.has_session_policy = true;
                g.session.extend(doc.policy().map(|p| (p.clone(), "session-policy")));
            }
            for arn in &caller.session_policy_arns {
                g.has_session_policy = true;
                g.session.extend(managed(arn));
            }
            if g.has_session_policy && g.session.is_empty() {
                // Session policies were passed but none can be read: the session allows nothing.
                g.session.push((Arc::new(deny_nothing_allowed()), "empty-session-policy"));
            }
        }
    }
    g
}

fn deny_nothing_allowed() -> Policy {
    Policy { name: Some("empty-session-policy".into()), version: None, id: None, statements: Vec::new() }
}

/// The context keys a decision reads: those its policies read (lowercased; see
/// `Policy::context_keys`).
pub struct Keys<'a>(Vec<&'a str>);

impl Keys<'_> {
    pub fn has(&self, key: &str) -> bool {
        self.0.iter().any(|k| k.eq_ignore_ascii_case(key))
    }

    /// Whether some key under `prefix` (e.g. `aws:PrincipalTag/`, any case) is read.
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.0.iter().any(|k| k.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix)))
    }
}

/// The request with the context keys it needs filled from the real call.
fn build_request(state: &State, caller: &Caller, facts: &RequestFacts<'_>, access: &Access, keys: &Keys<'_>, fill: Fill<'_>) -> Request {
    let mut b = RequestBuilder::in_account(principal(caller), &access.action, &access.resource, &access.resource_account);
    if keys.0.is_empty() {
        return b.build();
    }
    // The global keys' names are fixed: `insert_static` stores them without allocating.
    let single = |b: &mut RequestBuilder, k: &'static str, v: &dyn Fn() -> String| {
        if keys.has(k) {
            b.insert_static(k, ContextValue::Single(v()));
        }
    };
    // An anonymous request has no principal keys.
    if caller.kind != CallerKind::Anonymous {
        single(&mut b, "aws:PrincipalArn", &|| caller.principal_arn().to_string());
        single(&mut b, "aws:PrincipalAccount", &|| caller.account.clone());
        single(&mut b, "aws:PrincipalType", &|| caller.principal_type().to_string());
        single(&mut b, "aws:userid", &|| caller.user_id());
    }
    if let CallerKind::User { name, .. } = &caller.kind {
        single(&mut b, "aws:username", &|| name.clone());
    }
    insert_tags(&mut b, keys, "aws:PrincipalTag/", || principal_tags(state, caller));
    single(&mut b, "aws:SourceIp", &|| facts.source_ip.to_string());
    single(&mut b, "aws:UserAgent", &|| facts.user_agent.to_string());
    single(&mut b, "aws:SecureTransport", &|| facts.secure_transport.to_string());
    single(&mut b, "aws:CurrentTime", &|| crate::time::iso8601(facts.now_secs));
    single(&mut b, "aws:EpochTime", &|| facts.now_secs.to_string());
    single(&mut b, "aws:RequestedRegion", &|| facts.region.to_string());
    single(&mut b, "aws:ResourceAccount", &|| access.resource_account.clone());
    single(&mut b, "aws:ViaAWSService", &|| "false".into());
    single(&mut b, "aws:PrincipalIsAWSService", &|| "false".into());
    if let Some(issued) = caller.session_token_issued {
        single(&mut b, "aws:TokenIssueTime", &|| crate::time::iso8601(issued));
        single(&mut b, "aws:MultiFactorAuthPresent", &|| "false".into());
    }
    if let Some(si) = &caller.source_identity {
        single(&mut b, "aws:SourceIdentity", &|| si.clone());
    }
    insert_tags(&mut b, keys, "aws:ResourceTag/", || access.resource_tags.clone());
    for (k, v) in access.context.iter().filter(|(k, _)| keys.has(k)) {
        b.insert_key(k.clone(), v.clone());
    }
    let mut filled = Vec::new();
    fill(keys, caller, facts, &mut filled);
    for (k, v) in filled.into_iter().filter(|(k, _)| keys.has(k)) {
        b.insert_key(k, v);
    }
    b.build()
}

/// `<prefix><tag key>` for each tag a policy reads; `tags` is called only when some key
/// under the prefix is read.
fn insert_tags(b: &mut RequestBuilder, keys: &Keys<'_>, prefix: &str, tags: impl FnOnce() -> Vec<Tag>) {
    if !keys.has_prefix(prefix) {
        return;
    }
    for tag in tags() {
        let key = format!("{prefix}{}", tag.key);
        if keys.has(&key) {
            b.insert_key(key.into(), ContextValue::Single(tag.value));
        }
    }
}

/// The caller as the policy engine sees it: what `Principal::parse` reads from its ARN, with
/// the session's role ARN (and its path), made without parsing.
fn principal(caller: &Caller) -> Principal {
    let (kind, role_arn) = match &caller.kind {
        CallerKind::Root => (PrincipalKind::Root, None),
        CallerKind::User { .. } => (PrincipalKind::User, None),
        CallerKind::AssumedRole { role_arn, .. } => (PrincipalKind::RoleSession, Some(role_arn.clone())),
        CallerKind::Anonymous => return Principal::anonymous(),
    };
    Principal { arn: caller.arn.clone(), kind, account: Some(caller.account.clone()), role_arn }
}

/// `aws:PrincipalTag/*`: the user's tags, or the role's tags overridden by session tags.
pub fn principal_tags(state: &State, caller: &Caller) -> Vec<Tag> {
    let Some(iam) = state.iam.get(&caller.account) else { return Vec::new() };
    match &caller.kind {
        CallerKind::Root | CallerKind::Anonymous => Vec::new(),
        CallerKind::User { name, .. } => iam.users.get(&name.to_ascii_lowercase()).map(|u| u.tags.clone()).unwrap_or_default(),
        CallerKind::AssumedRole { role_name, session_tags, .. } => {
            let mut tags: Vec<Tag> = iam.roles.get(&role_name.to_ascii_lowercase()).map(|r| r.tags.clone()).unwrap_or_default();
            for st in session_tags {
                tags.retain(|t| !t.key.eq_ignore_ascii_case(&st.key));
                tags.push(st.clone());
            }
            tags
        }
    }
}

/// AWS's AccessDenied message, naming the policy type that decided.
fn denial_error(caller: &Caller, access: &Access, e: &Explanation, has_session_policy: bool) -> AwsError {
    if caller.kind == CallerKind::Anonymous {
        // S3's words for an anonymous request it refuses.
        return AwsError::new(403, "AccessDenied", "Access Denied");
    }
    let who = "User";
    let head = format!("{who}: {} is not authorized to perform: {} on resource: {}", caller.arn, access.action, access.resource);
    let role_name = |r: PolicyRole| match r {
        PolicyRole::Identity => "an identity-based policy",
        PolicyRole::Resource => "a resource-based policy",
        PolicyRole::PermissionBoundary => "a permissions boundary",
        PolicyRole::Session => "a session policy",
        PolicyRole::Scp => "a service control policy",
        PolicyRole::Rcp => "a resource control policy",
    };
    let tail = if e.decision == Decision::ExplicitlyDenied {
        let role = e.policies.iter().find(|p| p.denies).map(|p| p.role).unwrap_or(PolicyRole::Identity);
        format!(" with an explicit deny in {}", role_name(role))
    } else {
        let allows = |r: PolicyRole| e.policies.iter().any(|p| p.role == r && p.allows);
        let has = |r: PolicyRole| e.policies.iter().any(|p| p.role == r);
        let kind = if access.mode == ResourcePolicyMode::Required && !allows(PolicyRole::Resource) {
            "resource-based policy"
        } else if has(PolicyRole::PermissionBoundary) && !allows(PolicyRole::PermissionBoundary) {
            "permissions boundary"
        } else if has_session_policy && !allows(PolicyRole::Session) {
            "session policy"
        } else if !allows(PolicyRole::Identity) {
            "identity-based policy"
        } else {
            "resource-based policy"
        };
        format!(" because no {kind} allows the {} action", access.action)
    };
    let code = "AccessDenied";
    AwsError::new(403, code, format!("{head}{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_principal_made_from_a_caller_is_the_one_its_arn_reads_as() {
        let session = Caller {
            kind: CallerKind::AssumedRole {
                role_name: "r".into(),
                role_arn: "arn:aws:iam::222222222222:role/team/r".into(),
                role_id: "AROAEXAMPLE".into(),
                session_name: "s".into(),
                session_tags: Vec::new(),
                transitive_tag_keys: Vec::new(),
                chained: false,
            },
            ..Caller::root("222222222222", "ASIAEXAMPLE")
        };
        let session = Caller { arn: "arn:aws:sts::222222222222:assumed-role/r/s".into(), ..session };
        let user = Caller {
            kind: CallerKind::User { name: "alice".into(), id: "AIDAEXAMPLE".into(), path: "/".into() },
            arn: "arn:aws:iam::111111111111:user/alice".into(),
            ..Caller::root("111111111111", "AKIAEXAMPLE")
        };
        let root = Caller::root("111111111111", "AKIAEXAMPLE");
        assert_eq!(principal(&session), Principal::parse(&session.arn).with_role_arn("arn:aws:iam::222222222222:role/team/r"));
        for caller in [user, root] {
            assert_eq!(principal(&caller), Principal::parse(&caller.arn));
        }
    }
}
