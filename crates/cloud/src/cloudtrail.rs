//! CloudTrail (awsJson1_1): `LookupEvents` over the durable, hash-chained trail of the
//! caller's account, newest first, with AWS's lookup attributes, time range, page size and
//! opaque page token. Every other CloudTrail operation answers `NotImplemented` naming it.

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::authz::Access;
use crate::call::Call;
use crate::error::AwsError;

/// The lookup attributes AWS accepts (`LookupAttributeKey`).
const ATTRIBUTE_KEYS: &[&str] = &["EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource", "AccessKeyId"];
const DEFAULT_MAX_RESULTS: u64 = 50;

/// Whether `op` only reads (and so may take the read path): LookupEvents reads the
/// committed trail.
pub fn reads_only(op: &str) -> bool {
    op == "LookupEvents"
}

pub fn handle(call: &mut Call<'_>, op: &str, input: &Value) -> Result<Value, AwsError> {
    match op {
        "LookupEvents" => lookup_events(call, input),
        _ => Err(AwsError::new(501, "NotImplemented", format!("CloudTrail {op} is not implemented in edgeward (only LookupEvents is)"))),
    }
}

/// A parsed, validated LookupEvents request.
#[derive(Debug, Default, PartialEq)]
struct Query {
    attribute: Option<(String, String)>,
    start: Option<i64>,
    end: Option<i64>,
    max: u64,
    /// Continue below this sequence number.
    before: Option<u64>,
    insight: bool,
}

fn lookup_attributes_error(message: impl Into<String>) -> AwsError {
    AwsError::client("InvalidLookupAttributesException", message)
}

/// A timestamp as boto3 sends it (epoch seconds, possibly fractional) or as ISO 8601.
fn timestamp(v: &Value, name: &str) -> Result<Option<i64>, AwsError> {
    let bad = || AwsError::client("InvalidTimeRangeException", format!("{name} is not a valid timestamp"));
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => n.as_f64().filter(|f| f.is_finite()).map(|f| Some(f.floor() as i64)).ok_or_else(bad),
        Value::String(s) => crate::time::parse_iso8601(s).map(Some).ok_or_else(bad),
        _ => Err(bad()),
    }
}

/// Binds a page token to the account and the query it continues.
fn token_tag(account: &str, attribute: &Option<(String, String)>, start: Option<i64>, end: Option<i64>, insight: bool) -> String {
    let text = format!("{account}\n{attribute:?}\n{start:?}\n{end:?}\n{insight}");
    hex::encode(&Sha256::digest(text.as_bytes())[..8])
}

fn encode_token(before: u64, tag: &str) -> String {
    format!("ew1.{before}.{tag}")
}

fn parse(account: &str, input: &Value) -> Result<Query, AwsError> {
    let mut q = Query { max: DEFAULT_MAX_RESULTS, ..Query::default() };
    match &input["LookupAttributes"] {
        Value::Null => {}
        Value::Array(items) => {
            if items.len() > 1 {
                return Err(lookup_attributes_error("You cannot specify more than one lookup attribute."));
            }
            if let Some(item) = items.first() {
                let key = item["AttributeKey"].as_str().ok_or_else(|| lookup_attributes_error("AttributeKey is required."))?;
                let value = item["AttributeValue"].as_str().ok_or_else(|| lookup_attributes_error("AttributeValue is required."))?;
                if !ATTRIBUTE_KEYS.contains(&key) {
                    return Err(lookup_attributes_error(format!(
                        "Invalid attribute key: {key}. Valid keys are {}.",
                        ATTRIBUTE_KEYS.join(", ")
                    )));
                }
                if value.is_empty() || value.chars().count() > 2000 {
                    return Err(lookup_attributes_error("AttributeValue must be 1 to 2000 characters long."));
                }
                if key == "ReadOnly" && value != "true" && value != "false" {
                    return Err(lookup_attributes_error("The value of the ReadOnly attribute must be true or false."));
                }
                q.attribute = Some((key.to_string(), value.to_string()));
            }
        }
        _ => return Err(lookup_attributes_error("LookupAttributes must be a list.")),
    }
    q.start = timestamp(&input["StartTime"], "StartTime")?;
    q.end = timestamp(&input["EndTime"], "EndTime")?;
    if let (Some(s), Some(e)) = (q.start, q.end) {
        if s > e {
            return Err(AwsError::client("InvalidTimeRangeException", "Start time must be before end time."));
        }
    }
    match &input["MaxResults"] {
        Value::Null => {}
        v => match v.as_u64() {
            Some(n) if (1..=50).contains(&n) => q.max = n,
            _ => return Err(AwsError::client("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")),
        },
    }
    match &input["EventCategory"] {
        Value::Null => {}
        Value::String(s) if s == "insight" => q.insight = true,
        other => {
            return Err(AwsError::client("InvalidEventCategoryException", format!("{other} is not a valid event category; the only one is insight.")))
        }
    }
    let tag = token_tag(account, &q.attribute, q.start, q.end, q.insight);
    match &input["NextToken"] {
        Value::Null => {}
        v => {
            let bad = || AwsError::client("InvalidNextTokenException", "Invalid NextToken: it is not one this API returned for these parameters.");
            let text = v.as_str().ok_or_else(bad)?;
            let mut parts = text.split('.');
            let (Some("ew1"), Some(before), Some(t), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else { return Err(bad()) };
            if t != tag {
                return Err(bad());
            }
            q.before = Some(before.parse().map_err(|_| bad())?);
        }
    }
    Ok(q)
}

/// CloudTrail's `Username` for an event: the IAM user name, the role session name, `root`.
fn username(event: &Value) -> Option<String> {
    let id = &event["userIdentity"];
    match id["type"].as_str()? {
        "Root" => Some("root".into()),
        "AssumedRole" => id["arn"].as_str()?.rsplit('/').next().map(str::to_string),
        _ => id["userName"].as_str().map(str::to_string),
    }
}

/// The resources as LookupEvents lists them: type and name (the last part of the ARN).
fn resources(event: &Value) -> Vec<Value> {
    event["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let arn = r["ARN"].as_str().unwrap_or_default();
            json!({"ResourceType": r["type"], "ResourceName": arn})
        })
        .collect()
}

