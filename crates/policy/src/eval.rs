//! The decision: AWS's documented policy evaluation logic over a set of compiled policies.
//!
//! 1. An explicit Deny in any policy wins.
//! 2. Each level of SCPs must allow (when SCPs apply); RCPs can only deny, since AWS
//!    attaches `RCPFullAWSAccess` at every level.
//! 3. Same account: the identity side (identity policies ∩ permissions boundary ∩ session
//!    policies) or the resource policy may allow. What a resource-policy grant is worth
//!    depends on whom it names: the calling user or session itself (not limited by the
//!    identity side), the session's role (limited by an implicit deny in a boundary or
//!    session policy), or only the account (a delegation: the identity side must allow).
//! 4. Cross account: both the identity side and the resource policy must allow.
//! 5. Role trust policies and KMS key policies must allow even within one account.
//!
//! The fast path short-circuits; [`explain`] evaluates everything and records why.

use serde::Serialize;

use crate::arn::Arn;
use crate::policy::{Effect, Policy, PrincipalBlock, PrincipalType, Statement};
use crate::request::{PrincipalKind, Request};
use crate::trace::{ConditionTrace, Explanation, PolicyTrace, PrincipalTrace, StatementTrace};

/// The answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub enum Decision {
    Allowed,
    ImplicitlyDenied,
    ExplicitlyDenied,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "Allowed",
            Decision::ImplicitlyDenied => "ImplicitlyDenied",
            Decision::ExplicitlyDenied => "ExplicitlyDenied",
        }
    }

    pub fn is_allowed(self) -> bool {
        self == Decision::Allowed
    }
}

/// How the resource policy takes part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourcePolicyMode {
    /// Bucket, queue, secret policies: in one account either side may allow.
    #[default]
    Ordinary,
    /// Role trust policies and KMS key policies: the resource policy must allow, directly
    /// or by naming the account so that IAM policies apply.
    Required,
}

/// The policies that apply to one request. Borrowed: compile policies once, build a set
/// per call.
#[derive(Debug, Clone, Default)]
pub struct PolicySet<'a> {
    pub identity: Vec<&'a Policy>,
    pub resource: Option<&'a Policy>,
    pub resource_mode: ResourcePolicyMode,
    pub permission_boundaries: Vec<&'a Policy>,
    /// Inline and managed session policies together.
    pub session: Vec<&'a Policy>,
    /// SCPs by level (root OU first, account last); each level must allow.
    pub scps: Vec<Vec<&'a Policy>>,
    /// RCPs by level.
    pub rcps: Vec<Vec<&'a Policy>>,
}

/// What a resource policy's principal grants the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grant {
    None,
    /// Names the caller's account: delegates to the account's IAM policies.
    Account,
    /// Names the role of the calling session: limited by boundary and session policies.
    Role,
    /// Names the caller itself (user, session, service, or `*`).
    Principal,
}

/// Which policy a statement belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyRole {
    Identity,
    Resource,
    PermissionBoundary,
    Session,
    Scp,
    Rcp,
}

#[derive(Debug, Clone, Copy, Default)]
struct Outcome {
    allow: bool,
    deny: bool,
    /// For resource policies: the strongest grant among applicable Allow statements.
    grant: Option<Grant>,
}

impl Outcome {
    fn merge(&mut self, other: Outcome) {
        self.allow |= other.allow;
        self.deny |= other.deny;
        self.grant = self.grant.max(other.grant);
    }
}

/// Evaluates the request: the fast path, with no trace.
pub fn evaluate(req: &Request, set: &PolicySet<'_>) -> Decision {
    run(req, set, &mut None)
}

/// Evaluates the request and records, per policy and statement, what matched and why.
pub fn explain(req: &Request, set: &PolicySet<'_>) -> Explanation {
    let mut trace = Some(Vec::new());
    let decision = run(req, set, &mut trace);
    let policies = trace.unwrap_or_default();
    let summary = summarize(decision, req, set, &policies);
    Explanation {
        decision,
        summary,
        same_account: req.is_same_account(),
        resource_policy_mode: set.resource_mode,
        principal_kind: req.principal.kind,
        policies,
    }
}

type Trace = Option<Vec<PolicyTrace>>;

/// "No permissions are required to perform this operation. If an administrator attaches a
/// policy to your identity that explicitly denies access to the sts:GetCallerIdentity
/// action, you can still perform this operation." (STS API reference)
fn needs_no_permission(req: &Request) -> bool {
    req.action_lower == "sts:getcalleridentity"
}

/// "You cannot assume a role when you are signed in as the AWS account root user."
/// (IAM user guide, switching to a role with the API)
fn root_cannot_assume(req: &Request) -> bool {
    req.principal.kind == PrincipalKind::Root
        && (req.action_lower.starts_with("sts:assumerole") || req.action_lower == "sts:tagsession")
}

