//! Property tests with a small seeded generator (no proptest: it would cost every CI build).
//!
//! - Random valid policies of every kind parse, and `parse → to_json → parse` gives an
//!   equal `Policy` (and `to_json` is then a fixed point).
//! - Parsing never panics on mutated or hostile text: byte flips, truncations, splices,
//!   deep nesting, huge numbers, odd escapes, multi-byte text in typed condition values.
//! - `evaluate` and `explain` agree on the decision for random requests and policy sets,
//!   and the explanation's per-policy summary agrees with its statements.
//!
//! Everything is deterministic: a failure prints the seed and the document. Set
//! `ROUNDTRIP_SEED` to explore other seeds and `ROUNDTRIP_SCALE` (a multiplier) for
//! longer runs.

use std::panic::{catch_unwind, AssertUnwindSafe};

use edgeward_policy::{
    analyze, evaluate, explain, Decision, ParseOptions, Policy, PolicyKind, PolicySet, Request, RequestBuilder, ResourcePolicyMode,
};
use serde_json::{json, Map, Value};

// ---------------------------------------------------------------------------------------
// A tiny deterministic RNG (splitmix64).

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn word(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }
}

fn base_seed() -> u64 {
    std::env::var("ROUNDTRIP_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_2026)
}

fn scale(n: usize) -> usize {
    let k: usize = std::env::var("ROUNDTRIP_SCALE").ok().and_then(|s| s.parse().ok()).unwrap_or(1);
    n * k.max(1)
}

// ---------------------------------------------------------------------------------------
// Vocabulary shared by the policy and request generators, so that requests often match.

const ACCOUNTS: [&str; 3] = ["111111111111", "222222222222", "333333333333"];
const SERVICES: [&str; 6] = ["s3", "ec2", "iam", "sts", "dynamodb", "kms"];
const ACTIONS: [&str; 12] = [
    "s3:GetObject",
    "s3:PutObject",
    "s3:ListBucket",
    "s3:DeleteObject",
    "ec2:StartInstances",
    "ec2:DescribeInstances",
    "iam:CreateAccessKey",
    "sts:AssumeRole",
    "sts:TagSession",
    "dynamodb:GetItem",
    "kms:Decrypt",
    "kms:GenerateDataKey",
];
const RESOURCES: [&str; 10] = [
    "arn:aws:s3:::bucket-a",
    "arn:aws:s3:::bucket-a/home/alice/notes.txt",
    "arn:aws:s3:::bucket-b/x:y/z",
    "arn:aws:ec2:us-east-1:111111111111:instance/i-0123",
    "arn:aws:iam::111111111111:role/Admin",
    "arn:aws:iam::222222222222:role/path/Deploy",
    "arn:aws:dynamodb:us-east-1:111111111111:table/team-a-orders",
    "arn:aws:kms:eu-west-1:222222222222:key/1234abcd",
    "arn:aws-cn:s3:::cn-bucket/ü/文件",
    "*",
];
const PRINCIPALS: [&str; 12] = [
    "arn:aws:iam::111111111111:root",
    "111111111111",
    "arn:aws:iam::111111111111:user/alice",
    "arn:aws:iam::222222222222:user/bob",
    "arn:aws:sts::111111111111:assumed-role/Admin/alice",
    "arn:aws:sts::222222222222:assumed-role/Deploy/ci",
    "arn:aws:sts::111111111111:federated-user/carol",
    "s3.amazonaws.com",
    "lambda.amazonaws.com",
    "*",
    "arn:aws:iam::111111111111:saml-provider/Okta",
    "cognito-identity.amazonaws.com",
];
const KEYS: [&str; 14] = [
    "aws:username",
    "aws:userid",
    "aws:PrincipalTag/team",
    "aws:RequestTag/env",
    "aws:TagKeys",
    "aws:SourceIp",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:SecureTransport",
    "aws:MultiFactorAuthAge",
    "aws:SourceArn",
    "aws:PrincipalArn",
    "s3:prefix",
    "kms:EncryptionContext:purpose",
];
const VARIABLES: [&str; 8] = [
    "${aws:username}",
    "${aws:userid}",
    "${aws:PrincipalTag/team}",
    "${aws:PrincipalTag/team, 'none'}",
    "${aws:principaltag/Team,'default value'}",
    "${*}",
    "${?}",
    "${$}",
];
/// Request values, typed and not: every family sees text it cannot read.
const VALUES: [&str; 26] = [
    "alice",
    "Alice",
    "team-a",
    "",
    "home/alice/",
    "10.1.2.3",
    "192.168.7.200",
    "2001:db8::1",
    "2026-01-01T00:00:00Z",
    "2019-02-28",
    "1767225600",
    "true",
    "FALSE",
    "300",
    "-1.5",
    "aGVsbG8=",
    "arn:aws:s3:::bucket-a",
    "arn:aws:iam::111111111111:role/Admin",
    "*",
    "ü?文",
    "aaa\u{e9}bbb",
    "2020-01-01T1\u{e9}",
    "99999999999999999999-01-01",
    "1e400",
    " 10.0.0.1 ",
    "${aws:username}",
];

// ---------------------------------------------------------------------------------------
// The policy generator: valid documents of every kind, in every element form.

/// A string or an array of strings (occasionally a one-element array).
fn one_or_array(rng: &mut Rng, mut make: impl FnMut(&mut Rng) -> String, max: usize) -> Value {
    let n = rng.range(1, max);
    if n == 1 && rng.chance(70) {
        Value::String(make(rng))
    } else {
        Value::Array((0..n).map(|_| Value::String(make(rng))).collect())
    }
}

fn ident(rng: &mut Rng) -> String {
    const PARTS: [&str; 10] = ["Get", "Put", "List", "Object", "Bucket", "Describe", "Item", "Role", "Key", "x"];
    let mut s = String::new();
    for _ in 0..rng.range(1, 3) {
        let part = rng.word(&PARTS);
        s.push_str(part);
    }
    s
}

fn wildcarded(rng: &mut Rng, s: String) -> String {
    match rng.below(6) {
        0 => format!("{s}*"),
        1 => format!("*{s}"),
        2 if s.len() > 2 && !s.contains("${") => {
            let mut c: Vec<char> = s.chars().collect();
            let i = rng.below(c.len());
            c[i] = '?';
            c.into_iter().collect()
        }
        _ => s,
    }
}

fn action(rng: &mut Rng, trust: bool) -> String {
    if trust {
        return rng.pick(&["sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:TagSession", "sts:*", "STS:assumerole", "*"]).to_string();
    }
    match rng.below(10) {
        0 => "*".into(),
        1..=4 => {
            let a = rng.pick(&ACTIONS).to_string();
            if rng.chance(20) { a.to_ascii_lowercase() } else { a }
        }
        _ => {
            let svc = rng.pick(&SERVICES);
            let act = ident(rng);
            format!("{svc}:{}", wildcarded(rng, act))
        }
    }
}

fn account(rng: &mut Rng) -> String {
    rng.pick(&ACCOUNTS).to_string()
}

fn resource(rng: &mut Rng, variables: bool) -> String {
    let var = |rng: &mut Rng| -> String {
        if variables && rng.chance(30) { rng.pick(&VARIABLES).to_string() } else { ident(rng).to_lowercase() }
    };
    match rng.below(9) {
        0 => "*".into(),
        1 => rng.pick(&RESOURCES).to_string(),
        2 => format!("arn:aws:s3:::bucket-{}/home/{}/*", rng.pick(&["a", "b", "*"]), var(rng)),
        3 => {
            let v = var(rng);
            format!("arn:aws:s3:::{}", wildcarded(rng, format!("bucket-{v}")))
        }
        4 => format!("arn:aws:ec2:{}:{}:instance/{}", rng.pick(&["*", "us-east-1", "us-*-1", ""]), account(rng), wildcarded(rng, "i-0123".into())),
        5 => {
            let a = *rng.pick(&["*", "111111111111", "222222222222"]);
            let v = var(rng);
            format!("arn:aws:iam::{a}:role/{}", wildcarded(rng, v))
        }
        6 => format!("arn:aws:dynamodb:*:{}:table/{}-*", account(rng), var(rng)),
        7 => format!("arn:{}:*:*:*:*", rng.pick(&["aws", "aws-cn", "*"])),
        _ => format!("arn:aws:kms:eu-west-1:{}:key/{}", account(rng), wildcarded(rng, "1234abcd".into())),
    }
}

fn aws_principal(rng: &mut Rng) -> String {
    let acct = account(rng);
    match rng.below(8) {
        0 => "*".into(),
        1 => acct,
        2 => format!("arn:aws:iam::{acct}:root"),
        3 => format!("arn:aws:iam::{acct}:user/{}", rng.pick(&["alice", "bob", "path/to/carol"])),
        4 => format!("arn:aws:iam::{acct}:role/{}", rng.pick(&["Admin", "Deploy", "path/Deploy"])),
        5 => format!("arn:aws:sts::{acct}:assumed-role/{}/{}", rng.pick(&["Admin", "Deploy"]), rng.pick(&["alice", "ci"])),
        6 => format!("arn:aws:iam::{acct}:federated-user/carol"),
        _ => rng.pick(&["AIDAJQABLZS4A3QDU576Q", "AROADBQP57FF2AEXAMPLE"]).to_string(),
    }
}

fn principal_value(rng: &mut Rng, rcp: bool) -> Value {
    if rcp || rng.chance(15) {
        return json!("*");
    }
    let mut map = Map::new();
    let types = rng.range(1, 3);
    for _ in 0..types {
        let (name, v) = match rng.below(4) {
            0 | 1 => ("AWS", one_or_array(rng, aws_principal, 3)),
            2 => ("Service", one_or_array(rng, |r| r.pick(&["s3.amazonaws.com", "lambda.amazonaws.com", "ec2.amazonaws.com.cn"]).to_string(), 2)),
            _ => {
                if rng.chance(50) {
                    ("Federated", one_or_array(rng, |r| r.pick(&["cognito-identity.amazonaws.com", "arn:aws:iam::111111111111:saml-provider/Okta", "accounts.google.com"]).to_string(), 2))
                } else {
                    ("CanonicalUser", one_or_array(rng, |r| r.pick(&["79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be", "abc"]).to_string(), 2))
                }
            }
        };
        map.insert(name.into(), v);
    }
    Value::Object(map)
}

/// A random mixed-case spelling (operators are case-insensitive; the name is kept as written).
fn spelling(rng: &mut Rng, name: &str) -> String {
    match rng.below(10) {
        0 => name.to_ascii_lowercase(),
        1 => name.chars().map(|c| if rng.chance(50) { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }).collect(),
        _ => name.to_string(),
    }
}

/// A condition operator name and a generator of valid values for it.
fn condition(rng: &mut Rng, variables: bool) -> (String, Value) {
    const FAMILIES: [(&str, &[&str]); 9] = [
        ("string", &["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike"]),
        ("numeric", &["NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals"]),
        ("date", &["DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals"]),
        ("bool", &["Bool"]),
        ("binary", &["BinaryEquals"]),
        ("ip", &["IpAddress", "NotIpAddress"]),
        ("arn", &["ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike"]),
        ("null", &["Null"]),
        ("string", &["StringEquals", "StringLike"]),
    ];
    let (family, names) = *rng.pick(&FAMILIES);
    let n = *rng.pick(names);
    let mut name = spelling(rng, n);
    if family != "null" {
        if rng.chance(25) {
            name.push_str(if rng.chance(80) { "IfExists" } else { "ifexists" });
        }
        match rng.below(8) {
            0 => name = format!("ForAllValues:{name}"),
            1 => name = format!("ForAnyValue:{name}"),
            2 if rng.chance(30) => name = format!("forallvalues:{name}"),
            _ => {}
        }
    }
    let value = |rng: &mut Rng| -> Value {
        match family {
            "string" => {
                let mut s = rng.pick(&["alice", "team-a", "home/", "", "ü文", "a*b?c", "x${y"]).to_string();
                if variables && s.contains("${") {
                    // An unclosed `${` is an invalid variable in 2012-10-17.
                    s = "x${$}y".into();
                }
                if variables && rng.chance(40) {
                    s = format!("{s}{}", rng.pick(&VARIABLES));
                } else if !variables && rng.chance(10) {
                    // In 2008-10-17 `${` is literal text, even unbalanced.
                    s.push_str("${aws:username");
                }
                if rng.chance(30) {
                    s.push('*');
                }
                Value::String(s)
            }
            "numeric" => match rng.below(4) {
                0 => json!(rng.below(10_000)),
                1 => json!(-(rng.below(100) as i64)),
                2 => json!(12.5),
                _ => Value::String(rng.pick(&["3600", "-1.5", "+7", "0.25", "  42 "]).to_string()),
            },
            "date" => Value::String(
                rng.pick(&[
                    "2026-01-01T00:00:00Z",
                    "2020-02-29",
                    "2019-12-31T23:59:59.999+02:00",
                    "20200101T120000Z",
                    "1767225600",
                    "1767225600.5",
                    "2026-06",
                    "2026",
                ])
                .to_string(),
            ),
            "bool" => match rng.below(3) {
                0 => json!(rng.chance(50)),
                1 => json!("true"),
                _ => json!(rng.pick(&["false", "TRUE", "yes"])),
            },
            "binary" => json!(rng.pick(&["aGVsbG8=", "aGVsbG8", "", "QUJD"])),
            "ip" => json!(rng.pick(&["10.0.0.0/8", "192.168.7.0/24", "0.0.0.0/0", "2001:db8::/32", "::1", "203.0.113.5", " 10.1.0.0/16"])),
            "arn" => {
                let r = resource(rng, variables);
                Value::String(if r == "*" { "arn:aws:*:*:*:*".into() } else { r })
            }
            _ => json!(rng.pick(&[json!(true), json!(false), json!("true"), json!("False")])),
        }
    };
    let n = rng.range(0, 3);
    let values = if n == 0 {
        if rng.chance(50) { Value::Array(Vec::new()) } else { value(rng) }
    } else if n == 1 && rng.chance(60) {
        value(rng)
    } else {
        Value::Array((0..n).map(|_| value(rng)).collect())
    };
    (name, values)
}

fn statement(rng: &mut Rng, kind: PolicyKind, variables: bool, index: usize) -> Value {
    let trust = kind == PolicyKind::Trust;
    let mut st = Map::new();
    if rng.chance(50) {
        // Unique Sids (empty ones may repeat).
        let sid = if rng.chance(10) { String::new() } else { format!("Sid{index}{}", ident(rng)) };
        st.insert("Sid".into(), sid.into());
    }
    st.insert("Effect".into(), if rng.chance(70) { "Allow" } else { "Deny" }.into());
    let needs_principal = matches!(kind, PolicyKind::Resource | PolicyKind::Trust | PolicyKind::Key | PolicyKind::Rcp);
    if needs_principal {
        let negated = !trust && rng.chance(15);
        st.insert(if negated { "NotPrincipal" } else { "Principal" }.into(), principal_value(rng, kind == PolicyKind::Rcp));
    }
    let negated = !trust && rng.chance(15);
    st.insert(if negated { "NotAction" } else { "Action" }.into(), one_or_array(rng, |r| action(r, trust), 4));
    if !trust {
        let negated = rng.chance(15);
        st.insert(if negated { "NotResource" } else { "Resource" }.into(), one_or_array(rng, |r| resource(r, variables), 3));
    }
    if rng.chance(60) {
        let mut ops = Map::new();
        for _ in 0..rng.range(1, 4) {
            let (op, values) = condition(rng, variables);
            let keys = ops.entry(op).or_insert_with(|| Value::Object(Map::new()));
            let k = *rng.pick(&KEYS);
            let key = spelling(rng, k);
            keys.as_object_mut().unwrap().insert(key, values);
        }
        st.insert("Condition".into(), Value::Object(ops));
    }
    Value::Object(st)
}

const KINDS: [PolicyKind; 8] = [
    PolicyKind::Identity,
    PolicyKind::Resource,
    PolicyKind::Trust,
    PolicyKind::Key,
    PolicyKind::Boundary,
    PolicyKind::Session,
    PolicyKind::Scp,
    PolicyKind::Rcp,
];

fn document(rng: &mut Rng, kind: PolicyKind) -> Value {
    let mut doc = Map::new();
    let version = match rng.below(10) {
        0 => None,
        1 => Some("2008-10-17"),
        _ => Some("2012-10-17"),
    };
    if let Some(v) = version {
        doc.insert("Version".into(), v.into());
    }
    if rng.chance(20) {
        doc.insert("Id".into(), format!("policy-{}", rng.below(1000)).into());
    }
    let variables = version == Some("2012-10-17");
    let n = rng.range(1, 5);
    let statements: Vec<Value> = (0..n).map(|i| statement(rng, kind, variables, i)).collect();
    let st = if n == 1 && rng.chance(40) { statements.into_iter().next().unwrap() } else { Value::Array(statements) };
    doc.insert("Statement".into(), st);
    Value::Object(doc)
}

fn unlimited(kind: PolicyKind) -> ParseOptions {
    ParseOptions::new(kind).with_size_limit(usize::MAX)
}

/// Pretty or compact text, sometimes with extra white space.
fn render(rng: &mut Rng, doc: &Value) -> String {
    match rng.below(3) {
        0 => serde_json::to_string_pretty(doc).unwrap(),
        1 => format!(" \n\t{doc}\r\n "),
        _ => doc.to_string(),
    }
}

fn parse_no_panic(text: &str, opts: ParseOptions) -> Result<Result<Policy, String>, String> {
    catch_unwind(AssertUnwindSafe(|| Policy::parse(text, opts).map_err(|e| e.to_string()))).map_err(|p| {
        p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
    })
}

// ---------------------------------------------------------------------------------------
// Properties.

#[test]
fn random_policies_round_trip() {
    let seed = base_seed();
    let mut rng = Rng::new(seed);
    let mut checked = 0;
    for case in 0..scale(2400) {
        let kind = KINDS[case % KINDS.len()];
        let doc = document(&mut rng, kind);
        let text = render(&mut rng, &doc);
        let ctx = || format!("seed {seed}, case {case}, kind {kind:?}:\n{text}");
        let first = match parse_no_panic(&text, unlimited(kind)) {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => panic!("generated policy does not parse: {e}\n{}", ctx()),
            Err(msg) => panic!("parse panicked: {msg}\n{}", ctx()),
        };
        let json = first.to_json();
        let again_text = json.to_string();
        let second = match parse_no_panic(&again_text, unlimited(kind)) {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => panic!("to_json output does not parse: {e}\nto_json: {again_text}\n{}", ctx()),
            Err(msg) => panic!("reparse panicked: {msg}\nto_json: {again_text}\n{}", ctx()),
        };
        assert_eq!(first, second, "parse → to_json → parse changed the policy\nto_json: {again_text}\n{}", ctx());
        assert_eq!(second.to_json(), json, "to_json is not a fixed point\n{}", ctx());
        // from_value reads the same document.
        assert_eq!(Policy::from_value(&doc, unlimited(kind)).as_ref().ok(), Some(&first), "from_value differs\n{}", ctx());
        checked += 1;
    }
    assert!(checked >= 2400);
}

/// Parsing as the wrong kind may fail but must not panic, and what parses round-trips.
#[test]
fn other_kinds_never_panic_and_round_trip() {
    let seed = base_seed() ^ 1;
    let mut rng = Rng::new(seed);
    for case in 0..scale(600) {
        let written_as = *rng.pick(&KINDS);
        let read_as = *rng.pick(&KINDS);
        let text = document(&mut rng, written_as).to_string();
        match parse_no_panic(&text, ParseOptions::new(read_as)) {
            Err(msg) => panic!("parse panicked: {msg}\nseed {seed}, case {case}, {read_as:?}:\n{text}"),
            Ok(Err(_)) => {}
            Ok(Ok(p)) => {
                let again = Policy::parse(&p.to_json().to_string(), unlimited(read_as));
                assert_eq!(again.as_ref().ok(), Some(&p), "round trip failed: seed {seed}, case {case}, {read_as:?}:\n{text}");
            }
        }
    }
}

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    const TOKENS: [&str; 24] = [
        "\"", "{", "}", "[", "]", ",", ":", "null", "true", "-0", "1e999999", "18446744073709551616",
        "-9223372036854775809", "0.000000000000000000000000000001e-400", "\"\\ud800\"", "\"\\u0000\"",
        "\\", "\"\\uDFFF\\uD800\"", "\u{e9}", "文", "\u{1F600}", "${", "*", "\"aaa\u{e9}bbb\"",
    ];
    for _ in 0..rng.range(1, 4) {
        if bytes.is_empty() {
            break;
        }
        let i = rng.below(bytes.len());
        match rng.below(6) {
            0 => bytes[i] ^= 1 << rng.below(8),
            1 => bytes[i] = rng.below(256) as u8,
            2 => bytes.truncate(i),
            3 => {
                bytes.remove(i);
            }
            4 => {
                let t = rng.pick(&TOKENS).as_bytes().to_vec();
                bytes.splice(i..i, t);
            }
            _ => {
                // Duplicate a slice (repeats keys, nests objects inside themselves).
                let j = rng.range(i, bytes.len().min(i + 64));
                let chunk = bytes[i..j].to_vec();
                bytes.splice(j..j, chunk);
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

#[test]
fn mutated_policies_never_panic() {
    let seed = base_seed() ^ 2;
    let mut rng = Rng::new(seed);
    let mut parsed = 0;
    for case in 0..scale(2000) {
        let kind = KINDS[case % KINDS.len()];
        let text = document(&mut rng, kind).to_string();
        let bad = mutate(&mut rng, &text);
        let opts = if rng.chance(50) { ParseOptions::new(kind) } else { unlimited(kind) };
        match parse_no_panic(&bad, opts) {
            Err(msg) => panic!("parse panicked: {msg}\nseed {seed}, case {case}, {kind:?}:\n{bad:?}"),
            Ok(Err(_)) => {}
            Ok(Ok(p)) => {
                parsed += 1;
                let again = Policy::parse(&p.to_json().to_string(), unlimited(kind));
                assert_eq!(again.as_ref().ok(), Some(&p), "mutant round trip failed: seed {seed}, case {case}:\n{bad:?}");
            }
        }
        // analyze returns findings rather than panicking, too.
        let r = catch_unwind(AssertUnwindSafe(|| analyze(&bad, opts)));
        assert!(r.is_ok(), "analyze panicked: seed {seed}, case {case}:\n{bad:?}");
    }
    // Many mutants (a flipped letter in a Sid, a changed value) are still valid.
    assert!(parsed > 0);
}

/// Hostile shapes written by hand.
#[test]
fn hostile_inputs_never_panic() {
    let deep_array = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
    let deep_condition = format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{{"StringEquals":{{"aws:x":{}"a"{}}}}}}}}}"#,
        "[".repeat(120),
        "]".repeat(120)
    );
    let cond = |op: &str, v: &str| {
        format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{{"{op}":{{"aws:x":{v}}}}}}}}}"#)
    };
    let long = "a".repeat(1 << 20);
    let mut cases: Vec<String> = vec![
        String::new(),
        " ".into(),
        "null".into(),
        "[]".into(),
        "{}".into(),
        "\u{feff}{}".into(),
        "\"\\ud800\"".into(),
        r#"{"Statement":[]}"#.into(),
        r#"{"Statement":{},"Version":1e999}"#.into(),
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}} trailing"#.into(),
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Sid":"\u0000\ud83d\ude00"}}"#.into(),
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::${aws:username","Sid":"x"}}"#.into(),
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":":","Resource":"*"}}"#.into(),
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"é:é","Resource":"${}"}}"#.into(),
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::é:root"},"Action":"s3:*","Resource":"*"}}"#.into(),
        deep_array,
        deep_object,
        deep_condition,
        format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"s3:{long}","Resource":"arn:aws:s3:::{long}"}}}}"#),
    ];
    for op in ["DateLessThan", "DateEquals", "NumericEquals", "IpAddress", "BinaryEquals", "Bool", "ArnLike", "Null", "StringLike"] {
        for v in [
            "1e999",
            "-1e999",
            "18446744073709551616",
            "-0",
            "1.7976931348623157e308",
            "\"9999999999999999999999999999999\"",
            "\"99999999999999999-01-01\"",
            "\"-99999999999999999\"",
            "\"aaa\u{e9}bbb\"",
            "\"20\u{e9}0101\"",
            "\"20200001\"",
            "\"20200001T000000Z\"",
            "\"20201301T000000Z\"",
            "\"20200132T000000Z\"",
            "\"20201301\"",
            "\"2020-00-01\"",
            "\"2020-4294967297-01\"",
            "\"2020-01-01T1\u{e9}\"",
            "\"2020-01-01T12:00:00+\u{e9}\"",
            "\"2020-01-01T\"",
            "\"T\"",
            "\"-\"",
            "\".\"",
            "\"1.2.3\"",
            "\"10.0.0.0/999\"",
            "\"::/\"",
            "\"===\"",
            "\"${aws:a, 'b'}\"",
            "\"${aws:a, '}\"",
            "\"${ , ''}\"",
            "[]",
            "[[]]",
            "{}",
            "null",
        ] {
            cases.push(cond(op, v));
            cases.push(cond(&format!("ForAnyValue:{op}IfExists"), v));
        }
    }
    for (i, text) in cases.iter().enumerate() {
        for kind in KINDS {
            for opts in [ParseOptions::new(kind), unlimited(kind)] {
                if let Err(msg) = parse_no_panic(text, opts) {
                    let shown: String = text.chars().take(300).collect();
                    panic!("parse panicked: {msg}\ncase {i}, {kind:?}: {shown:?}");
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// evaluate and explain agree.

/// A random request, and a builder of the same request with no context keys.
fn random_request_and_bare(rng: &mut Rng) -> (Request, RequestBuilder) {
    let principal = *rng.pick(&PRINCIPALS);
    let action = if rng.chance(90) { rng.pick(&ACTIONS).to_string() } else { action(rng, false).replace(['*', '?'], "x") };
    let resource = *rng.pick(&RESOURCES);
    let mut b = Request::builder(principal, &action, resource);
    if rng.chance(40) {
        let account = rng.word(&["111111111111", "222222222222", ""]);
        b = b.resource_account(account);
    }
    let bare = b.clone();
    for _ in 0..rng.range(0, 8) {
        let k = *rng.pick(&KEYS);
        let key = spelling(rng, k);
        b = match rng.below(4) {
            0 => b.context_multi(&key, (0..rng.below(3)).map(|_| rng.pick(&VALUES).to_string()).collect::<Vec<_>>()),
            _ => b.context(&key, *rng.pick(&VALUES)),
        };
    }
    (b.build(), bare)
}

/// Random documents of one kind that parse (unlimited size).
fn policies_of(rng: &mut Rng, kind: PolicyKind, n: usize) -> Vec<Policy> {
    (0..n).filter_map(|_| Policy::parse(&document(rng, kind).to_string(), unlimited(kind)).ok()).collect()
}

#[test]
fn evaluate_and_explain_agree() {
    let seed = base_seed() ^ 3;
    let mut rng = Rng::new(seed);
    let pool = |rng: &mut Rng, kind| policies_of(rng, kind, 40);
    let identity = pool(&mut rng, PolicyKind::Identity);
    let resource: Vec<Policy> =
        pool(&mut rng, PolicyKind::Resource).into_iter().chain(pool(&mut rng, PolicyKind::Trust)).chain(pool(&mut rng, PolicyKind::Key)).collect();
    let boundary = pool(&mut rng, PolicyKind::Boundary);
    let session = pool(&mut rng, PolicyKind::Session);
    let scp = pool(&mut rng, PolicyKind::Scp);
    let rcp = pool(&mut rng, PolicyKind::Rcp);
    let mut decisions = std::collections::BTreeMap::new();
    for case in 0..scale(3000) {
        let some = |rng: &mut Rng, from: &'_ [Policy], max: usize| -> Vec<usize> { (0..rng.range(0, max)).map(|_| rng.below(from.len())).collect() };
        let idx_identity = some(&mut rng, &identity, 4);
        let idx_resource = rng.chance(50).then(|| rng.below(resource.len()));
        let idx_boundary = if rng.chance(25) { some(&mut rng, &boundary, 1) } else { Vec::new() };
        let idx_session = if rng.chance(25) { some(&mut rng, &session, 2) } else { Vec::new() };
        let scp_levels: Vec<Vec<usize>> = if rng.chance(20) { (0..rng.range(1, 3)).map(|_| some(&mut rng, &scp, 2)).collect() } else { Vec::new() };
        let rcp_levels: Vec<Vec<usize>> = if rng.chance(15) { (0..rng.range(1, 2)).map(|_| some(&mut rng, &rcp, 2)).collect() } else { Vec::new() };
        let set = PolicySet {
            identity: idx_identity.iter().map(|&i| &identity[i]).collect(),
            resource: idx_resource.map(|i| &resource[i]),
            resource_mode: if rng.chance(30) { ResourcePolicyMode::Required } else { ResourcePolicyMode::Ordinary },
            permission_boundaries: idx_boundary.iter().map(|&i| &boundary[i]).collect(),
            session: idx_session.iter().map(|&i| &session[i]).collect(),
            scps: scp_levels.iter().map(|l| l.iter().map(|&i| &scp[i]).collect()).collect(),
            rcps: rcp_levels.iter().map(|l| l.iter().map(|&i| &rcp[i]).collect()).collect(),
        };
        let policies = set.identity.iter().copied().chain(set.resource).chain(set.permission_boundaries.iter().copied()).chain(set.session.iter().copied()).chain(set.scps.iter().flatten().copied()).chain(set.rcps.iter().flatten().copied());
        let read: Vec<&str> = policies.flat_map(Policy::context_keys).collect();
        for _ in 0..3 {
            let (req, bare) = random_request_and_bare(&mut rng);
            let ctx = || format!("seed {seed}, case {case}\nrequest: {req:?}\nset: {set:#?}");
            let fast = catch_unwind(AssertUnwindSafe(|| evaluate(&req, &set)))
                .unwrap_or_else(|_| panic!("evaluate panicked\n{}", ctx()));
            let slow = catch_unwind(AssertUnwindSafe(|| explain(&req, &set)))
                .unwrap_or_else(|_| panic!("explain panicked\n{}", ctx()));
            assert_eq!(fast, slow.decision, "evaluate and explain disagree\n{}", ctx());
            // What lets authz gather only the keys the set reads (none for most sets).
            let mut only = bare;
            for (k, v) in req.context().filter(|(k, _)| read.iter().any(|r| r.eq_ignore_ascii_case(k))) {
                only.insert(k, v.clone());
            }
            let only = only.build();
            assert_eq!(evaluate(&only, &set), fast, "the request with only the keys the set reads ({read:?}) decided differently\n{}", ctx());
            let traced = |r: &Request| serde_json::to_value(explain(r, &set)).expect("an explanation serializes");
            assert_eq!(traced(&only), traced(&req), "the request with only the keys the set reads explained differently\n{}", ctx());
            if read.is_empty() {
                *decisions.entry("without context").or_insert(0usize) += 1;
            } else if only.context().count() < req.context().count() {
                *decisions.entry("with some keys left out").or_insert(0usize) += 1;
            }
            // The trace is self-consistent: a policy allows (denies) exactly when one of its
            // Allow (Deny) statements applies.
            for p in &slow.policies {
                let allows = p.statements.iter().any(|s| s.applies && s.effect == edgeward_policy::Effect::Allow);
                let denies = p.statements.iter().any(|s| s.applies && s.effect == edgeward_policy::Effect::Deny);
                assert_eq!((p.allows, p.denies), (allows, denies), "trace summary disagrees with its statements\n{}", ctx());
            }
            assert!(serde_json::to_string(&slow).is_ok());
            *decisions.entry(fast.as_str()).or_insert(0usize) += 1;
        }
    }
    // The generator reaches every decision.
    assert_eq!(decisions.len(), 5, "decisions reached (and sets whose keys were filtered): {decisions:?}");
}

/// Every place a policy reads the context is in `context_keys`: a request carrying only
/// those keys decides as the full one, and each policy below needs its key to allow.
#[test]
fn a_request_with_only_the_keys_a_policy_reads_decides_the_same() {
    // (Actions cannot hold a variable: every variable's key has a colon.)
    let cases: [(&str, &[&str]); 4] = [
        (r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/home/${aws:username}/*"}"#, &["aws:username"]),
        (r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}}"#, &["s3:prefix", "aws:username"]),
        (
            r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:sqs:*:${aws:PrincipalAccount}:*"},"Null":{"aws:TokenIssueTime":"true"}}}"#,
            &["aws:sourcearn", "aws:principalaccount", "aws:tokenissuetime"],
        ),
        (r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualsIgnoreCase":{"aws:PrincipalTag/Team":"${aws:PrincipalTag/Lead}"}}}"#, &["aws:principaltag/team", "aws:principaltag/lead"]),
    ];
    let full = || {
        Request::builder("arn:aws:iam::111111111111:user/alice", "s3:GetObject", "arn:aws:s3:::b/home/alice/notes")
            .context("aws:username", "alice")
            .context("s3:prefix", "home/alice/docs")
            .context("aws:SourceArn", "arn:aws:sqs:us-east-1:111111111111:q")
            .context("aws:PrincipalAccount", "111111111111")
            .context("aws:PrincipalTag/Team", "Blue")
            .context("aws:PrincipalTag/Lead", "blue")
            .context("aws:SourceIp", "10.0.0.1")
            .context("aws:CurrentTime", "2026-01-01T00:00:00Z")
    };
    for (statement, expected) in cases {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":{statement}}}"#);
        let policy = Policy::parse(&text, ParseOptions::new(PolicyKind::Identity)).unwrap();
        let mut keys: Vec<&str> = policy.context_keys().collect();
        keys.sort_unstable();
        keys.dedup();
        let mut want = expected.to_vec();
        want.sort_unstable();
        assert_eq!(keys, want, "{statement}");
        let set = PolicySet { identity: vec![&policy], ..Default::default() };
        let request = full().build();
        let mut only = Request::builder("arn:aws:iam::111111111111:user/alice", "s3:GetObject", "arn:aws:s3:::b/home/alice/notes");
        for (k, v) in request.context().filter(|(k, _)| keys.iter().any(|r| r.eq_ignore_ascii_case(k))) {
            only.insert(k, v.clone());
        }
        assert_eq!(evaluate(&request, &set), Decision::Allowed, "{statement}");
        assert_eq!(evaluate(&only.build(), &set), Decision::Allowed, "{statement}");
        // Each key read matters: without it the policy no longer allows.
        for key in expected.iter().filter(|k| **k != "aws:tokenissuetime") {
            let mut without = Request::builder("arn:aws:iam::111111111111:user/alice", "s3:GetObject", "arn:aws:s3:::b/home/alice/notes");
            for (k, v) in request.context().filter(|(k, _)| !k.eq_ignore_ascii_case(key)) {
                without.insert(k, v.clone());
            }
            assert_ne!(evaluate(&without.build(), &set), Decision::Allowed, "{statement} without {key}");
        }
    }
}

// ---------------------------------------------------------------------------------------
// Regressions found by the properties above and by the fuzz target, kept as plain cases.

/// Typed request values reach the same parsers as policy values: never a panic.
#[test]
fn hostile_request_values_never_panic() {
    let policy = Policy::parse(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{
            "DateLessThanIfExists":{"aws:CurrentTime":"2030-01-01"},"NumericLessThanIfExists":{"aws:MultiFactorAuthAge":"3600"},
            "IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"},"BinaryEqualsIfExists":{"aws:x":"aGVsbG8="},
            "ArnLikeIfExists":{"aws:SourceArn":"arn:aws:s3:::*"}}}}"#,
        ParseOptions::new(PolicyKind::Identity),
    )
    .unwrap();
    let set = PolicySet { identity: vec![&policy], ..Default::default() };
    for v in ["aaa\u{e9}bbb", "20\u{e9}0101", "20200001", "20201301", "20200001T000000Z", "20201301T000000Z", "99999999999999999-01-01", "2020-01-01T1\u{e9}", "1e400", "\u{0}", "::", "=="] {
        for key in ["aws:CurrentTime", "aws:MultiFactorAuthAge", "aws:SourceIp", "aws:x", "aws:SourceArn"] {
            let req = Request::builder("arn:aws:iam::111111111111:user/alice", "s3:GetObject", "*").context(key, v).build();
            let r = catch_unwind(AssertUnwindSafe(|| (evaluate(&req, &set), explain(&req, &set).decision)));
            let (a, b) = r.unwrap_or_else(|_| panic!("evaluation panicked on {key} = {v:?}"));
            assert_eq!(a, b);
        }
    }
}

/// `"Principal": {"AWS": []}` must not parse into a policy whose JSON (`"Principal": {}`)
/// no longer parses.
#[test]
fn empty_principal_lists_round_trip_or_are_rejected() {
    for principal in [r#"{"AWS":[]}"#, r#"{"AWS":[],"Service":[]}"#, r#"{"Service":[],"AWS":"111111111111"}"#] {
        let text = format!(r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{principal},"Action":"s3:*","Resource":"*"}}}}"#);
        if let Ok(p) = Policy::parse(&text, ParseOptions::new(PolicyKind::Resource)) {
            let again = Policy::parse(&p.to_json().to_string(), ParseOptions::new(PolicyKind::Resource));
            assert_eq!(again.as_ref().ok(), Some(&p), "{principal}: parses, but its to_json {} does not", p.to_json());
        }
    }
}
