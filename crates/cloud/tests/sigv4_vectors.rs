//! Server-side verification of every SigV4 test vector shipped in the `aws-sigv4` crate
//! (`aws-signing-test-suite/v4`). The crate is a never-compiled dev-dependency; `cargo metadata`
//! tells where its source was unpacked.

use std::path::{Path, PathBuf};
use std::process::Command;

use edgeward_cloud::sigv4::{self, ErrorKind, Location, RequestParts, VerifyOptions};
use http::{HeaderMap, HeaderName, HeaderValue};

fn suite_dir() -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata json");
    let pkg = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "aws-sigv4")
        .expect("aws-sigv4 in cargo metadata (dev-dependency under cfg(any()))");
    let manifest = PathBuf::from(pkg["manifest_path"].as_str().unwrap());
    let dir = manifest
        .parent()
        .unwrap()
        .join("aws-signing-test-suite")
        .join("v4");
    assert!(dir.is_dir(), "{} missing", dir.display());
    dir
}

/// A raw HTTP/1.1 request as written in the suite: request line (the target may contain
/// spaces; the version may be missing), headers (obs-fold continuation lines, duplicates),
/// blank line, body.
struct RawRequest {
    method: String,
    path: String,
    query: String,
    headers: HeaderMap,
    body: Vec<u8>,
}

fn parse_raw(text: &str) -> RawRequest {
    let (head, body) = match text.find("\n\n") {
        Some(i) => (&text[..i], &text[i + 2..]),
        None => (text.trim_end_matches('\n'), ""),
    };
    let mut lines = head.lines();
    let request_line = lines.next().expect("request line");
    let (method, mut target) = request_line.split_once(' ').expect("method");
    if let Some(i) = target.rfind(" HTTP/") {
        target = &target[..i];
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    // Unfold: a line starting with whitespace continues the previous header's value.
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let last = fields.last_mut().expect("continuation line after a header");
            last.1.push(' ');
            last.1.push_str(line);
        } else {
            let (name, value) = line.split_once(':').expect("header line");
            fields.push((
                name.to_string(),
                value.trim_matches([' ', '\t']).to_string(),
            ));
        }
    }
    let mut headers = HeaderMap::new();
    for (name, value) in fields {
        headers.append(
            HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            HeaderValue::from_bytes(value.as_bytes()).expect("header value"),
        );
    }
    RawRequest {
        method: method.to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body: body.as_bytes().to_vec(),
    }
}

struct Context {
    secret: String,
    token: Option<String>,
    normalize: bool,
    omit_session_token: bool,
    expiration: Option<u64>,
    now: i64,
}

fn parse_rfc3339_z(s: &str) -> i64 {
    // "2015-08-30T12:36:00Z"
    let basic: String = s.chars().filter(|c| *c != '-' && *c != ':').collect();
    sigv4::parse_amz_date(&basic).unwrap_or_else(|| panic!("timestamp {s}"))
}

/// Secrets of the credentials the suite uses (the two vectors without `context.json` are
/// signed with these; see aws-sigv4's own tests and `Credentials::for_tests`).
fn known_secret(akid: &str) -> &'static str {
    match akid {
        "AKIDEXAMPLE" => "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        "ANOTREAL" => "notrealrnrELgWzOk3IfjzDKtFBhDby",
        other => panic!("no known secret for {other}"),
    }
}

fn read(dir: &Path, name: &str) -> Option<String> {
    std::fs::read_to_string(dir.join(name)).ok()
}

fn strip_one_newline(s: &str) -> &str {
    s.strip_suffix('\n').unwrap_or(s)
}

