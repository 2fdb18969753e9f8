//! awsQuery for SQS's older clients: form parameters become the JSON protocol's input
//! shape (`Attribute.N.Name/Value` → `Attributes`, `SendMessageBatchRequestEntry.N.…` →
//! `Entries`, …), and the JSON output becomes the XML result with SQS's flattened names
//! (`<Attribute><Name/><Value/></Attribute>`, `<Message>`, `<QueueUrl>`, …).

use serde_json::{Map, Value};

use crate::protocol::query::Params;
use crate::protocol::xml::Xml;

/// Parameters that belong to the protocol or the signature, not the operation.
fn is_envelope(key: &str) -> bool {
    matches!(key, "Action" | "Version") || key.starts_with("X-Amz-") || key.starts_with("AWSAccessKeyId") || key.starts_with("Signature")
}

/// The JSON-shaped input of an awsQuery request.
pub fn query_input(params: &Params) -> Value {
    let mut root = Value::Object(Map::new());
    let op = params.get("Action").unwrap_or("");
    for (k, v) in params.pairs() {
        if is_envelope(k) {
            continue;
        }
        let segs: Vec<&str> = k.split('.').filter(|s| *s != "member").collect();
        insert(&mut root, &segs, v);
    }
    normalize(arrays(root), op)
}

fn insert(node: &mut Value, segs: &[&str], v: &str) {
    let Value::Object(map) = node else { return };
    match segs {
        [] => {}
        [last] => {
            map.insert(last.to_string(), Value::String(v.to_string()));
        }
        [first, rest @ ..] => {
            let child = map.entry(first.to_string()).or_insert_with(|| Value::Object(Map::new()));
            if !child.is_object() {
                *child = Value::Object(Map::new());
            }
            insert(child, rest, v);
        }
    }
}

/// Objects keyed 1, 2, … become arrays in index order.
fn arrays(v: Value) -> Value {
    match v {
        Value::Object(map) => {
            if !map.is_empty() && map.keys().all(|k| k.parse::<u32>().is_ok()) {
                let mut items: Vec<(u32, Value)> = map.into_iter().map(|(k, v)| (k.parse().unwrap_or(0), arrays(v))).collect();
                items.sort_by_key(|(i, _)| *i);
                Value::Array(items.into_iter().map(|(_, v)| v).collect())
            } else {
                Value::Object(map.into_iter().map(|(k, v)| (k, arrays(v))).collect())
            }
        }
        other => other,
    }
}

fn as_list(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        other => vec![other],
    }
}

/// `[{Name|Key, Value}]` → `{name: value}`.
fn pairs_to_map(v: Value, key: &str) -> Value {
    let mut out = Map::new();
    for item in as_list(v) {
        if let (Some(Value::String(k)), Some(val)) = (item.get(key).cloned(), item.get("Value").cloned()) {
            out.insert(k, val);
        }
    }
    Value::Object(out)
}

fn normalize(v: Value, op: &str) -> Value {
    let Value::Object(map) = v else { return v };
    let mut out = Map::new();
    for (k, v) in map {
        let (name, value) = match k.as_str() {
            "Attribute" => ("Attributes".to_string(), pairs_to_map(v, "Name")),
            "MessageAttribute" => ("MessageAttributes".to_string(), pairs_to_map(v, "Name")),
            "MessageSystemAttribute" => ("MessageSystemAttributes".to_string(), pairs_to_map(v, "Name")),
            "Tag" => ((if op == "CreateQueue" { "tags" } else { "Tags" }).to_string(), pairs_to_map(v, "Key")),
            "AttributeName" | "MessageAttributeName" | "MessageSystemAttributeName" | "TagKey" => (format!("{k}s"), Value::Array(as_list(v))),
            "AWSAccountId" => ("AWSAccountIds".to_string(), Value::Array(as_list(v))),
            "ActionName" => ("Actions".to_string(), Value::Array(as_list(v))),
            "SendMessageBatchRequestEntry" | "DeleteMessageBatchRequestEntry" | "ChangeMessageVisibilityBatchRequestEntry" => {
                ("Entries".to_string(), Value::Array(as_list(v).into_iter().map(|e| normalize(e, op)).collect()))
            }
            _ => (k, v),
        };
        out.insert(name, value);
    }
    Value::Object(out)
}

/// The XML inside `<OpResult>` for an operation's JSON output.
pub fn render(op: &str, output: &Value) -> String {
    let mut x = Xml::new();
    if let Value::Object(map) = output {
        for (k, v) in map {
            member(&mut x, op, k, v);
        }
    }
    x.finish()
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn object(x: &mut Xml, op: &str, v: &Value) {
    if let Value::Object(map) = v {
        for (k, v) in map {
            member(x, op, k, v);
        }
    }
}

fn member(x: &mut Xml, op: &str, key: &str, v: &Value) {
    let items = || v.as_array().cloned().unwrap_or_default();
    match key {
        "Attributes" => {
            for (k, val) in v.as_object().into_iter().flatten() {
                x.open("Attribute").elem("Name", k).elem("Value", &scalar(val)).close("Attribute");
            }
        }
        "MessageAttributes" => {
            for (k, val) in v.as_object().into_iter().flatten() {
                x.open("MessageAttribute").elem("Name", k).open("Value");
                object(x, op, val);
                x.close("Value").close("MessageAttribute");
            }
        }
        "Tags" => {
            for (k, val) in v.as_object().into_iter().flatten() {
                x.open("Tag").elem("Key", k).elem("Value", &scalar(val)).close("Tag");
            }
        }
        "QueueUrls" | "queueUrls" => {
            for u in items() {
                x.elem("QueueUrl", &scalar(&u));
            }
        }
        "Messages" | "Successful" | "Failed" | "Results" => {
            let name = match key {
                "Messages" => "Message".to_string(),
                "Failed" => "BatchResultErrorEntry".to_string(),
                "Results" => "ListMessageMoveTasksResultEntry".to_string(),
                _ => format!("{op}ResultEntry"),
            };
            for item in items() {
                x.open(&name);
                object(x, op, &item);
                x.close(&name);
            }
        }
        _ => match v {
            Value::Object(_) => {
                x.open(key);
                object(x, op, v);
                x.close(key);
            }
            Value::Array(a) => {
                for item in a {
                    x.elem(key, &scalar(item));
                }
            }
            other => {
                x.elem(key, &scalar(other));
            }
        },
    }
}
