//! Evaluation and parse benchmarks.
//!
//! `cargo bench -p edgeward-policy --bench evaluate` (add `-- --quick` for a fast pass,
//! or a filter such as `-- identity_10`).
//!
//! Targets on a 2-core CI-sized machine: `evaluate/identity_10` ≤ 10 µs,
//! `evaluate/identity_100` ≤ 50 µs.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use edgeward_policy::{evaluate, explain, Decision, ParseOptions, Policy, PolicyKind, PolicySet, Request};

const ACCOUNT: &str = "111111111111";
const OTHER_ACCOUNT: &str = "222222222222";

/// An identity policy of five statements, varied by `i`: mixed services, ARN resources
/// with wildcards, and conditions of the common operator families, two with variables.
fn identity_policy(i: usize) -> String {
    format!(
        r#"{{
  "Version": "2012-10-17",
  "Id": "team-policy-{i}",
  "Statement": [
    {{
      "Sid": "DataBucket{i}",
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:PutObject"],
      "Resource": ["arn:aws:s3:::corp-data-{i}", "arn:aws:s3:::corp-data-{i}/*"],
      "Condition": {{
        "StringEquals": {{"aws:PrincipalTag/team": "team-{team}"}},
        "Bool": {{"aws:SecureTransport": "true"}},
        "IpAddress": {{"aws:SourceIp": ["10.0.0.0/8", "192.168.{octet}.0/24", "2001:db8::/32"]}}
      }}
    }},
    {{
      "Sid": "Instances{i}",
      "Effect": "Allow",
      "Action": ["ec2:Describe*", "ec2:StartInstances", "ec2:StopInstances"],
      "Resource": "arn:aws:ec2:*:{ACCOUNT}:instance/*",
      "Condition": {{
        "StringLike": {{"ec2:ResourceTag/Project": ["proj-{i}-*", "shared-*"]}},
        "StringEquals": {{"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}
      }}
    }},
    {{
      "Sid": "Tables{i}",
      "Effect": "Allow",
      "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:BatchGetItem"],
      "Resource": "arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/${{aws:PrincipalTag/team}}-{i}-*",
      "Condition": {{
        "ForAnyValue:StringEquals": {{"dynamodb:LeadingKeys": ["${{aws:userid}}", "shared"]}},
        "DateLessThan": {{"aws:CurrentTime": "2030-01-01T00:00:00Z"}}
      }}
    }},
    {{
      "Sid": "NoDeletes{i}",
      "Effect": "Deny",
      "Action": ["s3:DeleteObject*", "s3:PutBucketPolicy", "iam:*AccessKey*"],
      "Resource": "*",
      "Condition": {{"BoolIfExists": {{"aws:MultiFactorAuthPresent": "false"}}}}
    }},
    {{
      "Sid": "Home{i}",
      "Effect": "Allow",
      "Action": "s3:*Object",
      "Resource": "arn:aws:s3:::home-{i}/home/${{aws:username}}/*",
      "Condition": {{
        "StringLike": {{"s3:prefix": ["home/${{aws:username}}/*", ""]}},
        "NumericLessThan": {{"aws:MultiFactorAuthAge": "3600"}},
        "DateGreaterThan": {{"aws:CurrentTime": "2020-01-01"}}
      }}
    }}
  ]
}}"#,
        team = i % 3,
        octet = i % 256,
    )
}

fn parse(text: &str, kind: PolicyKind) -> Policy {
    Policy::parse(text, ParseOptions::new(kind)).unwrap_or_else(|e| panic!("bench policy does not parse: {e}\n{text}"))
}

/// A role session reading from the last policy's bucket: every policy's statements are
/// tried, the S3 statements of every policy match the action, and only the last allows.
fn request(n: usize) -> Request {
    let last = n - 1;
    Request::builder(
        &format!("arn:aws:sts::{ACCOUNT}:assumed-role/Analyst/alice"),
        "s3:GetObject",
        &format!("arn:aws:s3:::corp-data-{last}/reports/2026/q1.csv"),
    )
    .resource_account(ACCOUNT)
    .context("aws:PrincipalTag/team", format!("team-{}", last % 3))
    .context("aws:SecureTransport", "true")
    .context("aws:SourceIp", format!("192.168.{}.17", last % 256))
    .context("aws:CurrentTime", "2026-03-01T12:00:00Z")
    .context("aws:MultiFactorAuthPresent", "true")
    .context("aws:MultiFactorAuthAge", "120")
    .context("aws:username", "alice")
    .context("aws:userid", "AROAEXAMPLEID:alice")
    .context("aws:RequestedRegion", "us-east-1")
    .context_multi("aws:TagKeys", ["team", "cost-center"])
    .build()
}

fn identity_set(n: usize) -> (Vec<Policy>, Request) {
    let policies: Vec<Policy> =
        (0..n).map(|i| parse(&identity_policy(i), PolicyKind::Identity).with_name(format!("team-{i}"))).collect();
    (policies, request(n))
}

