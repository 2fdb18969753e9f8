//! SQS through real clients (boto3 on awsJson1_0, the aws CLI, a raw signed awsQuery form
//! POST) against `edgeward cloud serve` started by the test: the seed story's dispatch
//! pattern across accounts, leases, redelivery, dead-letter queues, FIFO, long polling;
//! and durability across kill -9.

mod common;
use common::*;

fn run_on(server: &Server, script: &str, args: &[&str]) {
    let out = server.python_command(script).args(args).output().expect("run python");
    assert!(out.status.success() && stdout(&out).contains(": ok"), "{script} failed:\n{}\n{}", stdout(&out), stderr(&out));
}

#[test]
fn sqs_dispatch_pattern_with_boto3_cli_and_query() {
    let server = Server::start("sqs_dispatch");
    run_on(&server, "sqs_dispatch.py", &[]);
}

#[test]
fn sqs_acknowledged_sends_survive_kill_9_and_leases_expire_after_restart() {
    let server = Server::start("sqs_restart");
    run_on(&server, "sqs_restart_setup.py", &[]);
    let acked = server.data_dir.with_file_name(format!("{}-acked.txt", server.data_dir.file_name().unwrap().to_string_lossy()));
    let _ = std::fs::remove_file(&acked);
    let mut sender = server.python_command("sqs_sender.py").arg(&acked).spawn().expect("start the sender");
    // Kill the server mid-stream, once a fair number of sends were acknowledged.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::fs::read_to_string(&acked).map(|t| t.lines().count()).unwrap_or(0) < 60 {
        assert!(std::time::Instant::now() < deadline, "the sender made no progress");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let dir = server.kill();
    let _ = sender.wait();
    let server = Server::start_in(dir.clone());
    run_on(&server, "sqs_restart_check.py", &[acked.to_str().unwrap()]);
    drop(server);
    let _ = std::fs::remove_file(&acked);
    let _ = std::fs::remove_file(dir.with_file_name(format!("{}-sqs.json", dir.file_name().unwrap().to_string_lossy())));
}
