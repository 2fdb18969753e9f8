//! Secrets Manager through real clients (boto3) against `edgeward cloud serve` started by the
//! test: the seed story's secrets flows both ways (exact ARNs, key policies, per-edge ABAC,
//! cross-account with resource policy and customer managed key, the AWS managed key refused
//! across accounts, the disable-key kill switch, the trail), the API's semantics (versions and
//! staging labels, deletion and recovery, listing, tags, passwords, resource policies), and
//! durability across a restart.

mod common;
use common::*;

fn run_on(server: &Server, script: &str) {
    let out = server.run_python(script);
    assert!(out.status.success() && stdout(&out).contains(": ok"), "{script} failed:\n{}\n{}", stdout(&out), stderr(&out));
}

#[test]
fn secrets_seed_flows_with_boto3() {
    let server = Server::start("secrets-seed");
    run_on(&server, "secrets_seed.py");
}

#[test]
fn secrets_api_semantics_with_boto3() {
    let server = Server::start("secrets-api");
    run_on(&server, "secrets_api.py");
}

#[test]
fn secrets_survive_a_restart() {
    let server = Server::start("secrets-restart");
    run_on(&server, "secrets_restart_setup.py");
    let dir = server.kill();
    let server = Server::start_in(dir);
    run_on(&server, "secrets_restart_check.py");
}
