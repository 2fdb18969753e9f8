//! The `edgeward policy` commands' contracts: output lines, closing line, exit codes.

mod common;
use common::*;

const ALLOW_CASE: &str = r#"{"name":"c1","request":{"principal":"arn:aws:iam::111111111111:user/alice","action":"s3:GetObject","resource":{"resource":"arn:aws:s3:::b/k","accountId":"111111111111"},"context":{"aws:SourceIp":"10.1.2.3"}},
 "identityPolicies":[{"name":"p","policy":{"Version":"2012-10-17","Statement":[{"Sid":"Net","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}]}}],
 "expected":{"response":"Allowed"}}"#;

#[test]
fn simulate_prints_a_line_per_case_and_a_closing_line() {
    let f = temp_file("one.json", ALLOW_CASE);
    let out = edgeward(&["policy", "simulate", f.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], r#"{"name":"c1","decision":"Allowed","expected":"Allowed","match":true}"#);
    assert_eq!(lines[1], "1 passed, 0 failed");
}

#[test]
fn simulate_exits_1_on_a_mismatch() {
    let wrong = ALLOW_CASE.replace(r#""response":"Allowed""#, r#""response":"ExplicitlyDenied""#);
    let f = temp_file("wrong.json", &format!("[{wrong}]"));
    let out = edgeward(&["policy", "simulate", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains(r#""match":false"#));
    assert!(stdout(&out).ends_with("0 passed, 1 failed\n"));
}

#[test]
fn simulate_exits_2_naming_file_and_case_on_bad_input() {
    let bad = ALLOW_CASE.replace(r#""Effect":"Allow""#, r#""Effect":"Permit""#);
    let f = temp_file("bad.json", &bad);
    let out = edgeward(&["policy", "simulate", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad.json") && err.contains("case c1") && err.contains("identityPolicies[0]") && err.contains("Statement[0].Effect"), "{err}");
    let missing = edgeward(&["policy", "simulate", "/nonexistent/cases.json"]);
    assert_eq!(missing.status.code(), Some(2));
    let garbage = temp_file("garbage.json", "{not json");
    assert_eq!(edgeward(&["policy", "simulate", garbage.to_str().unwrap()]).status.code(), Some(2));
}

#[test]
fn explain_shows_conditions_with_actual_values() {
    let f = temp_file("explain.json", ALLOW_CASE);
    let table = edgeward(&["policy", "explain", f.to_str().unwrap()]);
    assert!(table.status.success());
    let t = stdout(&table);
    assert!(t.contains("Allowed") && t.contains("IpAddress aws:SourceIp") && t.contains("10.1.2.3"), "{t}");
    let json = edgeward(&["policy", "explain", "--output", "json", f.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(stdout(&json).lines().next().unwrap()).unwrap();
    let cond = &v["explanation"]["policies"][0]["statements"][0]["conditions"][0];
    assert_eq!(cond["operator"], "IpAddress");
    assert_eq!(cond["actual"][0], "10.1.2.3");
    assert_eq!(cond["result"], true);
    assert_eq!(v["explanation"]["decision"], "Allowed");
}

#[test]
fn validate_names_the_problem_and_its_path() {
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},
      {"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualz":{"aws:x":"y"}}}]}"#;
    let f = temp_file("policy.json", doc);
    let out = edgeward(&["policy", "validate", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("MalformedPolicyDocument at Statement[1].Condition.StringEqualz"), "{}", stdout(&out));
    let good = temp_file("good.json", r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*"}}"#);
    let ok = edgeward(&["policy", "validate", good.to_str().unwrap()]);
    assert!(ok.status.success());
    assert!(stdout(&ok).contains("valid"));
    let trust = edgeward(&["policy", "validate", "--kind", "trust", good.to_str().unwrap()]);
    assert_eq!(trust.status.code(), Some(1), "a trust policy needs a Principal");
}
