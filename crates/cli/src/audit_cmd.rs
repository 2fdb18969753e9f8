//! `edgeward audit verify` and `edgeward policy explain --request-id`.
//!
//! Both read the cloud's store file directly when no server has it open. A running
//! `edgeward cloud serve` holds redb's exclusive lock on the file; then they ask that server
//! through its root-signed `/_edgeward/` endpoints (with `--endpoint`), or say how to.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use edgeward_cloud::store::{Snapshot, SnapshotError, TrailRead};
use edgeward_cloud::trail::admin::{decision_accounts, signed_get};
use edgeward_cloud::trail::digest::read_public_keys;
use edgeward_cloud::trail::verify::{verify_account, AccountReport};
use edgeward_cloud::{read_root_credentials, Config, RootCredentials};
use serde_json::Value;

const STORE_FILE: &str = "edgeward.redb";
const REGION: &str = "us-east-1";

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("edgeward: {message}");
    ExitCode::from(2)
}

/// The store, or None when a running server holds it (the caller then goes over HTTP).
fn open_store(dir: &Path) -> Result<Option<Snapshot>, String> {
    match Snapshot::open(&dir.join(STORE_FILE)) {
        Ok(s) => Ok(Some(s)),
        Err(SnapshotError::Locked) => Ok(None),
        Err(e) => Err(format!("cannot read the store in {}: {e}", dir.display())),
    }
}

/// The root credentials to sign with: the given account's, or every account's.
fn roots(dir: &Path, account: Option<&str>) -> Result<Vec<(String, RootCredentials)>, String> {
    let all = read_root_credentials(dir).map_err(|e| e.to_string())?;
    match account {
        Some(a) => all.get(a).map(|c| vec![(a.to_string(), c.clone())]).ok_or_else(|| format!("no account {a} in {}", dir.display())),
        None => Ok(all.into_iter().collect()),
    }
}