fn run(req: &Request, set: &PolicySet<'_>, trace: &mut Trace) -> Decision {
    if needs_no_permission(req) && trace.is_none() {
        return Decision::Allowed;
    }
    let tracing = trace.is_some();
    let mut deny = false;
    let has_boundary = !set.permission_boundaries.is_empty();
    // Explicit denies first: any one ends the evaluation (on the fast path).
    let all = |role: PolicyRole, level: Option<usize>, policies: &[&Policy], trace: &mut Trace| -> Outcome {
        let mut out = Outcome::default();
        for p in policies {
            out.merge(policy_outcome(p, role, level, req, has_boundary, trace));
        }
        out
    };
    let identity = all(PolicyRole::Identity, None, &set.identity, trace);
    deny |= identity.deny;
    if deny && !tracing {
        return Decision::ExplicitlyDenied;
    }
    let resource = match set.resource {
        Some(p) => policy_outcome(p, PolicyRole::Resource, None, req, has_boundary, trace),
        None => Outcome::default(),
    };
    deny |= resource.deny;
    let boundary = all(PolicyRole::PermissionBoundary, None, &set.permission_boundaries, trace);
    deny |= boundary.deny;
    let session = all(PolicyRole::Session, None, &set.session, trace);
    deny |= session.deny;
    let principal_has_identity = !matches!(req.principal.kind, PrincipalKind::Service | PrincipalKind::Anonymous);
    let mut scp_levels_allow = true;
    if principal_has_identity {
        for (i, level) in set.scps.iter().enumerate() {
            let out = all(PolicyRole::Scp, Some(i), level, trace);
            deny |= out.deny;
            scp_levels_allow &= out.allow;
        }
    }
    for (i, level) in set.rcps.iter().enumerate() {
        deny |= all(PolicyRole::Rcp, Some(i), level, trace).deny;
    }
    if needs_no_permission(req) {
        return Decision::Allowed;
    }
    if deny {
        return Decision::ExplicitlyDenied;
    }
    if root_cannot_assume(req) {
        return Decision::ImplicitlyDenied;
    }
    if !scp_levels_allow {
        return Decision::ImplicitlyDenied;
    }

    let grant = resource.grant.unwrap_or(Grant::None);
    if !principal_has_identity {
        // Services and anonymous callers have no identity side: only a direct grant counts.
        return if grant == Grant::Principal { Decision::Allowed } else { Decision::ImplicitlyDenied };
    }
    // The root user has full access to its own account's resources; it can have no
    // identity policies, boundaries or session policies.
    let identity_allows = identity.allow || req.principal.kind == PrincipalKind::Root;
    let boundary_ok = set.permission_boundaries.is_empty() || boundary.allow;
    let session_ok = set.session.is_empty() || session.allow;
    let identity_side = identity_allows && boundary_ok && session_ok;

    let allowed = if !req.is_same_account() {
        identity_side && grant != Grant::None
    } else {
        let by_resource = match grant {
            Grant::None => false,
            Grant::Account => identity_side,
            Grant::Role => boundary_ok && session_ok,
            Grant::Principal => true,
        };
        match set.resource_mode {
            ResourcePolicyMode::Required => by_resource,
            ResourcePolicyMode::Ordinary => identity_side || by_resource,
        }
    };
    if allowed {
        Decision::Allowed
    } else {
        Decision::ImplicitlyDenied
    }
}

fn policy_outcome(
    p: &Policy,
    role: PolicyRole,
    level: Option<usize>,
    req: &Request,
    has_boundary: bool,
    trace: &mut Trace,
) -> Outcome {
    let mut out = Outcome::default();
    let is_resource = role == PolicyRole::Resource;
    match trace {
        None => {
            for st in &p.statements {
                // Cheapest tests first: action, resource, principal, then conditions.
                if !action_matches(st, req) || !resource_matches(st, req) {
                    continue;
                }
                let grant = if is_resource { principal_grant(st, req, has_boundary) } else { Grant::Principal };
                if grant == Grant::None || !st.conditions.iter().all(|c| c.evaluate(req)) {
                    continue;
                }
                apply(&mut out, st.effect, is_resource, grant);
            }
        }
        Some(policies) => {
            let mut statements = Vec::with_capacity(p.statements.len());
            for (index, st) in p.statements.iter().enumerate() {
                let action = action_matches(st, req);
                let resource = resource_matches(st, req);
                let grant = if is_resource { principal_grant(st, req, has_boundary) } else { Grant::Principal };
                let conditions: Vec<ConditionTrace> = st
                    .conditions
                    .iter()
                    .map(|c| ConditionTrace {
                        operator: c.operator.name.clone(),
                        key: c.key.clone(),
                        expected: c.values.clone(),
                        actual: req.get(&c.key_lower).map(|v| v.values().to_vec()),
                        result: c.evaluate(req),
                    })
                    .collect();
                let applies = action && resource && grant != Grant::None && conditions.iter().all(|c| c.result);
                if applies {
                    apply(&mut out, st.effect, is_resource, grant);
                }
                statements.push(StatementTrace {
                    index,
                    sid: st.sid.clone(),
                    effect: st.effect,
                    applies,
                    action_matched: action,
                    resource_matched: resource,
                    principal: is_resource.then(|| PrincipalTrace {
                        element: st.principal.as_ref().map(|b| if b.negated { "NotPrincipal" } else { "Principal" }),
                        grant,
                    }),
                    conditions,
                });
            }
            policies.push(PolicyTrace {
                role,
                level,
                name: p.name.clone(),
                allows: out.allow,
                denies: out.deny,
                statements,
            });
        }
    }
    out
}