/// Verify one signed request of one vector; returns the number of assertions groups passed.
fn check_variant(
    dir: &Path,
    name: &str,
    prefix: &str,
    ctx_file: Option<&serde_json::Value>,
) -> bool {
    let Some(signed) = read(dir, &format!("{prefix}-signed-request.txt")) else {
        return false;
    };
    let raw = parse_raw(&signed);
    let body_sha = sigv4::sha256_hex(&raw.body);
    let req = RequestParts {
        method: &raw.method,
        raw_path: &raw.path,
        raw_query: &raw.query,
        headers: &raw.headers,
        body_sha256: Some(&body_sha),
    };
    let auth = sigv4::parse(&req)
        .unwrap_or_else(|e| panic!("{name}/{prefix}: parse: {e}"))
        .unwrap_or_else(|| panic!("{name}/{prefix}: parsed as unsigned"));
    let expected_location = if prefix == "header" {
        Location::Header
    } else {
        Location::Query
    };
    assert_eq!(auth.location, expected_location, "{name}/{prefix}");

    let ctx = match ctx_file {
        Some(c) => Context {
            secret: c["credentials"]["secret_access_key"]
                .as_str()
                .unwrap()
                .to_string(),
            token: c["credentials"]["token"].as_str().map(str::to_string),
            normalize: c["normalize"].as_bool().unwrap_or(true),
            omit_session_token: c["omit_session_token"].as_bool().unwrap_or(false),
            expiration: c["expiration_in_seconds"].as_u64(),
            now: parse_rfc3339_z(c["timestamp"].as_str().unwrap()),
        },
        // No context.json: region, service and time come from the signed request itself.
        None => Context {
            secret: known_secret(&auth.credential.access_key_id).to_string(),
            token: None,
            normalize: true,
            omit_session_token: false,
            expiration: None,
            now: auth.request_time(),
        },
    };
    if let Some(c) = ctx_file {
        assert_eq!(
            auth.credential.access_key_id,
            c["credentials"]["access_key_id"].as_str().unwrap(),
            "{name}/{prefix}"
        );
        assert_eq!(
            auth.credential.region,
            c["region"].as_str().unwrap(),
            "{name}/{prefix}"
        );
        assert_eq!(
            auth.credential.service,
            c["service"].as_str().unwrap(),
            "{name}/{prefix}"
        );
    }
    assert_eq!(
        auth.security_token, ctx.token,
        "{name}/{prefix}: session token"
    );
    if expected_location == Location::Query {
        assert_eq!(
            auth.expires, ctx.expiration,
            "{name}/{prefix}: X-Amz-Expires"
        );
    }

    let opts = VerifyOptions {
        normalize_path: ctx.normalize,
        query_token_unsigned: ctx.omit_session_token,
        ..VerifyOptions::service()
    };

    // Canonical request and string to sign, as the vector states them.
    let creq = sigv4::canonical_request(&req, &auth, &opts)
        .unwrap_or_else(|e| panic!("{name}/{prefix}: {e}"));
    if let Some(expected) = read(dir, &format!("{prefix}-canonical-request.txt")) {
        let expected = strip_one_newline(&expected);
        // double-encode-path's canonical request was produced at a different time than its
        // signed request (aws-sigv4 checks them separately); compare with that X-Amz-Date.
        let expected_date = expected
            .lines()
            .find_map(|l| l.strip_prefix("x-amz-date:"))
            .map(str::to_string);
        if let Some(d) = expected_date.filter(|d| *d != auth.amz_date) {
            eprintln!(
                "note: {name}/{prefix}: canonical request file is dated {d}, request {}",
                auth.amz_date
            );
            let mut headers = raw.headers.clone();
            headers.insert("x-amz-date", HeaderValue::from_str(&d).unwrap());
            let redated = RequestParts {
                headers: &headers,
                ..req
            };
            let creq2 = sigv4::canonical_request(&redated, &auth, &opts).unwrap();
            assert_eq!(creq2, expected, "{name}/{prefix}: canonical request");
        } else {
            assert_eq!(creq, expected, "{name}/{prefix}: canonical request");
        }
    }
    let sts = sigv4::string_to_sign(&auth, &creq);
    if let Some(expected) = read(dir, &format!("{prefix}-string-to-sign.txt")) {
        assert_eq!(
            sts,
            strip_one_newline(&expected),
            "{name}/{prefix}: string to sign"
        );
    }
    if let Some(expected) = read(dir, &format!("{prefix}-signature.txt")) {
        assert_eq!(
            auth.signature,
            strip_one_newline(&expected).trim(),
            "{name}/{prefix}: signature"
        );
    }

    // The signature verifies.
    sigv4::verify(&req, &auth, &ctx.secret, ctx.now, &opts).unwrap_or_else(|e| {
        panic!(
            "{name}/{prefix}: verify: {e}\n{:?}\n{:?}",
            e.canonical_request, e.string_to_sign
        )
    });
    let c = &auth.credential;
    let key = sigv4::signing_key(&ctx.secret, &c.date, &c.region, &c.service);
    sigv4::verify_with_key(&req, &auth, &key, ctx.now, &opts).unwrap();

    // One flipped bit in the signature fails.
    let mut bad = auth.clone();
    let mut bytes = bad.signature.into_bytes();
    let nibble = u8::from_str_radix(std::str::from_utf8(&bytes[10..11]).unwrap(), 16).unwrap() ^ 1;
    bytes[10] = format!("{nibble:x}").as_bytes()[0];
    bad.signature = String::from_utf8(bytes).unwrap();
    let e = sigv4::verify(&req, &bad, &ctx.secret, ctx.now, &opts).unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::SignatureMismatch,
        "{name}/{prefix}: flipped bit"
    );
    assert_eq!(e.canonical_request.as_deref(), Some(creq.as_str()));

    // A changed signed header value fails.
    let mut headers = raw.headers.clone();
    let host = headers.get("host").unwrap().to_str().unwrap().to_string();
    headers.insert("host", HeaderValue::from_str(&format!("x{host}")).unwrap());
    let changed = RequestParts {
        headers: &headers,
        ..req
    };
    let auth2 = sigv4::parse(&changed).unwrap().unwrap();
    let e = sigv4::verify(&changed, &auth2, &ctx.secret, ctx.now, &opts).unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::SignatureMismatch,
        "{name}/{prefix}: changed host"
    );

    // So do a wrong secret and a changed path.
    let e = sigv4::verify(&req, &auth, "wrong", ctx.now, &opts).unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::SignatureMismatch,
        "{name}/{prefix}: wrong secret"
    );
    let path = format!("{}x", raw.path);
    let changed = RequestParts {
        raw_path: &path,
        ..req
    };
    let e = sigv4::verify(&changed, &auth, &ctx.secret, ctx.now, &opts).unwrap_err();
    assert_eq!(
        e.kind,
        ErrorKind::SignatureMismatch,
        "{name}/{prefix}: changed path"
    );
    true
}

#[test]
fn aws_sigv4_test_suite_v4() {
    let root = suite_dir();
    let mut vectors: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    vectors.sort();
    assert!(!vectors.is_empty(), "no vectors under {}", root.display());

    let (mut vectors_ok, mut variants_ok, mut variants_total) = (0, 0, 0);
    for dir in &vectors {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let ctx: Option<serde_json::Value> =
            read(dir, "context.json").map(|s| serde_json::from_str(&s).expect("context.json"));
        let mut checked = 0;
        for prefix in ["header", "query"] {
            if dir.join(format!("{prefix}-signed-request.txt")).exists() {
                variants_total += 1;
                if check_variant(dir, &name, prefix, ctx.as_ref()) {
                    checked += 1;
                    variants_ok += 1;
                }
            }
        }
        assert!(checked > 0, "{name}: no signed request checked");
        vectors_ok += 1;
    }
    println!(
        "sigv4 vectors: {vectors_ok}/{} vectors, {variants_ok}/{variants_total} signed requests verified",
        vectors.len()
    );
    assert_eq!(vectors_ok, vectors.len(), "not every vector was checked");
    assert_eq!(variants_ok, variants_total);
}
