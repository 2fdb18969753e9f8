//! A cache of SigV4 signing keys. Deriving one costs four HMAC-SHA256 rounds per request;
//! a client signs many requests with the same access key, date, region and service, so the
//! derived key is kept per access key for its recent scopes, with the HMAC it signs with
//! already keyed. An entry is used only when the secret it was derived from is the key's
//! current secret, so a changed or re-created key never verifies with a stale derivation.
//! Each serving thread keeps its own cache (`http::serve`): no lock on the request path.

use std::cell::RefCell;
use std::collections::HashMap;

use crate::sigv4::{self, Auth, Keyed, RequestParts, SigV4Error, VerifyOptions};

/// Scopes remembered per access key (date × region × service).
const SCOPES_PER_KEY: usize = 8;
/// Access keys remembered; the cache starts over past this.
const MAX_KEYS: usize = 4096;

struct Scope {
    date: String,
    region: String,
    service: String,
    key: [u8; 32],
    keyed: Keyed,
}

struct Entry {
    secret: String,
    scopes: Vec<Scope>,
}

thread_local! {
    static CACHE: RefCell<HashMap<String, Entry>> = RefCell::new(HashMap::new());
}

/// Runs `f` on the scope entry of `auth`'s credential under `secret_access_key`, derived
/// on first use.
fn with_scope<T>(auth: &Auth, secret_access_key: &str, f: impl FnOnce(&Scope) -> T) -> T {
    let c = &auth.credential;
    CACHE.with(|cache| {
        let mut map = cache.borrow_mut();
        if let Some(s) = map
            .get(c.access_key_id.as_str())
            .filter(|e| e.secret == secret_access_key)
            .and_then(|e| e.scopes.iter().find(|s| s.date == c.date && s.region == c.region && s.service == c.service))
        {
            return f(s);
        }
        let key = sigv4::signing_key(secret_access_key, &c.date, &c.region, &c.service);
        if map.len() >= MAX_KEYS && !map.contains_key(c.access_key_id.as_str()) {
            map.clear();
        }
        let entry = map
            .entry(c.access_key_id.clone())
            .or_insert_with(|| Entry { secret: secret_access_key.to_string(), scopes: Vec::new() });
        if entry.secret != secret_access_key {
            *entry = Entry { secret: secret_access_key.to_string(), scopes: Vec::new() };
        }
        if entry.scopes.len() >= SCOPES_PER_KEY {
            entry.scopes.remove(0);
        }
        entry.scopes.push(Scope { date: c.date.clone(), region: c.region.clone(), service: c.service.clone(), key, keyed: sigv4::keyed(&key) });
        f(entry.scopes.last().expect("just pushed"))
    })
}

/// The signing key of `auth`'s credential scope under `secret_access_key`, derived once.
pub fn signing_key(auth: &Auth, secret_access_key: &str) -> [u8; 32] {
    with_scope(auth, secret_access_key, |s| s.key)
}

/// [`sigv4::verify`] with the signing key from the cache.
pub fn verify(req: &RequestParts, auth: &Auth, secret_access_key: &str, now_unix: i64, opts: &VerifyOptions) -> Result<(), SigV4Error> {
    // The clock check comes first, as in `sigv4::verify`: a stale request derives nothing.
    sigv4::check_time(auth, now_unix, opts)?;
    with_scope(auth, secret_access_key, |s| sigv4::verify_signature(req, auth, &s.keyed, opts))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sigv4::Credential;

    fn auth(key_id: &str, date: &str, service: &str) -> Auth {
        let cred = Credential::parse(&format!("{key_id}/{date}/us-east-1/{service}/aws4_request")).unwrap();
        Auth {
            location: sigv4::Location::Header,
            credential: cred,
            signed_headers: vec!["host".into()],
            signature: String::new(),
            amz_date: format!("{date}T000000Z"),
            expires: None,
            security_token: None,
            content_sha256: None,
        }
    }

    #[test]
    fn cached_keys_equal_derived_keys_and_follow_the_secret() {
        for (id, date, service, secret) in [
            ("AKIAKEYCACHETEST0001", "20261127", "sts", "s1"),
            ("AKIAKEYCACHETEST0001", "20261127", "sts", "s1"),
            ("AKIAKEYCACHETEST0001", "20261127", "iam", "s1"),
            ("AKIAKEYCACHETEST0001", "20261128", "iam", "s1"),
            ("AKIAKEYCACHETEST0001", "20261127", "sts", "s2"),
            ("AKIAKEYCACHETEST0002", "20261127", "sts", "s1"),
        ] {
            let a = auth(id, date, service);
            assert_eq!(signing_key(&a, secret), sigv4::signing_key(secret, date, "us-east-1", service), "{id} {date} {service} {secret}");
        }
    }
}
