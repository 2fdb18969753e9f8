use edgeward_policy::*;
#[test]
fn scratch() {
    let cases: serde_json::Value = serde_json::from_str(&std::fs::read_to_string("/tmp/cases/cases.json").unwrap()).unwrap();
    let opts = ParseOptions::new(PolicyKind::Identity).with_size_limit(6144).requiring_current_version();
    let mut bad = 0;
    for (i, c) in cases["invalid"].as_array().unwrap().iter().enumerate() {
        let doc = c["doc"].as_str().unwrap();
        let want = c["msg"].as_str().unwrap();
        match Policy::parse(doc, opts) {
            Ok(_) => { bad += 1; println!("INVALID {i}: accepted; want {want}\n   {doc}"); }
            Err(e) => if e.aws_message() != want { bad += 1; println!("INVALID {i}: got {:?} want {want:?}\n   {e}\n   {doc}", e.aws_message()); }
        }
    }
    for (i, c) in cases["valid"].as_array().unwrap().iter().enumerate() {
        let doc = c.as_str().unwrap();
        if let Err(e) = Policy::parse(doc, opts) { bad += 1; println!("VALID {i}: rejected: {e}\n   {doc}"); }
    }
    println!("mismatches: {bad}");
}
