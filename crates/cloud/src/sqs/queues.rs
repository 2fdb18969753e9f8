//! Queue operations: create (idempotent for identical attributes), URLs, listing,
//! attributes (validated; Policy as a resource policy), tags, purge, delete, dead-letter
//! sources.

use std::collections::BTreeMap;

use edgeward_policy::{ContextValue, PolicyKind};
use serde_json::{json, Map, Value};

use super::model::{delivery_key, message_key, queue_arn, queue_key, Queue, QueueId, QueueRecord};
use super::{authorize, int_of, invalid, map_of, no_queue, queue_of, queue_url, required, str_of, strings_of, Ctx};
use crate::authz::{Access, ContextKey};
use crate::call::Call;
use crate::error::AwsError;
use crate::state::{put, PolicyDoc, State};

/// Attributes GetQueueAttributes knows (besides All).
const READABLE: &[&str] = &[
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesDelayed",
    "ApproximateNumberOfMessagesNotVisible",
    "ContentBasedDeduplication",
    "CreatedTimestamp",
    "DeduplicationScope",
    "DelaySeconds",
    "FifoQueue",
    "FifoThroughputLimit",
    "KmsDataKeyReusePeriodSeconds",
    "KmsMasterKeyId",
    "LastModifiedTimestamp",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "Policy",
    "QueueArn",
    "ReceiveMessageWaitTimeSeconds",
    "RedriveAllowPolicy",
    "RedrivePolicy",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
];

/// Attributes whose empty value removes them (SetQueueAttributes).
const REMOVABLE: &[&str] = &["Policy", "RedrivePolicy", "RedriveAllowPolicy", "KmsMasterKeyId"];

fn bad_value(name: &str) -> AwsError {
    AwsError::client("InvalidAttributeValue", format!("Invalid value for the parameter {name}."))
}

fn unknown_attribute(name: &str) -> AwsError {
    AwsError::client("InvalidAttributeName", format!("Unknown Attribute {name}."))
}

fn redrive_invalid(value: &str, reason: &str) -> AwsError {
    invalid(format!("Value {value} for parameter RedrivePolicy is invalid. Reason: {reason}"))
}

/// Validated attributes: canonical values, and the policy when one was given
/// (`Some(None)`: removed).
struct Validated {
    values: BTreeMap<String, String>,
    policy: Option<Option<PolicyDoc>>,
}

