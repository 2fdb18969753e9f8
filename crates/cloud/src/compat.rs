//! The explicit, never-default moto compatibility mode used to run moto's own test suites
//! against edgeward (`edgeward cloud serve --compat moto`).

use crate::identity::Caller;
use crate::sigv4::Auth;
use crate::Cloud;

/// The account moto's suites expect.
pub const COMPAT_ACCOUNT: &str = "123456789012";

/// Handles moto's control endpoints (`POST /moto-api/reset`, `/moto-api/reset-auth`).
/// Returns the status and JSON body when the request was one of them.
pub async fn intercept(_cloud: &Cloud, parts: &http::request::Parts, _body: &[u8]) -> Option<(u16, String)> {
    if parts.uri.path().starts_with("/moto-api/") {
        return Some((501, "{\"message\":\"moto compatibility endpoints are not implemented yet\"}".into()));
    }
    None
}

/// The caller an unknown access key acts as in compat mode.
pub fn unknown_key_caller(_cloud: &Cloud, auth: &Auth) -> Caller {
    Caller {
        account: COMPAT_ACCOUNT.to_string(),
        arn: format!("arn:aws:iam::{COMPAT_ACCOUNT}:root"),
        kind: crate::identity::CallerKind::Root,
        access_key_id: auth.credential.access_key_id.clone(),
        session_token_issued: None,
        source_identity: None,
        session_policy: None,
        session_policy_arns: Vec::new(),
    }
}