pub fn verify(data_dir: Option<PathBuf>, account: Option<String>, endpoint: Option<String>) -> ExitCode {
    let dir = data_dir.unwrap_or_else(Config::default_data_dir);
    let reports = match open_store(&dir) {
        Err(e) => return fail(e),
        Ok(Some(store)) => verify_local(&dir, &store, account.as_deref()),
        Ok(None) => match &endpoint {
            Some(url) => verify_remote(&dir, url, account.as_deref()),
            None => {
                return fail(format!(
                    "the store in {} is locked by a running `edgeward cloud serve` (redb allows no reader beside its writer). \
                     Stop the server and run this again, or verify through it: edgeward audit verify --data-dir {} --endpoint http://HOST:PORT",
                    dir.display(),
                    dir.display()
                ))
            }
        },
    };
    let reports = match reports {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let mut problems = 0;
    for r in &reports {
        println!("{}", r.summary());
        for p in &r.problems {
            println!("  {p}");
        }
        problems += r.problems.len();
    }
    if problems == 0 {
        println!("trail intact: {} account(s) verified", reports.len());
        ExitCode::SUCCESS
    } else {
        println!("trail NOT intact: {problems} problem(s)");
        ExitCode::from(1)
    }
}

fn verify_local(dir: &Path, store: &Snapshot, account: Option<&str>) -> Result<Vec<AccountReport>, String> {
    let accounts = match account {
        Some(a) => vec![a.to_string()],
        None => store.trail_accounts().map_err(|e| e.to_string())?,
    };
    let keys = read_public_keys(dir).ok();
    accounts
        .iter()
        .map(|a| store.account_trail(a).map(|t| verify_account(a, &t, keys.as_ref())).map_err(|e| e.to_string()))
        .collect()
}

fn verify_remote(dir: &Path, endpoint: &str, account: Option<&str>) -> Result<Vec<AccountReport>, String> {
    let mut out = Vec::new();
    for (id, creds) in roots(dir, account)? {
        let (status, body) = signed_get(endpoint, "/_edgeward/trail/verify", &creds, REGION)?;
        let v: Value = serde_json::from_str(&body).map_err(|e| format!("{endpoint} answered {status} with something that is not JSON: {e}"))?;
        if status != 200 {
            return Err(format!("{endpoint} refused to verify account {id}: {status} {}", v["message"].as_str().unwrap_or(&body)));
        }
        for r in v["accounts"].as_array().into_iter().flatten() {
            out.push(report_from_json(r).ok_or_else(|| format!("{endpoint} answered a report edgeward cannot read"))?);
        }
    }
    Ok(out)
}

fn report_from_json(v: &Value) -> Option<AccountReport> {
    use edgeward_cloud::trail::verify::{Problem, ProblemKind};
    let kind = |s: &str| {
        Some(match s {
            "edited" => ProblemKind::Edited,
            "deleted" => ProblemKind::Deleted,
            "inserted" => ProblemKind::Inserted,
            "reordered" => ProblemKind::Reordered,
            "digest" => ProblemKind::Digest,
            _ => return None,
        })
    };
    let problems = v["problems"]
        .as_array()?
        .iter()
        .map(|p| {
            Some(Problem { account: p["account"].as_str()?.into(), seq: p["seq"].as_u64(), kind: kind(p["kind"].as_str()?)?, detail: p["detail"].as_str()?.into() })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(AccountReport {
        account: v["account"].as_str()?.into(),
        events: v["events"].as_u64()? as usize,
        last_seq: v["lastSeq"].as_u64()?,
        digests: v["digests"].as_u64()? as usize,
        signed_through: v["signedThrough"].as_u64()?,
        problems,
    })
}

pub fn explain_request(request_id: &str, data_dir: Option<PathBuf>, endpoint: &str, json: bool) -> ExitCode {
    let dir = data_dir.unwrap_or_else(Config::default_data_dir);
    let record = match open_store(&dir) {
        Err(e) => return fail(e),
        Ok(Some(store)) => match store.decision(request_id) {
            Ok(Some(bytes)) => serde_json::from_slice::<Value>(&bytes).map_err(|e| format!("the decision {request_id} is damaged: {e}")),
            Ok(None) => Err(format!("no denied request with id {request_id} is recorded in {}", dir.display())),
            Err(e) => Err(e.to_string()),
        },
        Ok(None) => fetch_decision(&dir, endpoint, request_id),
    };
    let record = match record {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if json {
        println!("{record}");
    } else {
        print!("{}", render_decision(&record));
    }
    ExitCode::SUCCESS
}

/// Asks the running server, signing as each account's root in turn: a decision is shown
/// only to the root of the caller's or the resource owner's account.
fn fetch_decision(dir: &Path, endpoint: &str, request_id: &str) -> Result<Value, String> {
    let path = format!("/_edgeward/decisions/{request_id}");
    let mut last = String::new();
    for (_, creds) in roots(dir, None)? {
        let (status, body) = signed_get(endpoint, &path, &creds, REGION)?;
        let v: Value = serde_json::from_str(&body).map_err(|e| format!("{endpoint} answered {status} with something that is not JSON: {e}"))?;
        match status {
            200 => return Ok(v),
            404 => last = format!("no denied request with id {request_id} is recorded by the server at {endpoint}"),
            _ => return Err(format!("{endpoint} answered {status}: {}", v["message"].as_str().unwrap_or(&body))),
        }
    }
    Err(last)
}

/// A stored decision as a person reads it: who, what, AWS's message, then the statements.
fn render_decision(record: &Value) -> String {
    let text = |v: &Value| v.as_str().unwrap_or("?").to_string();
    let e = &record["explanation"];
    let mut s = String::new();
    let _ = writeln!(s, "request   {}", text(&record["requestId"]));
    let _ = writeln!(s, "decision  {} — {}", text(&e["decision"]), text(&e["summary"]));
    let _ = writeln!(s, "principal {} ({})", text(&record["principal"]), text(&e["principal_kind"]));
    let _ = writeln!(s, "action    {}", text(&record["action"]));
    let same = if e["same_account"].as_bool() == Some(false) { "cross-account" } else { "same account" };
    let _ = writeln!(s, "resource  {} ({same}; accounts {})", text(&record["resource"]), decision_accounts(record).join(", "));
    let _ = writeln!(s, "message   {}", text(&record["message"]));
    let _ = writeln!(s);
    crate::policy_cmd::render_policies(&mut s, &e["policies"]);
    s
}
