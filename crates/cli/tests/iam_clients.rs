//! IAM through real clients (boto3, the aws CLI) against `edgeward cloud serve` started by
//! the test: every operation family, policies taking effect, and durability across a
//! restart.

mod common;
use common::*;

fn run_on(server: &Server, script: &str) {
    let out = server.run_python(script);
    assert!(out.status.success() && stdout(&out).contains(": ok"), "{script} failed:\n{}\n{}", stdout(&out), stderr(&out));
}

fn run(script: &str) {
    let server = Server::start(script.trim_end_matches(".py"));
    run_on(&server, script);
}

#[test]
fn iam_lifecycle_with_boto3() {
    run("iam_lifecycle.py");
}

#[test]
fn iam_policies_take_effect_for_users_groups_boundaries_and_roles() {
    run("iam_enforcement.py");
}

#[test]
fn iam_with_the_aws_cli() {
    run("iam_cli.py");
}

#[test]
fn iam_entities_survive_a_restart() {
    let server = Server::start("iam_restart");
    run_on(&server, "iam_restart_setup.py");
    let dir = server.kill();
    let server = Server::start_in(dir);
    run_on(&server, "iam_restart_check.py");
}
