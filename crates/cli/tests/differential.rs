//! Differential run against the iam-simulate oracle (AGPL; run out of process, pinned in
//! conformance/iam-simulate/package.json): a bounded sample of seeded random cases, zero
//! unexplained differences. The oracle's npm packages are installed on first use.

mod common;
use common::*;
use std::process::Command;

#[test]
fn agrees_with_iam_simulate_on_10000_random_cases() {
    let dir = repo_root().join("conformance/iam-simulate");
    if !dir.join("node_modules/@cloud-copilot/iam-simulate").exists() {
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("npm is needed to install the iam-simulate oracle");
        assert!(status.success(), "npm ci in conformance/iam-simulate failed");
    }
    let out = Command::new("node")
        .args(["run.mjs", "--cases", "10000", "--seed", "20261127", "--edgeward", env!("CARGO_BIN_EXE_edgeward")])
        .current_dir(&dir)
        .output()
        .expect("node is needed to run the iam-simulate oracle");
    let text = stdout(&out);
    println!("{text}");
    assert!(out.status.success(), "unexplained differences against iam-simulate:\n{text}\n{}", stderr(&out));
    assert!(text.contains("0 unexplained"), "{text}");
}
