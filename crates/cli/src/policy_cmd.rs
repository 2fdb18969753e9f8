//! `edgeward policy simulate | explain | validate`.

use std::fmt::Write as _;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use edgeward_policy::case::Case;
use edgeward_policy::{analyze, evaluate, explain as explain_request, Explanation, ParseOptions, PolicyKind, Severity};
use serde_json::{json, Value};

/// A case by name, or why it could not be read.
type NamedCase = (String, Result<Case, String>);

/// Reads a case file: a JSON array of cases or one case. Errors name the file and case.
fn read_cases(path: &Path) -> Result<Vec<NamedCase>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| format!("{}: not valid JSON: {e}", path.display()))?;
    let items = match value {
        Value::Array(items) => items,
        one @ Value::Object(_) => vec![one],
        _ => return Err(format!("{}: expected a case object or an array of cases", path.display())),
    };
    Ok(items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let name = item.get("name").and_then(Value::as_str).map(str::to_string).unwrap_or_else(|| format!("#{i}"));
            let case = serde_json::from_value::<Case>(item).map_err(|e| format!("not a valid case: {e}"));
            (name, case)
        })
        .collect())
}

pub fn simulate(files: &[PathBuf], repeat: u32) -> ExitCode {
    let mut timed = Vec::new();
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let (mut passed, mut failed, mut unchecked, mut unreadable) = (0usize, 0usize, 0usize, 0usize);
    for path in files {
        let cases = match read_cases(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("edgeward: {e}");
                unreadable += 1;
                continue;
            }
        };
        for (name, case) in cases {
            let compiled = case.and_then(|c| {
                let expected = c.expected.as_ref().map(|e| e.response);
                c.compile().map(|cc| (cc, expected)).map_err(|e| e.to_string())
            });
            let (compiled, expected) = match compiled {
                Ok(x) => x,
                Err(e) => {
                    eprintln!("edgeward: {}: case {name}: {e}", path.display());
                    let _ = writeln!(out, "{}", json!({"name": name, "error": e}));
                    unreadable += 1;
                    continue;
                }
            };
            let decision = evaluate(&compiled.request, &compiled.policy_set());
            if repeat > 0 {
                timed.push(compiled);
            }
            let matched = expected.map(|e| e == decision);
            match matched {
                Some(true) => passed += 1,
                Some(false) => failed += 1,
                None => unchecked += 1,
            }
            // Fields in a fixed order: name, decision, expected, match.
            let _ = writeln!(
                out,
                "{{\"name\":{},\"decision\":\"{}\",\"expected\":{},\"match\":{}}}",
                Value::String(name),
                decision.as_str(),
                expected.map_or("null".to_string(), |e| format!("\"{}\"", e.as_str())),
                matched.map_or("null".to_string(), |m| m.to_string()),
            );
        }
    }
    if repeat > 0 && !timed.is_empty() {
        let sets: Vec<_> = timed.iter().map(|c| c.policy_set()).collect();
        let start = std::time::Instant::now();
        let mut allowed = 0usize;
        for _ in 0..repeat {
            for (c, set) in timed.iter().zip(&sets) {
                allowed += usize::from(evaluate(&c.request, set).is_allowed());
            }
        }
        let evals = timed.len() as f64 * f64::from(repeat);
        let ns = start.elapsed().as_nanos() as f64 / evals;
        eprintln!("timing: {} cases x {repeat} rounds, {ns:.0} ns per evaluation (parse and compile excluded; {allowed} allowed)", timed.len());
    }
    let mut closing = format!("{passed} passed, {failed} failed");
    if unchecked > 0 {
        let _ = write!(closing, ", {unchecked} unchecked");
    }
    if unreadable > 0 {
        let _ = write!(closing, ", {unreadable} unreadable");
    }
    let _ = writeln!(out, "{closing}");
    let _ = out.flush();
    if unreadable > 0 {
        ExitCode::from(2)
    } else if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

pub fn explain(files: &[PathBuf], as_json: bool) -> ExitCode {
    let mut status = ExitCode::SUCCESS;
    let mut first = true;
    for path in files {
        let cases = match read_cases(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("edgeward: {e}");
                status = ExitCode::from(2);
                continue;
            }
        };
        for (name, case) in cases {
            let compiled = match case.and_then(|c| c.compile().map_err(|e| e.to_string())) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("edgeward: {}: case {name}: {e}", path.display());
                    status = ExitCode::from(2);
                    continue;
                }
            };
            let explanation = explain_request(&compiled.request, &compiled.policy_set());
            if as_json {
                println!("{}", json!({"name": name, "explanation": explanation}));
            } else {
                if !first {
                    println!();
                }
                print!("{}", render_table(&name, &compiled.request, &explanation));
            }
            first = false;
        }
    }
    status
}

