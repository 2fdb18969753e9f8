//! Simulation cases: the JSON shape shared with the iam-simulate tool
//! (`{name, request:{principal, action, resource:{resource, accountId}, context},
//! identityPolicies, resourcePolicy, sessionPolicy, permissionBoundaries,
//! serviceControlPolicies, resourceControlPolicies, expected:{response}}`).
//! The context is used exactly as given: nothing is filled in.

use serde::Deserialize;
use serde_json::Value;

use crate::arn::Arn;
use crate::eval::{Decision, PolicySet, ResourcePolicyMode};
use crate::policy::{ParseOptions, Policy, PolicyKind};
use crate::request::{ContextValue, Principal, Request, RequestBuilder};

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Case {
    #[serde(default)]
    pub name: Option<String>,
    pub request: CaseRequest,
    #[serde(default)]
    pub identity_policies: Vec<NamedPolicy>,
    #[serde(default)]
    pub resource_policy: Option<Value>,
    #[serde(default)]
    pub session_policy: Option<Value>,
    /// Managed session policies (an edgeward extension; iam-simulate has one inline policy).
    #[serde(default)]
    pub session_policies: Vec<NamedPolicy>,
    #[serde(default, alias = "permissionBoundaryPolicies")]
    pub permission_boundaries: Vec<NamedPolicy>,
    #[serde(default)]
    pub service_control_policies: Vec<OrgPolicies>,
    #[serde(default)]
    pub resource_control_policies: Vec<OrgPolicies>,
    /// Overrides the inference of trust/key-policy semantics from the action and resource.
    #[serde(default)]
    pub resource_policy_mode: Option<String>,
    #[serde(default)]
    pub expected: Option<Expected>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseRequest {
    pub principal: Value,
    pub action: String,
    pub resource: CaseResource,
    #[serde(default, alias = "contextVariables")]
    pub context: serde_json::Map<String, Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseResource {
    pub resource: String,
    #[serde(default)]
    pub account_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NamedPolicy {
    #[serde(default)]
    pub name: Option<String>,
    pub policy: Value,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrgPolicies {
    #[serde(default)]
    pub org_identifier: Option<String>,
    pub policies: Vec<NamedPolicy>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Expected {
    pub response: Decision,
}

/// A case that cannot be evaluated: which part, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseError {
    pub part: String,
    pub message: String,
}

impl std::fmt::Display for CaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.part, self.message)
    }
}

/// A case with its policies compiled and its request built.
#[derive(Debug, Clone)]
pub struct CompiledCase {
    pub request: Request,
    pub identity: Vec<Policy>,
    pub resource: Option<Policy>,
    pub resource_mode: ResourcePolicyMode,
    pub boundaries: Vec<Policy>,
    pub session: Vec<Policy>,
    pub scps: Vec<Vec<Policy>>,
    pub rcps: Vec<Vec<Policy>>,
}

impl CompiledCase {
    pub fn policy_set(&self) -> PolicySet<'_> {
        PolicySet {
            identity: self.identity.iter().collect(),
            resource: self.resource.as_ref(),
            resource_mode: self.resource_mode,
            permission_boundaries: self.boundaries.iter().collect(),
            session: self.session.iter().collect(),
            scps: self.scps.iter().map(|l| l.iter().collect()).collect(),
            rcps: self.rcps.iter().map(|l| l.iter().collect()).collect(),
        }
    }
}

/// Trust and key policies must allow even within one account: inferred from the action
/// and resource (`sts:AssumeRole*` on a role, `kms:*` on a key).
pub fn infer_resource_mode(action: &str, resource: &str) -> ResourcePolicyMode {
    let action = action.to_ascii_lowercase();
    let Some(arn) = Arn::parse(resource) else { return ResourcePolicyMode::Ordinary };
    let trust = arn.service == "iam"
        && arn.resource.starts_with("role/")
        && (action.starts_with("sts:assumerole")
            || matches!(action.as_str(), "sts:tagsession" | "sts:setsourceidentity" | "sts:setcontext"));
    let key = arn.service == "kms" && arn.resource.starts_with("key/") && action.starts_with("kms:");
    if trust || key {
        ResourcePolicyMode::Required
    } else {
        ResourcePolicyMode::Ordinary
    }
}

