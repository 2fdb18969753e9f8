//! The explanation of a decision: per policy and statement, what matched, and for each
//! condition the key, the operator, the expected values and the actual value.

use serde::Serialize;

use crate::eval::{Decision, Grant, PolicyRole, ResourcePolicyMode};
use crate::policy::Effect;
use crate::request::PrincipalKind;

#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    pub decision: Decision,
    /// One sentence: what decided.
    pub summary: String,
    pub same_account: bool,
    pub resource_policy_mode: ResourcePolicyMode,
    pub principal_kind: PrincipalKind,
    pub policies: Vec<PolicyTrace>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PolicyTrace {
    pub role: PolicyRole,
    /// For SCPs and RCPs: the organization level (0 = root).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub allows: bool,
    pub denies: bool,
    pub statements: Vec<StatementTrace>,
}

#[derive(Debug, Clone, Serialize)]
pub struct StatementTrace {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub effect: Effect,
    /// Action, resource, principal and every condition matched.
    pub applies: bool,
    pub action_matched: bool,
    pub resource_matched: bool,
    /// Resource policies only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<PrincipalTrace>,
    pub conditions: Vec<ConditionTrace>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PrincipalTrace {
    /// `Principal` or `NotPrincipal`.
    pub element: Option<&'static str>,
    /// What the element grants the caller: none, account (a delegation to IAM policies),
    /// role (limited by boundary and session policies) or principal (direct).
    pub grant: Grant,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConditionTrace {
    pub operator: String,
    pub key: String,
    pub expected: Vec<String>,
    /// None when the request has no such key.
    pub actual: Option<Vec<String>>,
    pub result: bool,
}
