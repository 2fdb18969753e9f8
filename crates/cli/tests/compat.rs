//! The moto compatibility mode (`cloud serve --compat moto`): its control endpoints work,
//! and without the flag none of it exists.

mod common;
use common::*;

use std::io::{Read, Write};

/// One HTTP/1.1 request; returns the status and body.
fn request(port: u16, method: &str, path: &str, headers: &[(&str, String)], body: &str) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    stream.write_all(text.as_bytes()).unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let status = raw.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line");
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// Asserts the status and a piece of the body; returns the body.
fn expect((status, body): (u16, String), want: u16, needle: &str) -> String {
    assert_eq!(status, want, "{body}");
    assert!(body.contains(needle), "{needle:?} not in {body}");
    body
}

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");

/// An awsQuery call without a signature.
fn unsigned(port: u16, params: &str) -> (u16, String) {
    request(port, "POST", "/", &[(FORM.0, FORM.1.into())], params)
}

/// An awsQuery call with a well-formed SigV4 header for `key` (the signature itself is
/// garbage: an unknown key is refused before any signature is checked).
fn signed_by(port: u16, key: &str, service: &str, params: &str) -> (u16, String) {
    let (date, time) = utc_now();
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={key}/{date}/us-east-1/{service}/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature={}",
        "0".repeat(64)
    );
    let headers = [(FORM.0, FORM.1.to_string()), ("X-Amz-Date", format!("{date}T{time}Z")), ("Authorization", auth)];
    request(port, "POST", "/", &headers, params)
}

/// (`YYYYMMDD`, `HHMMSS`) in UTC.
fn utc_now() -> (String, String) {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (format!("{y:04}{m:02}{d:02}"), format!("{:02}{:02}{:02}", rem / 3600, rem % 3600 / 60, rem % 60))
}

fn form_urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

const CALLER: &str = "Action=GetCallerIdentity&Version=2011-06-15";
const CREATE_USER: &str = "Action=CreateUser&UserName=compat-user&Version=2010-05-08";

#[test]
fn compat_mode_resets_and_switches_enforcement() {
    let server = Server::start_with("compat-moto", &["--compat", "moto"]);
    let port = server.port;

    // Enforcement is off by default: unsigned calls and unknown keys act as moto's
    // default identity in 123456789012.
    let body = expect(unsigned(port, CALLER), 200, "<Arn>arn:aws:sts::123456789012:user/moto</Arn>");
    assert!(body.contains("<UserId>AKIAIOSFODNN7EXAMPLE</UserId>"), "{body}");
    expect(signed_by(port, "FOOBARKEY", "sts", CALLER), 200, "<Account>123456789012</Account>");

    // Reset wipes state: the same user can be created again.
    expect(unsigned(port, CREATE_USER), 200, "arn:aws:iam::123456789012:user/compat-user");
    expect(unsigned(port, CREATE_USER), 409, "EntityAlreadyExists");
    let roots_before = std::fs::read_to_string(server.data_dir.join("root-credentials.json")).unwrap();
    let (status, body) = request(port, "POST", "/moto-api/reset", &[], "");
    assert_eq!((status, body.as_str()), (200, r#"{"status":"ok"}"#));
    expect(unsigned(port, CREATE_USER), 200, "compat-user");
    let roots_after = std::fs::read_to_string(server.data_dir.join("root-credentials.json")).unwrap();
    assert_eq!(roots_before, roots_after, "a reset keeps the accounts' root keys");
    assert!(roots_after.contains("\"123456789012\""), "{roots_after}");
    assert_eq!(request(port, "GET", "/moto-api/reset", &[], "").0, 400);

    // A known key names its caller (without a valid signature while enforcement is off):
    // 111111111111's root creates a role that 123456789012 assumes; the session's ASIA
    // keys act in 111111111111.
    let roots: serde_json::Value = serde_json::from_str(&roots_after).unwrap();
    let root_b = roots["111111111111"]["accessKeyId"].as_str().unwrap();
    let trust = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}}"#;
    let create_role = format!("Action=CreateRole&RoleName=cross&Version=2010-05-08&AssumeRolePolicyDocument={}", form_urlencode(trust));
    expect(signed_by(port, root_b, "iam", &create_role), 200, "arn:aws:iam::111111111111:role/cross");
    let assume = "Action=AssumeRole&Version=2011-06-15&RoleSessionName=s1&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Fcross";
    let body = expect(unsigned(port, assume), 200, "<AccessKeyId>ASIA");
    let key = body.split("<AccessKeyId>").nth(1).and_then(|s| s.split('<').next()).unwrap().to_string();
    assert_eq!(key.len(), 20, "{key}");
    expect(signed_by(port, &key, "sts", CALLER), 200, "<Arn>arn:aws:sts::111111111111:assumed-role/cross/s1</Arn>");

    // reset-auth 1: one more free request, then SigV4 and IAM apply.
    let body = expect(request(port, "POST", "/moto-api/reset-auth", &[], "1"), 200, "PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"], "inf");
    expect(unsigned(port, CALLER), 200, "<Account>123456789012</Account>");
    expect(unsigned(port, CALLER), 403, "MissingAuthenticationToken");
    expect(signed_by(port, "FOOBARKEY", "sts", CALLER), 403, "InvalidClientTokenId");
    // The control endpoints are never counted nor enforced.
    expect(request(port, "POST", "/moto-api/reset-auth", &[], "inf"), 200, r#""PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT":"1.0""#);
    expect(unsigned(port, CALLER), 200, "<Account>123456789012</Account>");
    assert_eq!(request(port, "POST", "/moto-api/reset-auth", &[], "many").0, 400);
    assert_eq!(request(port, "POST", "/moto-api/data.json", &[], "").0, 404);
}

#[test]
fn normal_mode_has_no_moto_endpoints_and_refuses_unknown_keys() {
    let server = Server::start("compat-normal");
    let port = server.port;

    for path in ["/moto-api/reset", "/moto-api/reset-auth"] {
        let (status, body) = request(port, "POST", path, &[], "inf");
        // S3 answers it (the path is an object in a bucket named moto-api): a POST that names
        // no S3 operation is refused, whoever sends it.
        assert!(matches!(status, 401 | 403 | 404 | 405), "{path} must be refused, got {status}: {body}");
        assert!(body.contains("<Error>") && body.contains("<Code>") && !body.contains("status"), "{path}: {body}");
    }
    expect(signed_by(port, "FOOBARKEY", "sts", CALLER), 403, "<Code>InvalidClientTokenId</Code>");
    expect(signed_by(port, "FOOBARKEY", "iam", CREATE_USER), 403, "<Code>InvalidClientTokenId</Code>");
    expect(unsigned(port, CALLER), 403, "<Code>MissingAuthenticationToken</Code>");
    // No account 123456789012 was created.
    let roots = std::fs::read_to_string(server.data_dir.join("root-credentials.json")).unwrap();
    assert!(!roots.contains("123456789012"), "{roots}");
}