const RESOURCE_POLICY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "PartnerRead",
      "Effect": "Allow",
      "Principal": {"AWS": ["arn:aws:iam::111111111111:role/Analyst", "arn:aws:iam::333333333333:root"]},
      "Action": ["s3:GetObject", "s3:ListBucket"],
      "Resource": ["arn:aws:s3:::shared-bucket", "arn:aws:s3:::shared-bucket/exports/*"],
      "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123def4"}}
    },
    {
      "Sid": "TlsOnly",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": ["arn:aws:s3:::shared-bucket", "arn:aws:s3:::shared-bucket/*"],
      "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    },
    {
      "Sid": "NotFromElsewhere",
      "Effect": "Deny",
      "Principal": "*",
      "Action": "s3:*",
      "Resource": "arn:aws:s3:::shared-bucket/*",
      "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "203.0.113.0/24"]}, "Bool": {"aws:ViaAWSService": "false"}}
    },
    {
      "Sid": "Service",
      "Effect": "Allow",
      "Principal": {"Service": "logging.s3.amazonaws.com"},
      "Action": "s3:PutObject",
      "Resource": "arn:aws:s3:::shared-bucket/logs/*",
      "Condition": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::corp-*"}, "StringEquals": {"aws:SourceAccount": "222222222222"}}
    }
  ]
}"#;

const BOUNDARY: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "S3AndData", "Effect": "Allow", "Action": ["s3:Get*", "s3:List*", "dynamodb:*"], "Resource": "*"},
    {"Sid": "NoIam", "Effect": "Deny", "NotAction": ["sts:GetCallerIdentity", "s3:*", "dynamodb:*"], "Resource": "*"},
    {"Sid": "Regions", "Effect": "Deny", "Action": "*", "Resource": "*",
     "Condition": {"StringNotEqualsIfExists": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}}}
  ]
}"#;

const SESSION: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::shared-bucket/exports/${aws:PrincipalTag/team}/*"},
    {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::shared-bucket",
     "Condition": {"StringLike": {"s3:prefix": "exports/${aws:PrincipalTag/team}/*"}}}
  ]
}"#;

fn cross_account() -> (Vec<Policy>, Policy, Policy, Policy, Request) {
    let identity: Vec<Policy> = (0..3).map(|i| parse(&identity_policy(i), PolicyKind::Identity)).chain([parse(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],
            "Resource":["arn:aws:s3:::shared-bucket","arn:aws:s3:::shared-bucket/*"],
            "Condition":{"StringEquals":{"aws:ResourceAccount":"222222222222"}}}]}"#,
        PolicyKind::Identity,
    )])
    .collect();
    let resource = parse(RESOURCE_POLICY, PolicyKind::Resource);
    let boundary = parse(BOUNDARY, PolicyKind::Boundary);
    let session = parse(SESSION, PolicyKind::Session);
    let req = Request::builder(
        &format!("arn:aws:sts::{ACCOUNT}:assumed-role/Analyst/alice"),
        "s3:GetObject",
        "arn:aws:s3:::shared-bucket/exports/team-1/2026/q1.csv",
    )
    .resource_account(OTHER_ACCOUNT)
    .context("aws:PrincipalTag/team", "team-1")
    .context("aws:PrincipalOrgID", "o-abc123def4")
    .context("aws:ResourceAccount", OTHER_ACCOUNT)
    .context("aws:SecureTransport", "true")
    .context("aws:ViaAWSService", "false")
    .context("aws:SourceIp", "10.20.30.40")
    .context("aws:CurrentTime", "2026-03-01T12:00:00Z")
    .context("aws:RequestedRegion", "us-east-1")
    .context("aws:username", "alice")
    .build();
    (identity, resource, boundary, session, req)
}

fn benches(c: &mut Criterion) {
    let mut g = c.benchmark_group("evaluate");
    for n in [10usize, 100] {
        let (policies, req) = identity_set(n);
        let set = PolicySet { identity: policies.iter().collect(), ..Default::default() };
        assert_eq!(evaluate(&req, &set), Decision::Allowed, "bench request should be allowed by the last policy");
        g.bench_function(format!("identity_{n}"), |b| b.iter(|| evaluate(black_box(&req), black_box(&set))));
        g.bench_function(format!("identity_{n}_explain"), |b| b.iter(|| explain(black_box(&req), black_box(&set))));
    }
    let (identity, resource, boundary, session, req) = cross_account();
    let set = PolicySet {
        identity: identity.iter().collect(),
        resource: Some(&resource),
        permission_boundaries: vec![&boundary],
        session: vec![&session],
        ..Default::default()
    };
    assert_eq!(evaluate(&req, &set), Decision::Allowed, "cross-account bench request should be allowed");
    g.bench_function("cross_account", |b| b.iter(|| evaluate(black_box(&req), black_box(&set))));
    g.bench_function("cross_account_explain", |b| b.iter(|| explain(black_box(&req), black_box(&set))));
    // What a caller pays per request when it also builds the request.
    g.bench_function("build_request_and_evaluate_10", |b| {
        let (policies, _) = identity_set(10);
        let set = PolicySet { identity: policies.iter().collect(), ..Default::default() };
        b.iter(|| evaluate(&request(black_box(10)), &set))
    });
    g.finish();

    let mut g = c.benchmark_group("parse");
    let text = identity_policy(7);
    g.bench_function("identity_5_statements", |b| {
        b.iter(|| Policy::parse(black_box(&text), ParseOptions::new(PolicyKind::Identity)).unwrap())
    });
    g.bench_function("resource_4_statements", |b| {
        b.iter(|| Policy::parse(black_box(RESOURCE_POLICY), ParseOptions::new(PolicyKind::Resource)).unwrap())
    });
    g.finish();
}

criterion_group! {
    name = evaluate_benches;
    // Short runs: the machine is small and shared.
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3)).sample_size(50);
    targets = benches
}
criterion_main!(evaluate_benches);
