//! The explicit, never-default moto compatibility mode used to run moto's own test suites
//! against edgeward (`edgeward cloud serve --compat moto`; see `conformance/moto/`).
//!
//! What it changes, and only when `Config::compat_moto` is set:
//! - `POST /moto-api/reset` wipes every account's state, every key and session, the trail
//!   and the recorded decisions (`Cloud::reset`), then recreates the configured accounts
//!   and 123456789012 with their previous root keys. moto's suites call it around every test.
//! - `POST /moto-api/reset-auth` with a body `N` or `inf` (moto's
//!   `INITIAL_NO_AUTH_ACTION_COUNT`): the next N requests are neither authenticated nor
//!   authorized; every later one is SigV4-checked and IAM-authorized exactly as in normal
//!   mode. The default in this mode is `inf`: no enforcement at all.
//! - While enforcement is off, a request's access key still decides who is calling when it
//!   is known (an IAM user's key acts as that user, a role session's key as the session),
//!   but its signature, session token and expiry are not checked; an unknown key (or no
//!   signature at all) acts as the root of 123456789012.
//! - GetCallerIdentity by such an unknown key answers moto's default identity
//!   (`arn:aws:sts::123456789012:user/moto`, UserId `AKIAIOSFODNN7EXAMPLE`), which the
//!   suites compare against. Authorization and the trail still see the account root.
//!
//! Normal mode never reaches this module: `/moto-api/*` is then an ordinary request that
//! fails authentication, and unknown keys are refused with `InvalidClientTokenId`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use crate::call::Call;
use crate::identity::{self, Caller, CallerKind};
use crate::state::State;
use crate::Cloud;

/// The account moto's suites expect.
pub const COMPAT_ACCOUNT: &str = "123456789012";

/// moto's default identity as GetCallerIdentity reports it.
pub const MOTO_USER_ID: &str = "AKIAIOSFODNN7EXAMPLE";

/// The switches of the compatibility mode.
#[derive(Debug)]
pub struct CompatState {
    /// How many requests, counted from the last `reset-auth`, run without enforcement
    /// (`f64::INFINITY`: all of them). moto keeps this as a float too.
    no_auth_count: Mutex<f64>,
    /// Requests seen since the last `reset-auth`.
    requests: AtomicU64,
}

impl Default for CompatState {
    fn default() -> Self {
        CompatState { no_auth_count: Mutex::new(f64::INFINITY), requests: AtomicU64::new(0) }
    }
}

impl CompatState {
    /// Counts one AWS request and says whether it is authenticated and authorized.
    pub(crate) fn next_request_enforced(&self) -> bool {
        let limit = *self.no_auth_count.lock().unwrap_or_else(|e| e.into_inner());
        let n = self.requests.fetch_add(1, Ordering::SeqCst);
        (n as f64) >= limit
    }

    /// Sets the number of unenforced requests and restarts the count; returns the previous
    /// number.
    fn set_no_auth_count(&self, count: f64) -> f64 {
        let mut guard = self.no_auth_count.lock().unwrap_or_else(|e| e.into_inner());
        let previous = std::mem::replace(&mut *guard, count);
        self.requests.store(0, Ordering::SeqCst);
        previous
    }
}

/// What the compatibility layer decided about a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Intercepted {
    /// One of moto's control endpoints: answer with this status and JSON body.
    Reply { status: u16, body: String },
    /// An AWS request: serve it, authenticating and authorizing it only if `enforce`.
    Pass { enforce: bool },
}