fn apply(out: &mut Outcome, effect: Effect, is_resource: bool, grant: Grant) {
    match effect {
        Effect::Deny => out.deny = true,
        Effect::Allow => {
            out.allow = true;
            if is_resource {
                out.grant = out.grant.max(Some(grant));
            }
        }
    }
}

fn action_matches(st: &Statement, req: &Request) -> bool {
    let any = st.action.patterns.iter().any(|p| p.matches(&req.action_lower, req, true));
    any != st.action.negated
}

fn resource_matches(st: &Statement, req: &Request) -> bool {
    match &st.resource {
        None => true,
        Some(block) => {
            let any = block.patterns.iter().any(|p| p.matches(&req.resource, req));
            any != block.negated
        }
    }
}

/// What the statement's Principal or NotPrincipal grants the caller.
fn principal_grant(st: &Statement, req: &Request, has_boundary: bool) -> Grant {
    let Some(block) = &st.principal else {
        // Identity-style statements have no principal; resource policies always have one.
        return Grant::Principal;
    };
    if !block.negated {
        return positive_grant(block, req);
    }
    // NotPrincipal: the statement applies to everyone not excluded.
    let excluded = match st.effect {
        // With Deny, AWS may check the account, then the role or user, then the session:
        // a principal escapes only when every level of its identity is listed.
        // And "NotPrincipal with Deny will always deny any IAM principal that has a
        // permissions boundary policy attached, regardless of the values specified".
        Effect::Deny => !has_boundary && every_level_listed(block, req),
        Effect::Allow => positive_grant(block, req) != Grant::None,
    };
    if excluded {
        Grant::None
    } else {
        Grant::Principal
    }
}

fn positive_grant(block: &PrincipalBlock, req: &Request) -> Grant {
    if block.wildcard {
        return Grant::Principal;
    }
    let mut best = Grant::None;
    for entry in &block.entries {
        let g = match entry.kind {
            PrincipalType::Aws => aws_entry_grant(&entry.value, req),
            _ => {
                if entry.value == req.principal.arn {
                    Grant::Principal
                } else {
                    Grant::None
                }
            }
        };
        best = best.max(g);
        if best == Grant::Principal {
            break;
        }
    }
    best
}

fn aws_entry_grant(value: &str, req: &Request) -> Grant {
    let p = &req.principal;
    if value == "*" {
        return Grant::Principal;
    }
    if is_account_level(value, p.account.as_deref()) {
        return Grant::Account;
    }
    if value == p.arn {
        return Grant::Principal;
    }
    if p.kind == PrincipalKind::RoleSession && same_role(value, p.role_arn.as_deref()) {
        return Grant::Role;
    }
    Grant::None
}

/// `111111111111` or `arn:aws:iam::111111111111:root` naming the caller's account.
fn is_account_level(value: &str, account: Option<&str>) -> bool {
    let Some(account) = account else { return false };
    if value == account {
        return true;
    }
    Arn::parse(value).is_some_and(|a| a.service == "iam" && a.resource == "root" && a.account == account)
}

/// Role ARNs name the same role when account and role name agree (the path may differ:
/// a session ARN does not carry it).
fn same_role(value: &str, role_arn: Option<&str>) -> bool {
    let (Some(a), Some(b)) = (Arn::parse(value), role_arn.and_then(Arn::parse)) else { return false };
    let name = |r: &str| -> Option<String> { r.strip_prefix("role/").map(|x| x.rsplit('/').next().unwrap_or(x).to_ascii_lowercase()) };
    a.service == "iam" && b.service == "iam" && a.account == b.account && name(a.resource).is_some() && name(a.resource) == name(b.resource)
}

