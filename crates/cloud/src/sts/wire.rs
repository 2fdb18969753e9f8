//! STS's awsQuery mapping: the one table from an action to its operation; inputs are decoded
//! and outputs rendered by `protocol` (`form`, `xml`).

use crate::call::Call;
use crate::error::AwsError;
use crate::protocol::query::{run, unknown_action, Params};

/// Operations STS has that edgeward does not implement.
const NOT_IMPLEMENTED: &[&str] = &[
    "AssumeRoleWithSAML",
    "AssumeRoleWithWebIdentity",
    "AssumeRoot",
    "DecodeAuthorizationMessage",
    "GetAccessKeyInfo",
    "GetFederationToken",
    "GetDelegatedAccessToken",
    "GetWebIdentityToken",
];

/// Whether `op` only reads state (and so may take the read path): GetCallerIdentity. The
/// other operations issue credentials, a session record each.
pub fn reads_only(op: &str) -> bool {
    op == "GetCallerIdentity"
}

/// Runs `op`; the result is the members of `<OpResult>`.
pub fn handle(call: &mut Call<'_>, op: &str, params: &Params) -> Result<String, AwsError> {
    match op {
        "GetCallerIdentity" => run(call, params, &[], super::get_caller_identity),
        "AssumeRole" => run(call, params, &[], super::assume_role),
        "GetSessionToken" => run(call, params, &[], super::get_session_token),
        _ => Err(unknown_action("STS", op, NOT_IMPLEMENTED)),
    }
}