fn yes(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The explanation as a table a person reads top to bottom.
fn render_table(name: &str, req: &edgeward_policy::Request, e: &Explanation) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "case      {name}");
    let _ = writeln!(s, "decision  {} — {}", e.decision.as_str(), e.summary);
    let _ = writeln!(s, "principal {} ({})", req.principal.arn, serde_json::to_value(e.principal_kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default());
    let _ = writeln!(s, "action    {}", req.action);
    let _ = writeln!(
        s,
        "resource  {} (account {}, {}{})",
        req.resource,
        req.resource_account.as_deref().unwrap_or("?"),
        if e.same_account { "same account" } else { "cross-account" },
        if e.resource_policy_mode == edgeward_policy::ResourcePolicyMode::Required { ", trust/key policy must allow" } else { "" }
    );
    let _ = writeln!(s);
    render_policies(&mut s, &serde_json::to_value(&e.policies).unwrap_or_default());
    s
}

/// The POLICY/STATEMENT table of an explanation's `policies`, from its JSON form (so a
/// stored explanation renders the same as a fresh one).
pub(crate) fn render_policies(s: &mut String, policies: &Value) {
    let text = |v: &Value| v.as_str().map(str::to_string).unwrap_or_default();
    let flag = |v: &Value| yes(v.as_bool().unwrap_or(false));
    let strings = |v: &Value| format!("{:?}", v.as_array().into_iter().flatten().map(text).collect::<Vec<_>>());
    let _ = writeln!(s, "{:<34} {:<16} {:<6} {:<8} {:<7} {:<9} {:<10} CONDITIONS", "POLICY", "STATEMENT", "EFFECT", "APPLIES", "ACTION", "RESOURCE", "PRINCIPAL");
    for p in policies.as_array().into_iter().flatten() {
        let mut label = match p["level"].as_u64() {
            Some(l) => format!("{}[{l}]", text(&p["role"])),
            None => text(&p["role"]),
        };
        if let Some(n) = p["name"].as_str() {
            let _ = write!(label, " '{n}'");
        }
        for st in p["statements"].as_array().into_iter().flatten() {
            let sid = st["sid"].as_str().map(str::to_string).unwrap_or_else(|| format!("#{}", st["index"]));
            let principal = if st["principal"].is_null() { "-".to_string() } else { text(&st["principal"]["grant"]) };
            let conditions = st["conditions"].as_array().map(Vec::as_slice).unwrap_or_default();
            let held = conditions.iter().filter(|c| c["result"].as_bool() == Some(true)).count();
            let conds = if conditions.is_empty() { "-".to_string() } else { format!("{held}/{} hold", conditions.len()) };
            let _ = writeln!(
                s,
                "{:<34} {:<16} {:<6} {:<8} {:<7} {:<9} {:<10} {}",
                truncate(&label, 34),
                truncate(&sid, 16),
                text(&st["effect"]),
                flag(&st["applies"]),
                flag(&st["action_matched"]),
                flag(&st["resource_matched"]),
                principal,
                conds
            );
            for c in conditions {
                let result = c["result"].as_bool().unwrap_or(false);
                let actual = if c["actual"].is_null() { "(missing)".to_string() } else { strings(&c["actual"]) };
                let _ = writeln!(s, "    {} {} {} {} actual {} -> {}", if result { "✓" } else { "✗" }, text(&c["operator"]), text(&c["key"]), strings(&c["expected"]), actual, result);
            }
        }
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

pub fn validate(files: &[PathBuf], kind: PolicyKind, size_limit: Option<usize>, as_json: bool) -> ExitCode {
    let mut any_error = false;
    let mut unreadable = false;
    for path in files {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("edgeward: {}: cannot read: {e}", path.display());
                unreadable = true;
                continue;
            }
        };
        let mut opts = ParseOptions::new(kind);
        if let Some(l) = size_limit {
            opts = opts.with_size_limit(l);
        }
        let (_, findings) = analyze(&text, opts);
        let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
        any_error |= errors > 0;
        if as_json {
            println!("{}", json!({"file": path.display().to_string(), "valid": errors == 0, "findings": findings}));
            continue;
        }
        if findings.is_empty() {
            println!("{}: valid", path.display());
        }
        for f in &findings {
            let sev = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let at = if f.path.is_empty() { String::new() } else { format!(" at {}", f.path) };
            println!("{}: {sev}: {}{at}: {}", path.display(), f.code, f.message);
        }
    }
    if unreadable {
        ExitCode::from(2)
    } else if any_error {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
