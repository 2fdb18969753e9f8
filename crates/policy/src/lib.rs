//! The IAM policy language: parse and validate documents, evaluate requests against them
//! the way AWS documents it, and explain every decision.
//!
//! Pure by design: no I/O, no async, no clock. Time and every other fact about the
//! request arrive in the [`Request`]. Policies are compiled once ([`Policy::parse`]) and
//! evaluated many times ([`evaluate`]); [`explain`] returns the full trace.
//!
//! Start reading at `eval.rs` (the decision), then `policy.rs` (the grammar) and
//! `condition.rs` (operators).

mod arn;
pub mod case;
mod condition;
mod error;
mod eval;
mod pattern;
mod policy;
mod request;
mod trace;
mod values;

pub use arn::Arn;
pub use condition::{Base, Condition, Operator, SetQualifier};
pub use error::{Finding, IamCheck, PolicyError, Severity};
pub use eval::{evaluate, explain, Decision, Grant, PolicyRole, PolicySet, ResourcePolicyMode};
pub use pattern::Pattern;
pub use policy::{
    analyze, limits, policy_size, ActionBlock, Effect, ParseOptions, Policy, PolicyKind, PrincipalBlock,
    PrincipalEntry, PrincipalType, ResourceBlock, Statement, Version,
};
pub use request::{ContextValue, Principal, PrincipalKind, Request, RequestBuilder};
pub use trace::{ConditionTrace, Explanation, PolicyTrace, PrincipalTrace, StatementTrace};