/// For Deny with NotPrincipal: is the caller's account, and its user or role and session,
/// all listed?
fn every_level_listed(block: &PrincipalBlock, req: &Request) -> bool {
    if block.wildcard {
        return true;
    }
    let p = &req.principal;
    let aws = || block.entries.iter().filter(|e| e.kind == PrincipalType::Aws).map(|e| e.value.as_str());
    let listed = |pred: &dyn Fn(&str) -> bool| aws().any(pred) || aws().any(|v| v == "*");
    let account = || listed(&|v| is_account_level(v, p.account.as_deref()));
    let exact = || listed(&|v| v == p.arn);
    match p.kind {
        PrincipalKind::Root => account(),
        PrincipalKind::User | PrincipalKind::FederatedUser => account() && exact(),
        PrincipalKind::RoleSession => account() && listed(&|v| same_role(v, p.role_arn.as_deref())) && exact(),
        PrincipalKind::Service | PrincipalKind::Other => {
            block.entries.iter().any(|e| e.kind != PrincipalType::Aws && e.value == p.arn)
        }
        PrincipalKind::Anonymous => false,
    }
}

/// A sentence saying what decided.
fn summarize(decision: Decision, req: &Request, set: &PolicySet<'_>, policies: &[PolicyTrace]) -> String {
    let name = |p: &PolicyTrace| -> String {
        let role = match p.role {
            PolicyRole::Identity => "identity policy",
            PolicyRole::Resource => "resource policy",
            PolicyRole::PermissionBoundary => "permissions boundary",
            PolicyRole::Session => "session policy",
            PolicyRole::Scp => "SCP",
            PolicyRole::Rcp => "RCP",
        };
        match &p.name {
            Some(n) => format!("{role} '{n}'"),
            None => role.to_string(),
        }
    };
    let stmt = |s: &StatementTrace| match &s.sid {
        Some(sid) => format!("statement '{sid}'"),
        None => format!("statement #{}", s.index),
    };
    if needs_no_permission(req) {
        return format!("allowed: {} needs no permission and cannot be denied", req.action);
    }
    if decision == Decision::ImplicitlyDenied && root_cannot_assume(req) {
        return "implicitly denied: the account root user cannot assume a role".into();
    }
    match decision {
        Decision::ExplicitlyDenied => {
            for p in policies {
                if let Some(s) = p.statements.iter().find(|s| s.applies && s.effect == Effect::Deny) {
                    return format!("explicitly denied by {} {}", name(p), stmt(s));
                }
            }
            "explicitly denied".into()
        }
        Decision::Allowed => {
            let allowing: Vec<String> = policies
                .iter()
                .filter(|p| matches!(p.role, PolicyRole::Identity | PolicyRole::Resource) && p.allows)
                .filter_map(|p| p.statements.iter().find(|s| s.applies).map(|s| format!("{} {}", name(p), stmt(s))))
                .collect();
            if allowing.is_empty() && req.principal.kind == PrincipalKind::Root {
                "allowed: the account root user has full access to its own account".into()
            } else {
                format!("allowed by {}", allowing.join(" and "))
            }
        }
        Decision::ImplicitlyDenied => {
            let denied_level = policies
                .iter()
                .filter(|p| p.role == PolicyRole::Scp)
                .map(|p| p.level)
                .find(|lvl| !policies.iter().any(|q| q.role == PolicyRole::Scp && q.level == *lvl && q.allows));
            if let Some(Some(level)) = denied_level {
                return format!("implicitly denied: no SCP at level {level} allows the action");
            }
            let allows = |role| policies.iter().any(|p| p.role == role && p.allows);
            let mut why = Vec::new();
            if !req.is_same_account() {
                why.push("cross-account access needs both an identity-based and a resource-based allow".to_string());
            } else if set.resource_mode == ResourcePolicyMode::Required {
                why.push("the trust or key policy must allow this principal (directly, or by naming the account so IAM policies apply)".to_string());
            }
            if !allows(PolicyRole::Identity) && req.principal.kind != PrincipalKind::Root {
                why.push("no identity-based policy allows it".into());
            }
            if !set.permission_boundaries.is_empty() && !allows(PolicyRole::PermissionBoundary) {
                why.push("the permissions boundary does not allow it".into());
            }
            if !set.session.is_empty() && !allows(PolicyRole::Session) {
                why.push("the session policy does not allow it".into());
            }
            if set.resource.is_some() && !allows(PolicyRole::Resource) {
                why.push("the resource policy does not allow it".into());
            }
            if why.is_empty() {
                why.push("no policy allows it".into());
            }
            format!("implicitly denied: {}", why.join("; "))
        }
    }
}