/// Called for every request in compat mode, before routing: answers moto's control
/// endpoints (`/moto-api/reset`, `/moto-api/reset-auth`) and decides whether an AWS request
/// is enforced.
pub async fn intercept(cloud: &Cloud, parts: &http::request::Parts, body: &[u8]) -> Intercepted {
    let path = parts.uri.path();
    let Some(endpoint) = path.strip_prefix("/moto-api/") else {
        return Intercepted::Pass { enforce: cloud.compat.next_request_enforced() };
    };
    let post = parts.method == http::Method::POST;
    let reply = |status: u16, body: serde_json::Value| Intercepted::Reply { status, body: body.to_string() };
    match endpoint.trim_end_matches('/') {
        "reset" if post => match cloud.reset().await {
            Ok(()) => reply(200, serde_json::json!({"status": "ok"})),
            Err(e) => reply(500, serde_json::json!({"Error": format!("reset failed: {e}")})),
        },
        "reset" => reply(400, serde_json::json!({"Error": "Need to POST to reset Moto"})),
        "reset-auth" if post => {
            let text = String::from_utf8_lossy(body);
            match parse_count(text.trim()) {
                Some(count) => {
                    let previous = cloud.compat.set_no_auth_count(count);
                    reply(200, serde_json::json!({"status": "ok", "PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT": python_float(previous)}))
                }
                None => reply(400, serde_json::json!({"Error": format!("reset-auth wants a number of requests or inf, not {text:?}")})),
            }
        }
        "reset-auth" => reply(400, serde_json::json!({"Error": "Need to POST to reset Moto Auth"})),
        other => reply(
            404,
            serde_json::json!({"Error": format!("/moto-api/{other} is not available: edgeward's moto compatibility mode has only /moto-api/reset and /moto-api/reset-auth")}),
        ),
    }
}

/// `4`, `4.0`, `inf`, `Infinity` → a non-negative count.
fn parse_count(text: &str) -> Option<f64> {
    let v: f64 = text.parse().ok()?;
    (v >= 0.0).then_some(v)
}

/// Python's `str(float)`, as moto answers it (`inf`, `4.0`).
fn python_float(v: f64) -> String {
    if v.is_infinite() {
        "inf".into()
    } else {
        format!("{v:?}")
    }
}

/// The caller an unknown access key (or an unsigned request) acts as while enforcement is
/// off: the root of 123456789012.
pub fn unknown_key_caller(access_key_id: &str) -> Caller {
    Caller::root(COMPAT_ACCOUNT, access_key_id)
}

/// Who a key acts as while enforcement is off: its owner when edgeward knows it (the
/// session token, expiry and key status are not checked, as moto does not check them),
/// else the root of 123456789012.
pub fn lenient_caller(state: &State, access_key_id: &str, now: i64) -> Caller {
    let resolved = match state.sessions.get(access_key_id) {
        Some(session) => identity::resolve(state, access_key_id, Some(&session.token), session.issued),
        None => identity::resolve(state, access_key_id, None, now),
    };
    resolved.map(|(caller, _)| caller).unwrap_or_else(|_| unknown_key_caller(access_key_id))
}

/// For GetCallerIdentity: moto's default identity `(Arn, UserId, Account)` when the caller
/// is the compat root reached through a key edgeward does not know. None otherwise, and
/// always None outside compat mode.
pub fn moto_default_identity(call: &Call<'_>) -> Option<(String, String, String)> {
    let c = &call.caller;
    if !call.cloud.config.compat_moto || c.kind != CallerKind::Root || c.account != COMPAT_ACCOUNT {
        return None;
    }
    if call.cloud.read_state().keys.contains_key(&c.access_key_id) {
        return None;
    }
    let arn = format!("arn:{}:sts::{COMPAT_ACCOUNT}:user/moto", partition(&call.region));
    Some((arn, MOTO_USER_ID.to_string(), COMPAT_ACCOUNT.to_string()))
}

/// The partition of a region.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_like_moto() {
        assert_eq!(parse_count("inf"), Some(f64::INFINITY));
        assert_eq!(parse_count("4"), Some(4.0));
        assert_eq!(parse_count("4.0"), Some(4.0));
        assert_eq!(parse_count("-1"), None);
        assert_eq!(parse_count("NaN"), None);
        assert_eq!(parse_count("x"), None);
        assert_eq!(python_float(f64::INFINITY), "inf");
        assert_eq!(python_float(4.0), "4.0");
    }

    #[test]
    fn enforcement_starts_after_n_requests() {
        let s = CompatState::default();
        assert!(!s.next_request_enforced());
        assert_eq!(s.set_no_auth_count(2.0), f64::INFINITY);
        assert!(!s.next_request_enforced());
        assert!(!s.next_request_enforced());
        assert!(s.next_request_enforced());
        assert_eq!(s.set_no_auth_count(f64::INFINITY), 2.0);
        assert!(!s.next_request_enforced());
    }

    #[test]
    fn partitions() {
        assert_eq!(partition("us-east-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-isob-east-1"), "aws-iso-b");
    }
}