/// Whether an event matches the one lookup attribute.
fn matches(event: &Value, attribute: &Option<(String, String)>) -> bool {
    let Some((key, want)) = attribute else { return true };
    let s = |v: &Value| v.as_str().map(str::to_string);
    match key.as_str() {
        "EventId" => s(&event["eventID"]).as_deref() == Some(want),
        "EventName" => s(&event["eventName"]).as_deref() == Some(want),
        "EventSource" => s(&event["eventSource"]).as_deref() == Some(want),
        "ReadOnly" => event["readOnly"].as_bool().map(|b| b.to_string()).as_deref() == Some(want),
        "AccessKeyId" => s(&event["userIdentity"]["accessKeyId"]).as_deref() == Some(want),
        "Username" => username(event).as_deref() == Some(want),
        "ResourceType" | "ResourceName" => resources(event).iter().any(|r| r[key.as_str()].as_str() == Some(want)),
        _ => false,
    }
}

/// How far before StartTime the scan goes on: commit order and event time (taken when a
/// call starts) may disagree by the length of a call.
const TIME_SLACK_SECS: i64 = 300;

fn lookup_events(call: &mut Call<'_>, input: &Value) -> Result<Value, AwsError> {
    call.trail.read_only = true;
    let mut params = input.clone();
    if let Some(o) = params.as_object_mut() {
        o.remove("NextToken");
    }
    call.trail.request_parameters = Some(params);
    let account = call.caller.account.clone();
    {
        let cloud = call.cloud;
        let state = cloud.read_state();
        call.authorize(&state, &Access::new("cloudtrail:LookupEvents", "*", &account))?;
    }
    let q = parse(&account, input)?;
    if q.insight {
        // edgeward records no Insights events.
        return Ok(json!({"Events": []}));
    }
    let tag = token_tag(&account, &q.attribute, q.start, q.end, q.insight);
    let mut events = Vec::new();
    let mut next: Option<u64> = None;
    let mut failed = None;
    call.cloud
        .store
        .trail_rev(&account, q.before, |seq, bytes| {
            if events.len() as u64 == q.max {
                next = Some(seq + 1);
                return false;
            }
            let record: Value = match serde_json::from_slice(bytes) {
                Ok(v) => v,
                Err(e) => {
                    failed = Some(format!("the trail record {account}/{seq} is unreadable: {e}"));
                    return false;
                }
            };
            let event = &record["event"];
            let time = event["eventTime"].as_str().and_then(crate::time::parse_iso8601).unwrap_or(0);
            if q.start.is_some_and(|s| time < s - TIME_SLACK_SECS) {
                return false;
            }
            let in_range = q.start.is_none_or(|s| time >= s) && q.end.is_none_or(|e| time <= e);
            let in_region = event["awsRegion"].as_str() == Some(call.region.as_str());
            if in_range && in_region && matches(event, &q.attribute) {
                events.push(lookup_entry(event, &record["edgewardChain"], time));
            }
            true
        })
        .map_err(|e| AwsError::internal(e.to_string()))?;
    if let Some(f) = failed {
        return Err(AwsError::internal(f));
    }
    let mut out = json!({"Events": events});
    if let Some(before) = next {
        out["NextToken"] = encode_token(before, &tag).into();
    }
    Ok(out)
}

