//! Parse arbitrary bytes as a policy of every kind; whatever parses must round-trip
//! through `to_json`, and must evaluate (fast path and `explain`) to the same decision
//! against a few fixed requests. Any panic is a bug.
#![no_main]

use std::sync::OnceLock;

use edgeward_policy::{
    analyze, evaluate, explain, ParseOptions, Policy, PolicyKind, PolicySet, Request, ResourcePolicyMode,
};
use libfuzzer_sys::fuzz_target;

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

fn requests() -> &'static [Request] {
    static REQUESTS: OnceLock<Vec<Request>> = OnceLock::new();
    REQUESTS.get_or_init(|| {
        let typed = |b: edgeward_policy::RequestBuilder| {
            b.context("aws:username", "alice")
                .context("aws:userid", "AIDAEXAMPLE:alice")
                .context("aws:PrincipalTag/team", "team-a")
                .context("aws:SourceIp", "10.1.2.3")
                .context("aws:CurrentTime", "2026-03-01T12:00:00Z")
                .context("aws:EpochTime", "1772366400")
                .context("aws:SecureTransport", "true")
                .context("aws:MultiFactorAuthAge", "120")
                .context("aws:SourceArn", "arn:aws:s3:::bucket-a")
                .context("aws:PrincipalArn", "arn:aws:iam::111111111111:role/Admin")
                .context("s3:prefix", "home/alice/")
                .context_multi("aws:TagKeys", ["team", "env"])
        };
        vec![
            typed(Request::builder("arn:aws:iam::111111111111:user/alice", "s3:GetObject", "arn:aws:s3:::bucket-a/home/alice/x")).build(),
            typed(Request::builder("arn:aws:sts::111111111111:assumed-role/Admin/alice", "sts:AssumeRole", "arn:aws:iam::111111111111:role/Admin")).build(),
            Request::builder("arn:aws:sts::222222222222:assumed-role/Deploy/ci", "kms:Decrypt", "arn:aws:kms:us-east-1:111111111111:key/k1")
                .resource_account("111111111111")
                .context("aws:SourceIp", "2001:db8::1")
                .context("aws:CurrentTime", "not a date")
                .context_multi("aws:PrincipalTag/team", Vec::<String>::new())
                .build(),
            Request::builder("s3.amazonaws.com", "s3:PutObject", "arn:aws:s3:::bucket-a/logs/1").context("aws:SourceAccount", "111111111111").build(),
            Request::builder("*", "s3:GetObject", "arn:aws:s3:::bucket-a/public/ü").build(),
            Request::builder("arn:aws:iam::111111111111:root", "iam:CreateAccessKey", "*").build(),
        ]
    })
}

fn check(policy: &Policy, kind: PolicyKind) {
    // Round trip: what parses serializes to a document that parses to the same policy.
    let json = policy.to_json().to_string();
    let again = Policy::parse(&json, ParseOptions::new(kind).with_size_limit(usize::MAX))
        .unwrap_or_else(|e| panic!("to_json output does not parse: {e}\n{json}"));
    assert!(again == *policy, "round trip changed the policy\n{json}");

    for req in requests() {
        let mut set = PolicySet::default();
        match kind {
            PolicyKind::Identity => set.identity = vec![policy],
            PolicyKind::Resource => set.resource = Some(policy),
            PolicyKind::Trust | PolicyKind::Key => {
                set.resource = Some(policy);
                set.resource_mode = ResourcePolicyMode::Required;
            }
            PolicyKind::Boundary => set.permission_boundaries = vec![policy],
            PolicyKind::Session => set.session = vec![policy],
            PolicyKind::Scp => set.scps = vec![vec![policy]],
            PolicyKind::Rcp => set.rcps = vec![vec![policy]],
        }
        // Also alongside an identity policy of its own (allows what it allows).
        let mut with_identity = set.clone();
        with_identity.identity.push(policy);
        for set in [&set, &with_identity] {
            let fast = evaluate(req, set);
            let slow = explain(req, set);
            assert_eq!(fast, slow.decision, "evaluate and explain disagree\n{json}\n{req:?}");
            assert!(!slow.summary.is_empty());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for kind in KINDS {
        let _ = analyze(&text, ParseOptions::new(kind));
        if let Ok(policy) = Policy::parse(&text, ParseOptions::new(kind).with_size_limit(usize::MAX)) {
            check(&policy, kind);
        }
    }
});
