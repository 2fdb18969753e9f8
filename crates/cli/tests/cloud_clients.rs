//! Real clients (boto3, the aws CLI) against `edgeward cloud serve` started by the test.

mod common;
use common::*;

fn run(script: &str) {
    let server = Server::start(script.trim_end_matches(".py"));
    let out = server.run_python(script);
    assert!(out.status.success(), "{script} failed:\n{}\n{}", stdout(&out), stderr(&out));
}

#[test]
fn sts_assume_role_with_boto3_and_the_aws_cli() {
    run("sts_assume_role.py");
}

#[test]
fn sts_external_id_source_identity_transitive_tags_chaining_session_policies() {
    run("sts_chaining.py");
}