impl Case {
    pub fn compile(&self) -> Result<CompiledCase, CaseError> {
        let r = &self.request;
        let principal = match &r.principal {
            Value::String(s) => Principal::parse(s),
            Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("Anonymous") => Principal::anonymous(),
            other => return Err(err("request.principal", format!("expected an ARN string or {{\"type\":\"Anonymous\"}}, found {other}"))),
        };
        // The role ARN of a session, with its path, when the context says it.
        let principal = match (principal.role_arn.is_some(), context_str(&r.context, "aws:PrincipalArn")) {
            (true, Some(arn)) if arn.contains(":role/") => principal.with_role_arn(arn),
            _ => principal,
        };
        let mut builder = RequestBuilder::new(principal, &r.action, &r.resource.resource);
        if let Some(acct) = &r.resource.account_id {
            builder = builder.resource_account(acct);
        }
        for (key, value) in &r.context {
            let v = match value {
                Value::Array(items) => ContextValue::Multi(
                    items.iter().map(|i| scalar(i).ok_or_else(|| err(&format!("request.context.{key}"), "values must be strings, numbers or booleans".into()))).collect::<Result<_, _>>()?,
                ),
                other => ContextValue::Single(scalar(other).ok_or_else(|| err(&format!("request.context.{key}"), "expected a string or an array of strings".into()))?),
            };
            builder.insert(key, v);
        }
        let request = builder.build();

        let resource_mode = match self.resource_policy_mode.as_deref() {
            None => infer_resource_mode(&r.action, &r.resource.resource),
            Some("required") => ResourcePolicyMode::Required,
            Some("ordinary") => ResourcePolicyMode::Ordinary,
            Some(other) => return Err(err("resourcePolicyMode", format!("expected \"required\" or \"ordinary\", found \"{other}\""))),
        };
        let resource_kind = match (resource_mode, r.action.to_ascii_lowercase().starts_with("kms:")) {
            (ResourcePolicyMode::Required, true) => PolicyKind::Key,
            (ResourcePolicyMode::Required, false) => PolicyKind::Trust,
            _ => PolicyKind::Resource,
        };
        let named = |list: &[NamedPolicy], kind: PolicyKind, part: &str| -> Result<Vec<Policy>, CaseError> {
            list.iter()
                .enumerate()
                .map(|(i, n)| compile_doc(&n.policy, kind, &format!("{part}[{i}]"), n.name.as_deref()))
                .collect()
        };
        let org = |list: &[OrgPolicies], kind: PolicyKind, part: &str| -> Result<Vec<Vec<Policy>>, CaseError> {
            list.iter()
                .enumerate()
                .map(|(i, level)| named(&level.policies, kind, &format!("{part}[{i}].policies")))
                .collect()
        };
        let mut session = Vec::new();
        if let Some(doc) = &self.session_policy {
            session.push(compile_doc(doc, PolicyKind::Session, "sessionPolicy", Some("session"))?);
        }
        session.extend(named(&self.session_policies, PolicyKind::Session, "sessionPolicies")?);
        Ok(CompiledCase {
            request,
            identity: named(&self.identity_policies, PolicyKind::Identity, "identityPolicies")?,
            resource: match &self.resource_policy {
                Some(doc) => Some(compile_doc(doc, resource_kind, "resourcePolicy", None)?),
                None => None,
            },
            resource_mode,
            boundaries: named(&self.permission_boundaries, PolicyKind::Boundary, "permissionBoundaries")?,
            session,
            scps: org(&self.service_control_policies, PolicyKind::Scp, "serviceControlPolicies")?,
            rcps: org(&self.resource_control_policies, PolicyKind::Rcp, "resourceControlPolicies")?,
        })
    }
}

fn err(part: &str, message: String) -> CaseError {
    CaseError { part: part.to_string(), message }
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn context_str<'a>(ctx: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a str> {
    ctx.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).and_then(|(_, v)| v.as_str())
}

/// Compiles a policy given as a JSON object or as a JSON string holding the document.
/// Simulation checks the language, not the account's size quotas.
fn compile_doc(doc: &Value, kind: PolicyKind, part: &str, name: Option<&str>) -> Result<Policy, CaseError> {
    let text = match doc {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let opts = ParseOptions::new(kind).with_size_limit(usize::MAX);
    let policy = Policy::parse(&text, opts).map_err(|e| err(part, format!("{}: {e}", e.code())))?;
    Ok(match name {
        Some(n) => policy.with_name(n),
        None => policy,
    })
}
