//! edgeward's own endpoints beside the AWS APIs, under `/_edgeward/`, for the analysis
//! tools while a server holds the store's lock. Every request is SigV4-signed by an
//! account's root credentials and sees only that account:
//!
//! - `GET /_edgeward/decisions/{requestId}`: a recorded denial, to the root of the
//!   caller's or the resource owner's account (404 otherwise, and when there is none).
//! - `GET /_edgeward/trail/verify`: `verify_account` over the caller's account.
//!
//! These are not AWS calls: they are not recorded in the trail. `signed_get` is the client.

use std::io::{Read, Write};

use serde_json::{json, Value};

use super::digest::read_public_keys;
use super::verify::verify_account;
use crate::identity::{self, CallerKind};
use crate::sigv4::{self, Auth, Credential, Location, RequestParts, VerifyOptions};
use crate::store::TrailRead;
use crate::{Cloud, RootCredentials};

pub const PREFIX: &str = "/_edgeward/";
/// The signing name edgeward's endpoints are signed for.
pub const SIGNING_NAME: &str = "edgeward";

/// Serves one request under `PREFIX`: `(status, JSON body)`.
pub fn handle(cloud: &Cloud, parts: &http::request::Parts, body: &[u8]) -> (u16, Value) {
    let fail = |status: u16, code: &str, message: String| (status, json!({"__type": code, "message": message}));
    let now = crate::time::now_secs();
    let body_hash = sigv4::sha256_hex(body);
    let rp = crate::http::request_parts(parts, &body_hash);
    let auth = match sigv4::parse(&rp) {
        Ok(Some(a)) => a,
        Ok(None) => return fail(403, "MissingAuthenticationToken", "edgeward endpoints need a SigV4 signature by an account's root credentials".into()),
        Err(e) => return fail(403, "IncompleteSignature", e.message),
    };
    let resolved = identity::resolve(&cloud.read_state(), &auth.credential.access_key_id, auth.security_token.as_deref(), now);
    let caller = match resolved {
        Ok((caller, secret)) => match sigv4::verify(&rp, &auth, &secret, now, &VerifyOptions::service()) {
            Ok(()) => caller,
            Err(e) => return fail(403, "SignatureDoesNotMatch", e.message),
        },
        Err(_) => return fail(403, "InvalidClientTokenId", "The security token included in the request is invalid.".into()),
    };
    if caller.kind != CallerKind::Root {
        return fail(403, "AccessDenied", format!("{} is not an account root: edgeward endpoints answer only account roots", caller.arn));
    }
    if parts.method != http::Method::GET {
        return fail(405, "MethodNotAllowed", "edgeward endpoints are read-only: use GET".into());
    }
    let path = parts.uri.path().strip_prefix(PREFIX).unwrap_or_default();
    if let Some(id) = path.strip_prefix("decisions/") {
        let not_found = || fail(404, "NotFound", format!("No recorded decision with request id {id} is visible to account {}", caller.account));
        return match cloud.store.decision(id) {
            Ok(Some(bytes)) => {
                let record: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
                if decision_accounts(&record).contains(&caller.account) {
                    (200, record)
                } else {
                    not_found()
                }
            }
            Ok(None) => not_found(),
            Err(e) => fail(500, "InternalFailure", e.to_string()),
        };
    }
    if path == "trail/verify" {
        let keys = read_public_keys(&cloud.config.data_dir).ok();
        return match cloud.store.account_trail(&caller.account) {
            Ok(trail) => (200, json!({"accounts": [verify_account(&caller.account, &trail, keys.as_ref())]})),
            Err(e) => fail(500, "InternalFailure", e.to_string()),
        };
    }
    fail(404, "NotFound", format!("No edgeward endpoint {}", parts.uri.path()))
}

/// The accounts a decision concerns: the caller's and the resource owner's.
pub fn decision_accounts(record: &Value) -> Vec<String> {
    ["principal", "resource"]
        .iter()
        .filter_map(|k| edgeward_policy::Arn::parse(record[*k].as_str()?).map(|a| a.account.to_string()))
        .filter(|a| !a.is_empty())
        .collect()
}

/// A SigV4-signed `GET` to an edgeward endpoint over plain HTTP: `(status, body)`.
pub fn signed_get(endpoint: &str, path_and_query: &str, creds: &RootCredentials, region: &str) -> Result<(u16, String), String> {
    let hostport = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| format!("the endpoint {endpoint} must be an http:// URL"))?
        .trim_end_matches('/');
    let (raw_path, raw_query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    let now = crate::time::now_secs();
    let amz_date = crate::time::amz_date(now);
    let mut headers = http::HeaderMap::new();
    let header = |v: &str| http::HeaderValue::from_str(v).map_err(|e| e.to_string());
    headers.insert("host", header(hostport)?);
    headers.insert("x-amz-date", header(&amz_date)?);
    headers.insert("x-amz-content-sha256", header(sigv4::EMPTY_SHA256)?);
    let credential = Credential {
        access_key_id: creds.access_key_id.clone(),
        date: amz_date[..8].to_string(),
        region: region.to_string(),
        service: SIGNING_NAME.to_string(),
    };
    let auth = Auth {
        location: Location::Header,
        credential: credential.clone(),
        signed_headers: vec!["host".into(), "x-amz-content-sha256".into(), "x-amz-date".into()],
        signature: String::new(),
        amz_date: amz_date.clone(),
        expires: None,
        security_token: None,
        content_sha256: Some(sigv4::EMPTY_SHA256.into()),
    };
    let rp = RequestParts { method: "GET", raw_path, raw_query, headers: &headers, body_sha256: Some(sigv4::EMPTY_SHA256) };
    let key = sigv4::signing_key(&creds.secret_access_key, &credential.date, region, SIGNING_NAME);
    let signature = sigv4::compute_signature(&rp, &auth, &key, &VerifyOptions::service()).map_err(|e| e.message)?;
    let request = format!(
        "GET {path_and_query} HTTP/1.1\r\nhost: {hostport}\r\nx-amz-date: {amz_date}\r\nx-amz-content-sha256: {}\r\nauthorization: {} Credential={}/{}, SignedHeaders={}, Signature={signature}\r\nconnection: close\r\n\r\n",
        sigv4::EMPTY_SHA256,
        sigv4::ALGORITHM,
        creds.access_key_id,
        credential.scope(),
        auth.signed_headers_line(),
    );
    let mut stream = std::net::TcpStream::connect(hostport).map_err(|e| format!("cannot connect to {endpoint}: {e} (is `edgeward cloud serve` running there?)"))?;
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(120)));
    stream.write_all(request.as_bytes()).map_err(|e| format!("cannot send to {endpoint}: {e}"))?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).map_err(|e| format!("cannot read the answer of {endpoint}: {e}"))?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| format!("{endpoint} answered something that is not HTTP"))?;
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).ok_or_else(|| format!("{endpoint} answered without a status"))?;
    Ok((status, body.to_string()))
}