/// One `Event` of the response; `CloudTrailEvent` is the stored record as a JSON string,
/// with the chain position added as `edgewardChain`.
fn lookup_entry(event: &Value, chain: &Value, time: i64) -> Value {
    let mut full = event.clone();
    full["edgewardChain"] = chain.clone();
    let mut e = json!({
        "EventId": event["eventID"],
        "EventName": event["eventName"],
        "ReadOnly": event["readOnly"].as_bool().unwrap_or(false).to_string(),
        "EventTime": time,
        "EventSource": event["eventSource"],
        "Resources": resources(event),
        "CloudTrailEvent": full.to_string(),
    });
    if let Some(k) = event["userIdentity"]["accessKeyId"].as_str().filter(|k| !k.is_empty()) {
        e["AccessKeyId"] = k.into();
    }
    if let Some(u) = username(event) {
        e["Username"] = u.into();
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "111111111111";

    fn code(r: Result<Query, AwsError>) -> String {
        r.err().map(|e| e.code.to_string()).unwrap_or_default()
    }

    #[test]
    fn validates_like_aws() {
        assert_eq!(parse(A, &json!({})).unwrap().max, 50);
        let two = json!({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "a"}, {"AttributeKey": "EventName", "AttributeValue": "b"}]});
        assert_eq!(code(parse(A, &two)), "InvalidLookupAttributesException");
        assert_eq!(code(parse(A, &json!({"LookupAttributes": [{"AttributeKey": "Region", "AttributeValue": "x"}]}))), "InvalidLookupAttributesException");
        assert_eq!(code(parse(A, &json!({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": ""}]}))), "InvalidLookupAttributesException");
        assert_eq!(code(parse(A, &json!({"StartTime": 20, "EndTime": 10}))), "InvalidTimeRangeException");
        assert_eq!(parse(A, &json!({"StartTime": 10.5, "EndTime": "2015-08-30T12:36:00Z"})).unwrap().end, Some(1_440_938_160));
        assert_eq!(code(parse(A, &json!({"MaxResults": 0}))), "InvalidMaxResultsException");
        assert_eq!(code(parse(A, &json!({"MaxResults": 51}))), "InvalidMaxResultsException");
        assert_eq!(code(parse(A, &json!({"NextToken": "garbage"}))), "InvalidNextTokenException");
        assert_eq!(code(parse(A, &json!({"EventCategory": "data"}))), "InvalidEventCategoryException");
    }

    #[test]
    fn tokens_are_bound_to_account_and_query() {
        let tag = token_tag(A, &None, None, None, false);
        let token = encode_token(17, &tag);
        assert_eq!(parse(A, &json!({"NextToken": token})).unwrap().before, Some(17));
        assert_eq!(code(parse("222222222222", &json!({"NextToken": token}))), "InvalidNextTokenException");
        let other = json!({"NextToken": token, "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "x"}]});
        assert_eq!(code(parse(A, &other)), "InvalidNextTokenException");
    }

    #[test]
    fn attributes_match_event_fields() {
        let e = json!({
            "eventID": "e1", "eventName": "AssumeRole", "eventSource": "sts.amazonaws.com", "readOnly": false,
            "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::1:assumed-role/r/sess", "accessKeyId": "ASIA1"},
            "resources": [{"ARN": "arn:aws:iam::2:role/r", "type": "AWS::IAM::Role"}],
        });
        let m = |k: &str, v: &str| matches(&e, &Some((k.into(), v.into())));
        assert!(m("EventId", "e1") && m("EventName", "AssumeRole") && m("EventSource", "sts.amazonaws.com"));
        assert!(m("ReadOnly", "false") && !m("ReadOnly", "true"));
        assert!(m("Username", "sess") && m("AccessKeyId", "ASIA1"));
        assert!(m("ResourceType", "AWS::IAM::Role") && m("ResourceName", "arn:aws:iam::2:role/r"));
        assert!(!m("EventName", "GetUser"));
    }
}
