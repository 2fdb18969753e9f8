//! The audit trail through real clients and the `edgeward` tools: LookupEvents with boto3
//! and the aws CLI, durability of acknowledged writes across `kill -9`, and
//! `edgeward audit verify` naming edited, deleted and reordered events.

mod common;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::*;
use edgeward_cloud::store::{tamper_trail, Snapshot, Tamper, TrailRead};

const VENDOR: &str = "111111111111";

fn verify(dir: &Path) -> (i32, String) {
    let out = edgeward(&["audit", "verify", "--data-dir", dir.to_str().unwrap()]);
    (out.status.code().unwrap_or(-1), format!("{}{}", stdout(&out), stderr(&out)))
}

fn event(db: &Path, seq: u64) -> Vec<u8> {
    let snap = Snapshot::open(db).unwrap_or_else(|e| panic!("{e}"));
    snap.account_trail(VENDOR).unwrap().events.into_iter().find(|(s, _)| *s == seq).unwrap_or_else(|| panic!("no event {seq}")).1
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map(|t| t.lines().count()).unwrap_or(0)
}

#[test]
fn lookup_events_with_boto3_and_the_aws_cli() {
    let server = Server::start("trail-lookup");
    let out = server.run_python("trail_lookup.py");
    assert!(out.status.success(), "trail_lookup.py failed:\n{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    let id = text.lines().find_map(|l| l.strip_prefix("denied-request-id: ")).expect("the script prints the denied request id").to_string();

    // With the server stopped, the tools read the store file itself.
    let dir = server.kill();
    let d = dir.to_str().unwrap();
    let out = edgeward(&["policy", "explain", "--request-id", &id, "--data-dir", d]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = stdout(&out);
    assert!(table.contains("iam:CreateUser") && table.contains("ImplicitlyDenied") && table.contains("POLICY"), "{table}");
    let out = edgeward(&["policy", "explain", "--request-id", &id, "--data-dir", d, "--output", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["requestId"], id.as_str());
    let (code, text) = verify(&dir);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains(&format!("account {VENDOR}: intact")) && text.contains("account 222222222222: intact"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn acknowledged_writes_survive_kill_9_and_verify_names_tampering() {
    let server = Server::start("trail-durability");
    let ack: PathBuf = std::env::temp_dir().join(format!("edgeward-acks-{}.txt", std::process::id()));
    let _ = std::fs::remove_file(&ack);
    let mut writer = server
        .python_command("trail_writer.py")
        .env("ACK_FILE", &ack)
        .env("THREADS", "8")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the writer");
    // Enough acknowledged writes for a count-triggered digest (every 1000 events), then
    // SIGKILL while the writers are still going.
    let deadline = Instant::now() + Duration::from_secs(300);
    while lines(&ack) < 1100 {
        assert!(writer.try_wait().unwrap().is_none(), "the writer stopped early");
        assert!(Instant::now() < deadline, "too slow: {} acknowledged", lines(&ack));
        std::thread::sleep(Duration::from_millis(20));
    }
    let dir = server.kill();
    writer.wait().unwrap();
    let acknowledged = lines(&ack);

    let server = Server::start_in(dir);
    let out = server.python_command("trail_acknowledged.py").env("ACK_FILE", &ack).output().unwrap();
    assert!(out.status.success(), "{acknowledged} acknowledged:\n{}\n{}", stdout(&out), stderr(&out));
    eprintln!("{}", stdout(&out).trim());
    let dir = server.kill();

    // The trail verifies, with at least one signed digest in the vendor account.
    let (code, text) = verify(&dir);
    assert_eq!(code, 0, "{text}");
    let line = text.lines().find(|l| l.starts_with(&format!("account {VENDOR}: intact"))).unwrap_or_else(|| panic!("{text}"));
    let digests: u64 = line.split(" digest(s)").next().and_then(|s| s.rsplit(' ').next()).and_then(|n| n.parse().ok()).unwrap();
    assert!(digests >= 1, "{line}");
    eprintln!("{line}");

    let db = dir.join("edgeward.redb");
    let restore = |seqs: &[u64], originals: &[Vec<u8>]| {
        let edits: Vec<Tamper> = seqs.iter().zip(originals).map(|(s, b)| Tamper::Put(*s, b.clone())).collect();
        tamper_trail(&db, VENDOR, &edits).unwrap();
        let (code, text) = verify(&dir);
        assert_eq!(code, 0, "restored, the trail verifies again: {text}");
    };

    // One byte of one event.
    let original = event(&db, 500);
    let mut edited = original.clone();
    let at = edited.windows(4).position(|w| w == b"dur-").expect("a user name in event 500");
    edited[at + 2] = b's';
    tamper_trail(&db, VENDOR, &[Tamper::Put(500, edited)]).unwrap();
    let (code, text) = verify(&dir);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(&format!("account {VENDOR} seq 500: edited")), "{text}");
    restore(&[500], &[original]);

    // A deleted event.
    let original = event(&db, 600);
    tamper_trail(&db, VENDOR, &[Tamper::Delete(600)]).unwrap();
    let (code, text) = verify(&dir);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(&format!("account {VENDOR} seq 600: deleted: event 600 was removed")), "{text}");
    restore(&[600], &[original]);

    // Two events swapped.
    let (a, b) = (event(&db, 700), event(&db, 701));
    tamper_trail(&db, VENDOR, &[Tamper::Put(700, b.clone()), Tamper::Put(701, a.clone())]).unwrap();
    let (code, text) = verify(&dir);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(&format!("account {VENDOR} seq 700: reordered")), "{text}");
    restore(&[700, 701], &[a, b]);

    // The last events removed: the signed digest still remembers them.
    let last = Snapshot::open(&db).unwrap().account_trail(VENDOR).unwrap().digests.last().map(|(_, d)| {
        serde_json::from_slice::<serde_json::Value>(d).unwrap()["lastSeq"].as_u64().unwrap()
    });
    let last = last.unwrap();
    let snap = Snapshot::open(&db).unwrap();
    let tail: Vec<u64> = snap.account_trail(VENDOR).unwrap().events.iter().map(|(s, _)| *s).filter(|s| *s > last - 2).collect();
    drop(snap);
    tamper_trail(&db, VENDOR, &tail.iter().map(|s| Tamper::Delete(*s)).collect::<Vec<_>>()).unwrap();
    let (code, text) = verify(&dir);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains(&format!("account {VENDOR} seq {}: deleted", last - 1)), "{text}");

    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&ack);
}
