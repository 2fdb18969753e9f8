//! S3 through real clients (boto3, the aws CLI, raw SigV4-signed requests) against
//! `edgeward cloud serve` started by the test: the API's semantics, cross-account access
//! with bucket and identity policies, the seed story's BYOK flow (SSE-KMS under a customer
//! key usable by the vendor only via S3, the kill switch, the trail), the aws CLI's
//! high-level commands, malformed requests answered with S3's errors, durability of acknowledged objects across kill -9 (and nothing left
//! by an upload the kill cut short), and bounded server memory for a 1 GiB object.

mod common;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;

fn run_on(server: &Server, script: &str) {
    let out = server.run_python(script);
    assert!(out.status.success() && stdout(&out).contains(": ok"), "{script} failed:\n{}\n{}", stdout(&out), stderr(&out));
}

/// A file beside the data directory (`<data dir>-<suffix>`), where scripts keep records.
fn beside(dir: &Path, suffix: &str) -> PathBuf {
    dir.with_file_name(format!("{}-{suffix}", dir.file_name().unwrap().to_string_lossy()))
}

#[test]
fn s3_api_semantics_with_boto3() {
    let server = Server::start("s3-api");
    run_on(&server, "s3_api.py");
}

#[test]
fn s3_malformed_requests_get_s3_errors_never_a_5xx() {
    let server = Server::start("s3-malformed");
    run_on(&server, "s3_malformed.py");
}

#[test]
fn s3_cross_account_bucket_and_identity_policies_with_boto3() {
    let server = Server::start("s3-cross-account");
    run_on(&server, "s3_cross_account.py");
}

#[test]
fn s3_byok_sse_kms_kill_switch_and_trail_with_boto3() {
    let server = Server::start("s3-byok");
    run_on(&server, "s3_byok.py");
}

#[test]
fn s3_with_the_aws_cli() {
    let server = Server::start("s3-cli");
    run_on(&server, "s3_cli.py");
}

#[test]
fn s3_acknowledged_objects_survive_kill_9_and_a_crashed_upload_leaves_nothing() {
    let server = Server::start("s3-restart");
    run_on(&server, "s3_restart_setup.py");
    let record = beside(&server.data_dir, "s3.json");
    let progress = beside(&server.data_dir, "upload-progress");
    let _ = std::fs::remove_file(&progress);

    // A 64 MiB PUT, sent slowly after its first 16 MiB: kill -9 the server while it streams.
    let mut upload = server
        .python_command("s3_crash_upload.py")
        .env("PROGRESS_FILE", &progress)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the upload");
    let tmp = server.data_dir.join("s3/tmp");
    let sent = || std::fs::read_to_string(&progress).ok().and_then(|t| t.trim().parse::<u64>().ok()).unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(120);
    // The server has a partial blob in tmp/ once the body is flowing.
    while sent() < 20 * 1024 * 1024 || std::fs::read_dir(&tmp).map(|d| d.count()).unwrap_or(0) == 0 {
        if let Some(status) = upload.try_wait().unwrap() {
            let out = upload.wait_with_output().unwrap();
            panic!("the upload stopped early ({status}):\n{}\n{}", stdout(&out), stderr(&out));
        }
        assert!(Instant::now() < deadline, "the upload made no progress: {} bytes sent", sent());
        std::thread::sleep(Duration::from_millis(50));
    }
    let dir = server.kill();
    let out = upload.wait_with_output().unwrap();
    assert!(stdout(&out).contains("cut short"), "the upload was not cut short:\n{}\n{}", stdout(&out), stderr(&out));

    let server = Server::start_in(dir);
    run_on(&server, "s3_restart_check.py");
    drop(server);
    let _ = std::fs::remove_file(&record);
    let _ = std::fs::remove_file(&progress);
}

#[test]
fn s3_one_gib_object_streams_with_bounded_server_memory() {
    let server = Server::start("s3-big");
    let started = Instant::now();
    let out = server.python_command("s3_big.py").env("SERVER_PID", server.child.id().to_string()).output().expect("run python");
    assert!(out.status.success() && stdout(&out).contains("s3_big: ok"), "s3_big.py failed:\n{}\n{}", stdout(&out), stderr(&out));
    eprintln!("{} ({:.0} s in all)", stdout(&out).lines().next().unwrap_or(""), started.elapsed().as_secs_f64());
}
