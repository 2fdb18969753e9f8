//! KMS through real clients (boto3, the aws CLI) against `edgeward cloud serve` started by
//! the test: key policies, cross-account use, BYOK, grants, key states, rotation, the trail,
//! keys and ciphertexts surviving a restart, and asymmetric signing keys and data key pairs
//! (checked independently with Python's `cryptography`).

mod common;
use common::*;

fn run_on(server: &Server, script: &str) {
    let out = server.run_python(script);
    assert!(out.status.success() && stdout(&out).contains(": ok"), "{script} failed:\n{}\n{}", stdout(&out), stderr(&out));
}

#[test]
fn kms_policies_grants_states_and_byok_with_boto3() {
    let server = Server::start("kms_policies");
    run_on(&server, "kms_policies.py");
}

#[test]
fn kms_ecc_signing_keys_and_data_key_pairs_with_boto3() {
    let server = Server::start("kms_asymmetric");
    run_on(&server, "kms_asymmetric.py");
}

#[test]
fn kms_keys_and_ciphertexts_survive_a_restart() {
    let server = Server::start("kms_restart");
    run_on(&server, "kms_restart_setup.py");
    let dir = server.kill();
    let server = Server::start_in(dir.clone());
    run_on(&server, "kms_restart_check.py");
    drop(server);
    let _ = std::fs::remove_file(dir.with_file_name(format!("{}-kms.json", dir.file_name().unwrap().to_string_lossy())));
}