fn validate(st: &State, id: &QueueId, fifo: bool, attrs: &BTreeMap<String, String>, creating: bool) -> Result<Validated, AwsError> {
    let mut out = Validated { values: BTreeMap::new(), policy: None };
    let own_arn = queue_arn(&id.1, &id.0, &id.2);
    for (k, v) in attrs {
        // AWS ignores whitespace around attribute names.
        let k = &k.trim().to_string();
        let int = |min: i64, max: i64| -> Result<String, AwsError> {
            match v.trim().parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n.to_string()),
                _ => Err(bad_value(k)),
            }
        };
        let boolean = || -> Result<String, AwsError> {
            match v.to_ascii_lowercase().as_str() {
                "true" => Ok("true".into()),
                "false" => Ok("false".into()),
                _ => Err(bad_value(k)),
            }
        };
        let value = match k.as_str() {
            "VisibilityTimeout" => int(0, 43_200)?,
            "MessageRetentionPeriod" => int(60, 1_209_600)?,
            "DelaySeconds" => int(0, 900)?,
            "MaximumMessageSize" => int(1024, 1_048_576)?,
            "ReceiveMessageWaitTimeSeconds" => int(0, 20)?,
            "KmsDataKeyReusePeriodSeconds" => int(60, 86_400)?,
            "SqsManagedSseEnabled" => boolean()?,
            "KmsMasterKeyId" => v.clone(),
            "FifoQueue" if creating => boolean()?,
            "ContentBasedDeduplication" if fifo => boolean()?,
            "DeduplicationScope" if fifo => match v.as_str() {
                "messageGroup" | "queue" => v.clone(),
                _ => return Err(bad_value(k)),
            },
            "FifoThroughputLimit" if fifo => match v.as_str() {
                "perQueue" | "perMessageGroupId" => v.clone(),
                _ => return Err(bad_value(k)),
            },
            "Policy" => {
                if v.is_empty() && !creating {
                    out.policy = Some(None);
                } else {
                    let doc = PolicyDoc::new(v, PolicyKind::Resource, Some(20_480)).map_err(|e| {
                        AwsError::client("InvalidAttributeValue", format!("Invalid value for the parameter Policy. Reason: {e}"))
                    })?;
                    out.policy = Some(Some(doc));
                }
                v.clone()
            }
            "RedrivePolicy" if v.is_empty() && !creating => String::new(),
            "RedrivePolicy" => {
                let p: Value = serde_json::from_str(v).map_err(|_| redrive_invalid(v, "Invalid JSON."))?;
                let target = p.get("deadLetterTargetArn").and_then(Value::as_str).ok_or_else(|| redrive_invalid(v, "Redrive policy does not contain mandatory attribute: deadLetterTargetArn."))?;
                let max = match p.get("maxReceiveCount") {
                    Some(Value::Number(n)) => n.as_i64(),
                    Some(Value::String(s)) => s.parse().ok(),
                    None => return Err(redrive_invalid(v, "Redrive policy does not contain mandatory attribute: maxReceiveCount.")),
                    _ => None,
                };
                let max = max.filter(|m| (1..=1000).contains(m)).ok_or_else(|| {
                    redrive_invalid(v, &format!("Invalid value for maxReceiveCount: {}, valid values are from 1 to 1000 both inclusive.", p["maxReceiveCount"]))
                })?;
                let dlq = dlq_of(st, target).ok_or_else(|| redrive_invalid(v, "Dead letter target does not exist."))?;
                if dlq.is_fifo() != fifo {
                    return Err(redrive_invalid(v, "Dead-letter target must be same type of queue as the source."));
                }
                if !redrive_allowed(dlq, &own_arn) {
                    return Err(redrive_invalid(v, &format!("Queue {target} does not allow this queue to use it as a dead-letter queue.")));
                }
                json!({"deadLetterTargetArn": target, "maxReceiveCount": max}).to_string()
            }
            "RedriveAllowPolicy" if v.is_empty() && !creating => String::new(),
            "RedriveAllowPolicy" => {
                let bad = || invalid(format!("Value {v} for parameter RedriveAllowPolicy is invalid."));
                let p: Value = serde_json::from_str(v).map_err(|_| bad())?;
                let perm = p.get("redrivePermission").and_then(Value::as_str).ok_or_else(bad)?;
                let sources = p.get("sourceQueueArns").and_then(Value::as_array);
                match (perm, sources) {
                    ("allowAll" | "denyAll", None) => {}
                    ("byQueue", Some(s)) if (1..=10).contains(&s.len()) => {}
                    _ => return Err(bad()),
                }
                p.to_string()
            }
            _ => return Err(unknown_attribute(k)),
        };
        out.values.insert(k.clone(), value);
    }
    Ok(out)
}

/// The queue a dead-letter target ARN names.
pub(crate) fn dlq_of<'s>(st: &'s State, arn: &str) -> Option<&'s Queue> {
    let mut p = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some("sqs"), Some(region), Some(account), Some(name)) = (p.next(), p.next(), p.next(), p.next(), p.next(), p.next()) else {
        return None;
    };
    st.sqs.queues.get(&(account.to_string(), region.to_string(), name.to_string()))
}

fn redrive_allowed(dlq: &Queue, source_arn: &str) -> bool {
    let Some(p) = dlq.attr("RedriveAllowPolicy").and_then(|t| serde_json::from_str::<Value>(t).ok()) else { return true };
    match p.get("redrivePermission").and_then(Value::as_str) {
        Some("denyAll") => false,
        Some("byQueue") => p["sourceQueueArns"].as_array().is_some_and(|a| a.iter().any(|s| s.as_str() == Some(source_arn))),
        _ => true,
    }
}

