//! The conformance corpus (`conformance/policy/*.json`): every case must match its expected
//! response, and every case must cite the AWS rule it checks.

mod common;
use common::*;

#[test]
fn every_corpus_case_matches_its_expected_response() {
    let dir = repo_root().join("conformance/policy");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("conformance/policy exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| p.display().to_string())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus files");
    let mut args = vec!["policy", "simulate"];
    args.extend(files.iter().map(String::as_str));
    let out = edgeward(&args);
    let text = stdout(&out);
    let failures: Vec<&str> = text.lines().filter(|l| l.contains("\"match\":false") || l.contains("\"error\"")).collect();
    assert!(failures.is_empty(), "corpus cases fail:\n{}\n{}", failures.join("\n"), stderr(&out));
    assert!(out.status.success(), "exit {:?}: {}", out.status, stderr(&out));
    let cases = text.lines().filter(|l| l.starts_with('{')).count();
    assert!(cases >= 200, "the corpus should have hundreds of cases, has {cases}");
    let unchecked = text.lines().filter(|l| l.contains("\"match\":null")).count();
    assert_eq!(unchecked, 0, "every corpus case states its expected response");
}

#[test]
fn every_corpus_case_cites_a_documented_rule() {
    let dir = repo_root().join("conformance/policy");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let cases: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for case in cases.as_array().expect("a corpus file is an array") {
            let name = case["name"].as_str().unwrap_or("?");
            let url = case["doc"]["url"].as_str().unwrap_or("");
            let rule = case["doc"]["rule"].as_str().unwrap_or("");
            assert!(url.starts_with("https://docs.aws.amazon.com/"), "{}: case {name} cites no AWS doc url", path.display());
            assert!(!rule.is_empty(), "{}: case {name} quotes no rule", path.display());
        }
    }
}