fn valid_name(name: &str, fifo: bool) -> bool {
    let base = if fifo { name.strip_suffix(".fifo") } else { Some(name) };
    name.len() <= 80 && base.is_some_and(|b| !b.is_empty() && b.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'))
}

fn tag_context(tags: &BTreeMap<String, String>) -> Vec<(ContextKey, ContextValue)> {
    crate::authz::request_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

fn equal_values(name: &str, a: &str, b: &str) -> bool {
    if matches!(name, "Policy" | "RedrivePolicy" | "RedriveAllowPolicy") {
        if let (Ok(x), Ok(y)) = (serde_json::from_str::<Value>(a), serde_json::from_str::<Value>(b)) {
            return x == y;
        }
    }
    a == b
}

pub fn create_queue(call: &mut Call<'_>, st: &mut State, ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    let name = required(input, "QueueName")?;
    let attrs = map_of(input, "Attributes");
    let tags = map_of(input, "tags");
    let fifo = attrs.get("FifoQueue").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !valid_name(name, fifo) {
        return Err(invalid(if fifo || name.ends_with(".fifo") {
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length."
        } else {
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
        }));
    }
    let id: QueueId = (call.caller.account.clone(), call.region.clone(), name.to_string());
    let arn = queue_arn(&id.1, &id.0, &id.2);
    let mut access = Access::new("sqs:CreateQueue", arn.clone(), &id.0);
    access.context = tag_context(&tags);
    call.trail.resources.push((arn, "AWS::SQS::Queue".into()));
    call.authorize(st, &access)?;
    let v = validate(st, &id, fifo, &attrs, true)?;
    let url = queue_url(ctx.host, &id);
    if let Some(existing) = st.sqs.queues.get(&id) {
        for (k, given) in &v.values {
            if !existing.attr(k).is_some_and(|have| equal_values(k, have, given)) {
                return Err(AwsError::client("QueueAlreadyExists", format!("A queue already exists with the same name and a different value for attribute {k}")));
            }
        }
        return Ok(json!({ "QueueUrl": url }));
    }
    if tags.len() > 50 {
        return Err(invalid(format!("Too many tags added for queue {name}.")));
    }
    let mut values: BTreeMap<String, String> = [
        ("VisibilityTimeout", "30"),
        ("MessageRetentionPeriod", "345600"),
        ("DelaySeconds", "0"),
        ("MaximumMessageSize", "1048576"),
        ("ReceiveMessageWaitTimeSeconds", "0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if fifo {
        for (k, d) in [("ContentBasedDeduplication", "false"), ("DeduplicationScope", "queue"), ("FifoThroughputLimit", "perQueue")] {
            values.insert(k.into(), d.into());
        }
    }
    if v.values.contains_key("KmsMasterKeyId") {
        values.insert("KmsDataKeyReusePeriodSeconds".into(), "300".into());
        values.insert("SqsManagedSseEnabled".into(), "false".into());
    } else {
        values.insert("SqsManagedSseEnabled".into(), "true".into());
    }
    values.extend(v.values);
    values.retain(|k, val| !(k == "FifoQueue" && val == "false"));
    let now = ctx.now / 1000;
    let rec = QueueRecord { account: id.0.clone(), region: id.1.clone(), name: id.2.clone(), created: now, modified: now, attributes: values, tags };
    put(&mut call.batch, queue_key(&id), &rec);
    st.sqs.queues.insert(id, Queue::new(rec, v.policy.flatten()));
    call.trail.response_elements = Some(json!({ "queueUrl": url }));
    Ok(json!({ "QueueUrl": url }))
}

pub fn get_queue_url(call: &mut Call<'_>, st: &mut State, ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    let name = required(input, "QueueName")?;
    let owner = str_of(input, "QueueOwnerAWSAccountId").unwrap_or(&call.caller.account).to_string();
    let id: QueueId = (owner, call.region.clone(), name.to_string());
    let q = st.sqs.queues.get(&id).ok_or_else(no_queue)?;
    authorize(call, st, q, "GetQueueUrl", Vec::new())?;
    Ok(json!({ "QueueUrl": queue_url(ctx.host, &id) }))
}

/// A page of names after `next_token` (the last name of the previous page, base64).
fn page(names: Vec<String>, input: &Value) -> Result<(Vec<String>, Option<String>), AwsError> {
    let max = int_of(input, "MaxResults")?;
    if let Some(m) = max {
        if !(1..=1000).contains(&m) {
            return Err(invalid(format!("Value {m} for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.")));
        }
    }
    let after = match super::str_of(input, "NextToken") {
        Some(t) => Some(
            crate::protocol::base64::decode(t).and_then(|b| String::from_utf8(b).ok()).ok_or_else(|| invalid("Invalid or expired next token."))?,
        ),
        None => None,
    };
    let rest: Vec<String> = names.into_iter().filter(|n| after.as_ref().is_none_or(|a| n > a)).collect();
    let limit = max.unwrap_or(1000) as usize;
    let more = max.is_some() && rest.len() > limit;
    let page: Vec<String> = rest.into_iter().take(limit).collect();
    let token = more.then(|| crate::protocol::base64::encode(page.last().map(String::as_bytes).unwrap_or_default()));
    Ok((page, token))
}

fn urls_output(key: &str, ctx: &Ctx<'_>, account: &str, region: &str, names: Vec<String>, token: Option<String>) -> Value {
    let mut out = Map::new();
    if !names.is_empty() {
        let urls: Vec<Value> = names.iter().map(|n| Value::String(queue_url(ctx.host, &(account.to_string(), region.to_string(), n.clone())))).collect();
        out.insert(key.into(), Value::Array(urls));
    }
    if let Some(t) = token {
        out.insert("NextToken".into(), Value::String(t));
    }
    Value::Object(out)
}

pub fn list_queues(call: &mut Call<'_>, st: &mut State, ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    let account = call.caller.account.clone();
    let access = Access::new("sqs:ListQueues", "*", &account);
    call.authorize(st, &access)?;
    let prefix = str_of(input, "QueueNamePrefix").unwrap_or("");
    let names: Vec<String> = st
        .sqs
        .queues
        .keys()
        .filter(|(a, r, n)| *a == account && *r == call.region && n.starts_with(prefix))
        .map(|(_, _, n)| n.clone())
        .collect();
    let (names, token) = page(names, input)?;
    Ok(urls_output("QueueUrls", ctx, &account, &call.region, names, token))
}

pub fn list_dead_letter_source_queues(call: &mut Call<'_>, st: &mut State, ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    let q = queue_of(call, st, input)?;
    authorize(call, st, q, "ListDeadLetterSourceQueues", Vec::new())?;
    let arn = q.arn();
    let (account, region) = (q.rec.account.clone(), q.rec.region.clone());
    let names: Vec<String> = st
        .sqs
        .queues
        .values()
        .filter(|s| s.rec.account == account && s.rec.region == region && s.redrive().is_some_and(|(t, _)| t == arn))
        .map(|s| s.rec.name.clone())
        .collect();
    let (names, token) = page(names, input)?;
    Ok(urls_output("queueUrls", ctx, &account, &region, names, token))
}

pub fn delete_queue(call: &mut Call<'_>, st: &mut State, _ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    let q = queue_of(call, st, input)?;
    authorize(call, st, q, "DeleteQueue", Vec::new())?;
    let id = q.id();
    let q = st.sqs.queues.remove(&id).ok_or_else(no_queue)?;
    call.batch.delete(queue_key(&id));
    for (seq, m) in &q.messages {
        call.batch.delete(message_key(&id, *seq));
        if !m.delivery.token.is_empty() {
            call.batch.delete(delivery_key(&id, *seq));
        }
    }
    q.notify.notify_waiters();
    Ok(json!({}))
}

pub fn purge_queue(call: &mut Call<'_>, st: &mut State, ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    let q = queue_of(call, st, input)?;
    authorize(call, st, q, "PurgeQueue", Vec::new())?;
    let id = q.id();
    let q = st.sqs.queues.get_mut(&id).ok_or_else(no_queue)?;
    if q.last_purge.is_some_and(|t| ctx.now - t < 60_000) {
        return Err(AwsError::client(
            "AWS.SimpleQueueService.PurgeQueueInProgress",
            format!("Only one PurgeQueue operation on {} is allowed every 60 seconds.", id.2),
        ));
    }
    q.last_purge = Some(ctx.now);
    for (seq, m) in std::mem::take(&mut q.messages) {
        call.batch.delete(message_key(&id, seq));
        if !m.delivery.token.is_empty() {
            call.batch.delete(delivery_key(&id, seq));
        }
    }
    Ok(json!({}))
}

pub fn get_queue_attributes(call: &mut Call<'_>, st: &mut State, ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    let q = queue_of(call, st, input)?;
    authorize(call, st, q, "GetQueueAttributes", Vec::new())?;
    let id = q.id();
    super::messages::expire(call, st, &id, ctx.now);
    let q = st.sqs.queues.get(&id).ok_or_else(no_queue)?;
    let names = strings_of(input, "AttributeNames");
    for n in &names {
        if n != "All" && !READABLE.contains(&n.as_str()) {
            return Err(AwsError::client("InvalidAttributeName", format!("Unknown Attribute {n}.")));
        }
    }
    let all = names.iter().any(|n| n == "All");
    let mut out = Map::new();
    for name in READABLE {
        if !all && !names.iter().any(|n| n == name) {
            continue;
        }
        let now = ctx.now;
        let value = match *name {
            "ApproximateNumberOfMessages" => Some(q.messages.values().filter(|m| m.visible_at(now)).count().to_string()),
            "ApproximateNumberOfMessagesNotVisible" => Some(q.messages.values().filter(|m| m.in_flight(now)).count().to_string()),
            "ApproximateNumberOfMessagesDelayed" => Some(q.messages.values().filter(|m| m.rec.available > now).count().to_string()),
            "CreatedTimestamp" => Some(q.rec.created.to_string()),
            "LastModifiedTimestamp" => Some(q.rec.modified.to_string()),
            "QueueArn" => Some(q.arn()),
            other => q.attr(other).map(str::to_string),
        };
        if let Some(v) = value {
            out.insert(name.to_string(), Value::String(v));
        }
    }
    if out.is_empty() {
        return Ok(json!({}));
    }
    Ok(json!({ "Attributes": out }))
}

pub fn set_queue_attributes(call: &mut Call<'_>, st: &mut State, ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    let q = queue_of(call, st, input)?;
    authorize(call, st, q, "SetQueueAttributes", Vec::new())?;
    let id = q.id();
    let attrs = map_of(input, "Attributes");
    let v = validate(st, &id, q.is_fifo(), &attrs, false)?;
    let q = st.sqs.queues.get_mut(&id).ok_or_else(no_queue)?;
    for (k, val) in v.values {
        if val.is_empty() && REMOVABLE.contains(&k.as_str()) {
            q.rec.attributes.remove(&k);
        } else {
            if k == "KmsMasterKeyId" {
                q.rec.attributes.insert("SqsManagedSseEnabled".into(), "false".into());
                q.rec.attributes.entry("KmsDataKeyReusePeriodSeconds".into()).or_insert_with(|| "300".into());
            }
            if k == "SqsManagedSseEnabled" && val == "true" {
                q.rec.attributes.remove("KmsMasterKeyId");
            }
            q.rec.attributes.insert(k, val);
        }
    }
    if let Some(p) = v.policy {
        q.policy = p;
    }
    q.rec.modified = ctx.now / 1000;
    put(&mut call.batch, queue_key(&id), &q.rec);
    q.notify.notify_waiters();
    Ok(json!({}))
}

pub fn tag_queue(call: &mut Call<'_>, st: &mut State, _ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    let q = queue_of(call, st, input)?;
    let tags = map_of(input, "Tags");
    if tags.is_empty() {
        return Err(AwsError::client("MissingParameter", "The request must contain the parameter Tags."));
    }
    authorize(call, st, q, "TagQueue", tag_context(&tags))?;
    let id = q.id();
    let q = st.sqs.queues.get_mut(&id).ok_or_else(no_queue)?;
    let mut merged = q.rec.tags.clone();
    merged.extend(tags);
    if merged.len() > 50 {
        return Err(invalid(format!("Too many tags added for queue {}.", id.2)));
    }
    q.rec.tags = merged;
    put(&mut call.batch, queue_key(&id), &q.rec);
    Ok(json!({}))
}

pub fn untag_queue(call: &mut Call<'_>, st: &mut State, _ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    let q = queue_of(call, st, input)?;
    let keys = strings_of(input, "TagKeys");
    if keys.is_empty() || keys.iter().any(|k| k.is_empty() || k.chars().count() > 128) {
        return Err(invalid("Tag keys must be between 1 and 128 characters in length."));
    }
    authorize(call, st, q, "UntagQueue", vec![("aws:TagKeys".into(), ContextValue::Multi(keys.clone()))])?;
    let id = q.id();
    let q = st.sqs.queues.get_mut(&id).ok_or_else(no_queue)?;
    for k in keys {
        q.rec.tags.remove(&k);
    }
    put(&mut call.batch, queue_key(&id), &q.rec);
    Ok(json!({}))
}

pub fn list_queue_tags(call: &mut Call<'_>, st: &mut State, _ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    let q = queue_of(call, st, input)?;
    authorize(call, st, q, "ListQueueTags", Vec::new())?;
    if q.rec.tags.is_empty() {
        return Ok(json!({}));
    }
    Ok(json!({ "Tags": q.rec.tags }))
}
