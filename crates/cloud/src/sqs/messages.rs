//! Message operations: send (attributes and their MD5s, delays, FIFO groups and
//! deduplication), receive (visibility leases, receipt handles, long polling, moves to the
//! dead-letter queue after maxReceiveCount receives), delete, visibility changes, retention
//! expiry (by the request clock), and redrive tasks from a dead-letter queue.

use std::collections::{BTreeMap, HashSet};

use serde_json::{json, Map, Value};

use super::md5::{attributes_md5, md5_hex};
use super::model::{delivery_key, message_key, Delivery, Message, MessageAttribute, MessageRecord, MoveTask, Queue, QueueId};
use super::{authorize, int_of, invalid, missing, no_queue, queue_of, required, str_of, strings_of, Ctx, Poll, Wait};
use crate::call::Call;
use crate::error::AwsError;
use crate::state::{put, State};
use crate::store::Batch;

/// FIFO queues drop a message whose deduplication id was seen in the last five minutes.
pub const DEDUP_WINDOW_MS: i64 = 5 * 60 * 1000;

const SYSTEM_ATTRIBUTES: &[&str] = &[
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
];

/// The key a deduplication id is remembered under (per queue, or per group).
pub fn dedup_scope(q: &Queue, group: Option<&str>, id: &str) -> String {
    if q.attr("DeduplicationScope") == Some("messageGroup") {
        format!("{}\n{id}", group.unwrap_or(""))
    } else {
        id.to_string()
    }
}

fn remove_message(batch: &mut Batch, id: &QueueId, q: &mut Queue, seq: u64) -> Option<Message> {
    let m = q.messages.remove(&seq)?;
    batch.delete(message_key(id, seq));
    if !m.delivery.token.is_empty() {
        batch.delete(delivery_key(id, seq));
    }
    Some(m)
}

/// Drops the messages older than the queue's retention period, and forgets deduplication
/// ids older than the window.
pub fn expire(call: &mut Call<'_>, st: &mut State, id: &QueueId, now: i64) {
    let Some(q) = st.sqs.queues.get_mut(id) else { return };
    let keep = q.int_attr("MessageRetentionPeriod", 345_600) * 1000;
    let old: Vec<u64> = q.messages.iter().filter(|(_, m)| m.rec.sent + keep <= now).map(|(s, _)| *s).collect();
    for seq in old {
        remove_message(&mut call.batch, id, q, seq);
    }
    q.dedup.retain(|_, (until, _)| *until > now);
}

/// Appends messages to a queue (moves to and from dead-letter queues).
fn append(batch: &mut Batch, q: &mut Queue, moved: Vec<MessageRecord>) {
    let id = q.id();
    for rec in moved {
        let seq = q.next_seq;
        q.next_seq += 1;
        put(batch, message_key(&id, seq), &rec);
        q.messages.insert(seq, Message { rec, delivery: Delivery::default() });
    }
    q.notify.notify_waiters();
}

// ---- sending ----

fn valid_body_chars(body: &str) -> bool {
    body.chars().all(|c| matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF))
}

/// Message attributes from the JSON shape (`{name: {DataType, StringValue|BinaryValue}}`).
fn parse_attributes(v: Option<&Value>, system: bool) -> Result<BTreeMap<String, MessageAttribute>, AwsError> {
    let mut out = BTreeMap::new();
    let Some(map) = v.and_then(Value::as_object) else { return Ok(out) };
    if map.len() > 10 {
        return Err(invalid(format!("Number of message attributes [{}] exceeds the allowed maximum [10].", map.len())));
    }
    for (name, a) in map {
        if system && name != "AWSTraceHeader" {
            return Err(invalid(format!("Message system attribute name '{name}' is invalid.")));
        }
        let name_ok = !name.is_empty()
            && name.len() <= 256
            && name.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
            && !name.starts_with('.')
            && !name.ends_with('.')
            && !name.contains("..")
            && !(name.to_ascii_lowercase().starts_with("aws.") || name.to_ascii_lowercase().starts_with("amazon."));
        if !name_ok && !system {
            return Err(invalid(format!(
                "The message attribute name '{name}' is invalid. Attribute name can contain A-Z, a-z, 0-9, underscore (_), hyphen (-), and period (.) characters."
            )));
        }
        let data_type = a.get("DataType").and_then(Value::as_str).unwrap_or("");
        if data_type.is_empty() {
            return Err(invalid(format!("The message attribute '{name}' must contain non-empty message attribute type.")));
        }
        let base = data_type.split('.').next().unwrap_or("");
        let string = a.get("StringValue").and_then(Value::as_str);
        let binary = a.get("BinaryValue").and_then(Value::as_str);
        let attr = match base {
            "String" | "Number" => {
                let s = string.filter(|s| !s.is_empty()).ok_or_else(|| {
                    invalid(format!("The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{base}'."))
                })?;
                if base == "Number" && s.trim().parse::<f64>().is_err() {
                    return Err(invalid(format!("Can't cast the value of message (user) attribute '{name}' to a number.")));
                }
                MessageAttribute { data_type: data_type.to_string(), string: Some(s.to_string()), binary: None }
            }
            "Binary" => {
                let b = binary
                    .and_then(crate::protocol::base64::decode)
                    .filter(|b| !b.is_empty())
                    .ok_or_else(|| invalid(format!("The message attribute '{name}' must contain non-empty message attribute value for message attribute type 'Binary'.")))?;
                MessageAttribute { data_type: data_type.to_string(), string: None, binary: Some(b) }
            }
            _ => {
                return Err(invalid(format!(
                    "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
                )))
            }
        };
        out.insert(name.clone(), attr);
    }
    Ok(out)
}

fn attributes_size(attrs: &BTreeMap<String, MessageAttribute>) -> usize {
    attrs.iter().map(|(n, a)| n.len() + a.data_type.len() + a.string.as_ref().map_or(0, String::len) + a.binary.as_ref().map_or(0, Vec::len)).sum()
}

fn entry_size(e: &Value) -> usize {
    let body = str_of(e, "MessageBody").map_or(0, str::len);
    body + parse_attributes(e.get("MessageAttributes"), false).map(|a| attributes_size(&a)).unwrap_or(0)
}

/// Sends one message (SendMessage, or one SendMessageBatch entry).
fn send_one(batch: &mut Batch, q: &mut Queue, ctx: &Ctx<'_>, sender: &str, e: &Value) -> Result<Map<String, Value>, AwsError> {
    let body = str_of(e, "MessageBody").filter(|b| !b.is_empty()).ok_or_else(|| missing("MessageBody"))?;
    if !valid_body_chars(body) {
        return Err(AwsError::client(
            "InvalidMessageContents",
            "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
        ));
    }
    let attrs = parse_attributes(e.get("MessageAttributes"), false)?;
    let system = parse_attributes(e.get("MessageSystemAttributes"), true)?;
    let max = q.int_attr("MaximumMessageSize", 1_048_576) as usize;
    if body.len() + attributes_size(&attrs) > max {
        return Err(invalid(format!("One or more parameters are invalid. Reason: Message must be shorter than {max} bytes.")));
    }
    let fifo = q.is_fifo();
    let delay = match int_of(e, "DelaySeconds")? {
        Some(d) if fifo && d != 0 => {
            return Err(invalid(format!("Value {d} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.")))
        }
        Some(d) if !(0..=900).contains(&d) => {
            return Err(invalid(format!("Value {d} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.")))
        }
        Some(d) => d,
        None => q.int_attr("DelaySeconds", 0),
    };
    let group = str_of(e, "MessageGroupId").map(str::to_string);
    let mut dedup = str_of(e, "MessageDeduplicationId").map(str::to_string);
    if fifo {
        if group.is_none() {
            return Err(missing("MessageGroupId"));
        }
        if dedup.is_none() {
            if q.attr("ContentBasedDeduplication") != Some("true") {
                return Err(invalid("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"));
            }
            dedup = Some(crate::sigv4::sha256_hex(body.as_bytes()));
        }
    } else if let Some(d) = &dedup {
        return Err(invalid(format!("Value {d} for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type.")));
    }
    let mut out = Map::new();
    out.insert("MD5OfMessageBody".into(), Value::String(md5_hex(body.as_bytes())));
    if let Some(m) = attributes_md5(&attrs) {
        out.insert("MD5OfMessageAttributes".into(), Value::String(m));
    }
    if let Some(m) = attributes_md5(&system) {
        out.insert("MD5OfMessageSystemAttributes".into(), Value::String(m));
    }
    if let Some(d) = &dedup {
        let scope = dedup_scope(q, group.as_deref(), d);
        if let Some((until, id)) = q.dedup.get(&scope) {
            if *until > ctx.now {
                // Accepted, not enqueued again: the original message's id.
                out.insert("MessageId".into(), Value::String(id.clone()));
                return Ok(out);
            }
        }
    }
    let seq = q.next_seq;
    q.next_seq += 1;
    let rec = MessageRecord {
        id: crate::ids::uuid(),
        body: body.to_string(),
        attrs,
        sender: sender.to_string(),
        sent: ctx.now,
        available: ctx.now + delay * 1000,
        group,
        dedup,
        trace_header: system.get("AWSTraceHeader").and_then(|a| a.string.clone()),
        dlq_source: None,
        sequence: fifo.then_some(seq),
    };
    if let Some(d) = &rec.dedup {
        let scope = dedup_scope(q, rec.group.as_deref(), d);
        q.dedup.insert(scope, (ctx.now + DEDUP_WINDOW_MS, rec.id.clone()));
    }
    out.insert("MessageId".into(), Value::String(rec.id.clone()));
    if fifo {
        out.insert("SequenceNumber".into(), Value::String(format!("{seq:020}")));
    }
    put(batch, message_key(&q.id(), seq), &rec);
    q.messages.insert(seq, Message { rec, delivery: Delivery::default() });
    q.notify.notify_waiters();
    Ok(out)
}

/// `aws:userid`-style sender id: the key owner's id.
fn sender_id(call: &Call<'_>) -> String {
    call.caller.user_id()
}

pub fn send_message(call: &mut Call<'_>, st: &mut State, ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    let q = queue_of(call, st, input)?;
    authorize(call, st, q, "SendMessage", Vec::new())?;
    let id = q.id();
    let sender = sender_id(call);
    let q = st.sqs.queues.get_mut(&id).ok_or_else(no_queue)?;
    let out = send_one(&mut call.batch, q, ctx, &sender, input)?;
    Ok(Value::Object(out))
}

/// Batch entries, checked as AWS checks them (count, distinct and well-formed ids).
fn entries(input: &Value, what: &str) -> Result<Vec<Value>, AwsError> {
    let entries = input.get("Entries").and_then(Value::as_array).cloned().unwrap_or_default();
    if entries.is_empty() {
        return Err(AwsError::client("AWS.SimpleQueueService.EmptyBatchRequest", format!("There should be at least one {what} in the request.")));
    }
    if entries.len() > 10 {
        return Err(AwsError::client(
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
            format!("Maximum number of entries per request are 10. You have sent {}.", entries.len()),
        ));
    }
    let mut seen = HashSet::new();
    for e in &entries {
        let id = str_of(e, "Id").unwrap_or("");
        if id.is_empty() || id.len() > 80 || !id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_') {
            return Err(AwsError::client(
                "AWS.SimpleQueueService.InvalidBatchEntryId",
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
            ));
        }
        if !seen.insert(id.to_string()) {
            return Err(AwsError::client("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", format!("Id {id} repeated.")));
        }
    }
    Ok(entries)
}

fn failed(id: &str, e: &AwsError) -> Value {
    json!({"Id": id, "SenderFault": e.sender_fault, "Code": e.code, "Message": e.message})
}

pub fn send_message_batch(call: &mut Call<'_>, st: &mut State, ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    let q = queue_of(call, st, input)?;
    let entries = entries(input, "SendMessageBatchRequestEntry")?;
    authorize(call, st, q, "SendMessage", Vec::new())?;
    let id = q.id();
    let max = q.int_attr("MaximumMessageSize", 1_048_576) as usize;
    let total: usize = entries.iter().map(entry_size).sum();
    if total > max {
        return Err(AwsError::client(
            "AWS.SimpleQueueService.BatchRequestTooLong",
            format!("Batch requests cannot be longer than {max} bytes. You have sent {total} bytes."),
        ));
    }
    if q.is_fifo() {
        // A FIFO batch missing a group or deduplication id fails as a whole.
        for e in &entries {
            if str_of(e, "MessageGroupId").is_none() {
                return Err(missing("MessageGroupId"));
            }
            if str_of(e, "MessageDeduplicationId").is_none() && q.attr("ContentBasedDeduplication") != Some("true") {
                return Err(invalid("The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly"));
            }
        }
    }
    let sender = sender_id(call);
    let q = st.sqs.queues.get_mut(&id).ok_or_else(no_queue)?;
    Ok(batch_results(&entries, |e| send_one(&mut call.batch, q, ctx, &sender, e)))
}

/// Runs `each` on every batch entry: `{Successful, Failed}` as AWS answers batches.
fn batch_results(entries: &[Value], mut each: impl FnMut(&Value) -> Result<Map<String, Value>, AwsError>) -> Value {
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for e in entries {
        let eid = str_of(e, "Id").unwrap_or("");
        match each(e) {
            Ok(mut out) => {
                out.insert("Id".into(), Value::String(eid.to_string()));
                ok.push(Value::Object(out));
            }
            Err(err) => bad.push(failed(eid, &err)),
        }
    }
    json!({"Successful": ok, "Failed": bad})
}

// ---- receiving ----

fn receipt_handle(seq: u64, token: &str) -> String {
    format!("AQEB{seq:016x}{token}")
}

/// (sequence, token) from a receipt handle, or None if it is not one of ours.
fn parse_handle(h: &str) -> Option<(u64, &str)> {
    let rest = h.strip_prefix("AQEB")?;
    if rest.len() != 48 || !rest.bytes().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    Some((u64::from_str_radix(&rest[..16], 16).ok()?, &rest[16..]))
}

fn invalid_handle(h: &str) -> AwsError {
    AwsError::client("ReceiptHandleIsInvalid", format!("The input receipt handle \"{h}\" is not a valid receipt handle."))
}

fn wants(names: &[String], name: &str) -> bool {
    names.iter().any(|n| n == "All" || n == name)
}

fn wants_attribute(names: &[String], name: &str) -> bool {
    names.iter().any(|n| n == "All" || n == ".*" || n == name || n.strip_suffix(".*").is_some_and(|p| name.starts_with(p)))
}

fn attribute_json(a: &MessageAttribute) -> Value {
    let mut v = Map::new();
    v.insert("DataType".into(), Value::String(a.data_type.clone()));
    if let Some(s) = &a.string {
        v.insert("StringValue".into(), Value::String(s.clone()));
    }
    if let Some(b) = &a.binary {
        v.insert("BinaryValue".into(), Value::String(crate::protocol::base64::encode(b)));
    }
    Value::Object(v)
}

fn message_json(m: &Message, seq: u64, system: &[String], user: &[String]) -> Value {
    let mut out = Map::new();
    out.insert("MessageId".into(), Value::String(m.rec.id.clone()));
    out.insert("ReceiptHandle".into(), Value::String(receipt_handle(seq, &m.delivery.token)));
    out.insert("MD5OfBody".into(), Value::String(md5_hex(m.rec.body.as_bytes())));
    out.insert("Body".into(), Value::String(m.rec.body.clone()));
    let mut attrs = Map::new();
    for name in SYSTEM_ATTRIBUTES {
        if !wants(system, name) {
            continue;
        }
        let v = match *name {
            "SenderId" => Some(m.rec.sender.clone()),
            "SentTimestamp" => Some(m.rec.sent.to_string()),
            "ApproximateReceiveCount" => Some(m.delivery.count.to_string()),
            "ApproximateFirstReceiveTimestamp" => m.delivery.first.map(|t| t.to_string()),
            "SequenceNumber" => m.rec.sequence.map(|s| format!("{s:020}")),
            "MessageDeduplicationId" => m.rec.dedup.clone(),
            "MessageGroupId" => m.rec.group.clone(),
            "AWSTraceHeader" => m.rec.trace_header.clone(),
            "DeadLetterQueueSourceArn" => m.rec.dlq_source.clone(),
            _ => None,
        };
        if let Some(v) = v {
            attrs.insert(name.to_string(), Value::String(v));
        }
    }
    if !attrs.is_empty() {
        out.insert("Attributes".into(), Value::Object(attrs));
    }
    let chosen: BTreeMap<String, MessageAttribute> = m.rec.attrs.iter().filter(|(n, _)| wants_attribute(user, n)).map(|(n, a)| (n.clone(), a.clone())).collect();
    if let Some(md5) = attributes_md5(&chosen) {
        out.insert("MD5OfMessageAttributes".into(), Value::String(md5));
        out.insert("MessageAttributes".into(), Value::Object(chosen.iter().map(|(n, a)| (n.clone(), attribute_json(a))).collect()));
    }
    Value::Object(out)
}

fn range_check(input: &Value, key: &str, min: i64, max: i64, reason: &str) -> Result<Option<i64>, AwsError> {
    match int_of(input, key)? {
        Some(n) if !(min..=max).contains(&n) => Err(invalid(format!("Value {n} for parameter {key} is invalid. Reason: {reason}"))),
        other => Ok(other),
    }
}

pub fn receive_message(call: &mut Call<'_>, st: &mut State, ctx: &Ctx<'_>, input: &Value, poll: &mut Poll) -> Result<Value, AwsError> {
    let q = queue_of(call, st, input)?;
    authorize(call, st, q, "ReceiveMessage", Vec::new())?;
    let id = q.id();
    let max = range_check(input, "MaxNumberOfMessages", 1, 10, "Must be between 1 and 10, if provided.")?.unwrap_or(1) as usize;
    let vt = range_check(input, "VisibilityTimeout", 0, 43_200, "Must be between 0 and 43200, if provided.")?.unwrap_or_else(|| q.int_attr("VisibilityTimeout", 30));
    let wait = range_check(input, "WaitTimeSeconds", 0, 20, "Must be >= 0 and <= 20, if provided.")?.unwrap_or_else(|| q.int_attr("ReceiveMessageWaitTimeSeconds", 0));
    let mut system = strings_of(input, "AttributeNames");
    system.extend(strings_of(input, "MessageSystemAttributeNames"));
    let user = strings_of(input, "MessageAttributeNames");
    let now = ctx.now;
    expire(call, st, &id, now);
    let q = st.sqs.queues.get(&id).ok_or_else(no_queue)?;
    let fifo = q.is_fifo();
    let redrive = q.redrive().filter(|(arn, _)| super::queues::dlq_of(st, arn).is_some());
    let (mut picked, mut to_dlq) = (Vec::new(), Vec::new());
    let mut blocked: HashSet<&str> = HashSet::new();
    for (seq, m) in &q.messages {
        if picked.len() >= max {
            break;
        }
        let group = m.rec.group.as_deref().filter(|_| fifo);
        if m.in_flight(now) {
            if let Some(g) = group {
                blocked.insert(g);
            }
            continue;
        }
        if !m.visible_at(now) || group.is_some_and(|g| blocked.contains(g)) {
            continue;
        }
        if let Some((_, limit)) = &redrive {
            if m.delivery.count >= *limit {
                to_dlq.push(*seq);
                continue;
            }
        }
        picked.push(*seq);
    }
    let arn = q.arn();
    if let (Some((dlq_arn, _)), false) = (&redrive, to_dlq.is_empty()) {
        let q = st.sqs.queues.get_mut(&id).ok_or_else(no_queue)?;
        let mut moved = Vec::new();
        for seq in to_dlq {
            if let Some(mut m) = remove_message(&mut call.batch, &id, q, seq) {
                m.rec.dlq_source = Some(arn.clone());
                moved.push(m.rec);
            }
        }
        let dlq_id = super::queues::dlq_of(st, dlq_arn).map(Queue::id).ok_or_else(no_queue)?;
        let dlq = st.sqs.queues.get_mut(&dlq_id).ok_or_else(no_queue)?;
        append(&mut call.batch, dlq, moved);
    }
    let q = st.sqs.queues.get_mut(&id).ok_or_else(no_queue)?;
    let mut out = Vec::new();
    for seq in &picked {
        let Some(m) = q.messages.get_mut(seq) else { continue };
        m.delivery.count += 1;
        m.delivery.first.get_or_insert(now);
        m.delivery.visible = now + vt * 1000;
        m.delivery.token = crate::ids::hex(&crate::ids::random_bytes::<16>());
        put(&mut call.batch, delivery_key(&id, *seq), &m.delivery);
        out.push(message_json(m, *seq, &system, &user));
    }
    if out.is_empty() && wait > 0 {
        let deadline = *poll.deadline.get_or_insert(now + wait * 1000);
        if now < deadline {
            // The next moment a message becomes visible without a send (delay, lease end).
            let next = q.messages.values().map(|m| m.rec.available.max(m.delivery.visible)).filter(|t| *t > now).min();
            let until = next.map_or(deadline, |n| n.min(deadline));
            let mut notified = Box::pin(q.notify.clone().notified_owned());
            notified.as_mut().enable();
            poll.wait = Some(Wait { notified, until });
        }
    }
    if out.is_empty() {
        return Ok(json!({}));
    }
    Ok(json!({ "Messages": out }))
}

// ---- deleting and leases ----

/// Deletes the message a handle names if the handle is its latest; a stale handle (the
/// message was received again since) succeeds without deleting, as in AWS.
fn delete_one(batch: &mut Batch, q: &mut Queue, handle: &str) -> Result<(), AwsError> {
    let (seq, token) = parse_handle(handle).ok_or_else(|| invalid_handle(handle))?;
    if q.messages.get(&seq).is_some_and(|m| m.delivery.token == token) {
        let id = q.id();
        remove_message(batch, &id, q, seq);
    }
    Ok(())
}

pub fn delete_message(call: &mut Call<'_>, st: &mut State, _ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    let q = queue_of(call, st, input)?;
    let handle = required(input, "ReceiptHandle")?.to_string();
    authorize(call, st, q, "DeleteMessage", Vec::new())?;
    let id = q.id();
    let q = st.sqs.queues.get_mut(&id).ok_or_else(no_queue)?;
    delete_one(&mut call.batch, q, &handle)?;
    Ok(json!({}))
}

pub fn delete_message_batch(call: &mut Call<'_>, st: &mut State, _ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    queue_batch(call, st, input, "DeleteMessageBatchRequestEntry", "DeleteMessage", |batch, q, e| delete_one(batch, q, required(e, "ReceiptHandle")?))
}

/// A batch of receipt-handle operations on one queue: entries checked, `sqs:<action>`
/// authorized once, `each` run per entry.
fn queue_batch(
    call: &mut Call<'_>,
    st: &mut State,
    input: &Value,
    what: &str,
    action: &str,
    mut each: impl FnMut(&mut Batch, &mut Queue, &Value) -> Result<(), AwsError>,
) -> Result<Value, AwsError> {
    let q = queue_of(call, st, input)?;
    let entries = entries(input, what)?;
    authorize(call, st, q, action, Vec::new())?;
    let id = q.id();
    let q = st.sqs.queues.get_mut(&id).ok_or_else(no_queue)?;
    Ok(batch_results(&entries, |e| each(&mut call.batch, q, e).map(|()| Map::new())))
}

fn change_one(batch: &mut Batch, q: &mut Queue, now: i64, handle: &str, vt: Option<i64>) -> Result<(), AwsError> {
    let vt = vt.ok_or_else(|| missing("VisibilityTimeout"))?;
    if !(0..=43_200).contains(&vt) {
        return Err(invalid(format!("Value {vt} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.")));
    }
    let (seq, token) = parse_handle(handle).ok_or_else(|| invalid_handle(handle))?;
    let id = q.id();
    let Some(m) = q.messages.get_mut(&seq) else {
        return Err(invalid(format!("Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.")));
    };
    if m.delivery.token != token {
        return Err(invalid(format!("Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.")));
    }
    if !m.in_flight(now) {
        return Err(AwsError::client("AWS.SimpleQueueService.MessageNotInflight", "Message does not exist or is not available for visibility timeout change."));
    }
    if let Some(first) = m.delivery.first {
        if now + vt * 1000 > first + 43_200_000 {
            return Err(invalid(format!("Value {vt} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]")));
        }
    }
    m.delivery.visible = now + vt * 1000;
    put(batch, delivery_key(&id, seq), &m.delivery);
    if vt == 0 {
        q.notify.notify_waiters();
    }
    Ok(())
}

pub fn change_message_visibility(call: &mut Call<'_>, st: &mut State, ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    let q = queue_of(call, st, input)?;
    let handle = required(input, "ReceiptHandle")?.to_string();
    let vt = int_of(input, "VisibilityTimeout")?;
    authorize(call, st, q, "ChangeMessageVisibility", Vec::new())?;
    let id = q.id();
    let q = st.sqs.queues.get_mut(&id).ok_or_else(no_queue)?;
    change_one(&mut call.batch, q, ctx.now, &handle, vt)?;
    Ok(json!({}))
}

pub fn change_message_visibility_batch(call: &mut Call<'_>, st: &mut State, ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    queue_batch(call, st, input, "ChangeMessageVisibilityBatchRequestEntry", "ChangeMessageVisibility", |batch, q, e| {
        change_one(batch, q, ctx.now, required(e, "ReceiptHandle")?, int_of(e, "VisibilityTimeout")?)
    })
}

// ---- redrive tasks ----

/// Redrives every message of a dead-letter queue at once (to `DestinationArn`, or back to
/// each message's source queue); the task is recorded as completed.
pub fn start_message_move_task(call: &mut Call<'_>, st: &mut State, ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    let source_arn = required(input, "SourceArn")?.to_string();
    let dest_arn = str_of(input, "DestinationArn").map(str::to_string);
    let rate = range_check(input, "MaxNumberOfMessagesPerSecond", 1, 500, "Must be between 1 and 500, if provided.")?;
    let src = super::queues::dlq_of(st, &source_arn).ok_or_else(|| AwsError::client("ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist."))?;
    authorize(call, st, src, "StartMessageMoveTask", Vec::new())?;
    let src_id = src.id();
    let is_dlq = st.sqs.queues.values().any(|q| q.redrive().is_some_and(|(t, _)| t == source_arn));
    if !is_dlq {
        return Err(invalid("Source queue must be configured as a Dead Letter Queue."));
    }
    if let Some(d) = &dest_arn {
        let dest = super::queues::dlq_of(st, d).ok_or_else(|| AwsError::client("ResourceNotFoundException", "The resource that you specified for the DestinationArn parameter doesn't exist."))?;
        authorize(call, st, dest, "SendMessage", Vec::new())?;
    }
    // Group the messages by where they go.
    let mut plan: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let src = st.sqs.queues.get(&src_id).ok_or_else(no_queue)?;
    for (seq, m) in &src.messages {
        if m.in_flight(ctx.now) {
            continue;
        }
        if let Some(target) = dest_arn.clone().or_else(|| m.rec.dlq_source.clone()) {
            plan.entry(target).or_default().push(*seq);
        }
    }
    let mut moved = 0u64;
    for (target, seqs) in plan {
        let Some(tid) = super::queues::dlq_of(st, &target).map(Queue::id) else { continue };
        let src = st.sqs.queues.get_mut(&src_id).ok_or_else(no_queue)?;
        let mut recs = Vec::new();
        for seq in seqs {
            if let Some(mut m) = remove_message(&mut call.batch, &src_id, src, seq) {
                m.rec.dlq_source = None;
                recs.push(m.rec);
            }
        }
        moved += recs.len() as u64;
        let t = st.sqs.queues.get_mut(&tid).ok_or_else(no_queue)?;
        append(&mut call.batch, t, recs);
    }
    let handle = crate::protocol::base64::encode(format!("{}|{source_arn}", crate::ids::uuid()).as_bytes());
    let task = MoveTask {
        handle: handle.clone(),
        source_arn: source_arn.clone(),
        destination_arn: dest_arn,
        started: ctx.now,
        moved,
        to_move: moved,
        status: "COMPLETED",
        max_per_second: rate,
    };
    st.sqs.tasks.entry(source_arn).or_default().insert(0, task);
    Ok(json!({ "TaskHandle": handle }))
}

pub fn list_message_move_tasks(call: &mut Call<'_>, st: &mut State, _ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    let source_arn = required(input, "SourceArn")?.to_string();
    let max = range_check(input, "MaxResults", 1, 10, "Must be between 1 and 10, if provided.")?.unwrap_or(1) as usize;
    let src = super::queues::dlq_of(st, &source_arn).ok_or_else(|| AwsError::client("ResourceNotFoundException", "The resource that you specified for the SourceArn parameter doesn't exist."))?;
    authorize(call, st, src, "ListMessageMoveTasks", Vec::new())?;
    let results: Vec<Value> = st
        .sqs
        .tasks
        .get(&source_arn)
        .map(|ts| {
            ts.iter()
                .take(max)
                .map(|t| {
                    let mut v = json!({
                        "Status": t.status,
                        "SourceArn": t.source_arn,
                        "ApproximateNumberOfMessagesMoved": t.moved,
                        "ApproximateNumberOfMessagesToMove": t.to_move,
                        "StartedTimestamp": t.started,
                    });
                    if let Some(d) = &t.destination_arn {
                        v["DestinationArn"] = Value::String(d.clone());
                    }
                    if let Some(r) = t.max_per_second {
                        v["MaxNumberOfMessagesPerSecond"] = json!(r);
                    }
                    v
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(json!({ "Results": results }))
}

pub fn cancel_message_move_task(call: &mut Call<'_>, st: &mut State, _ctx: &Ctx<'_>, input: &Value) -> Result<Value, AwsError> {
    let handle = required(input, "TaskHandle")?;
    let source = crate::protocol::base64::decode(handle).and_then(|b| String::from_utf8(b).ok()).and_then(|s| s.split_once('|').map(|(_, a)| a.to_string()));
    let not_found = || AwsError::client("ResourceNotFoundException", "The resource that you specified for the TaskHandle parameter doesn't exist.");
    let source = source.ok_or_else(not_found)?;
    let src = super::queues::dlq_of(st, &source).ok_or_else(not_found)?;
    authorize(call, st, src, "CancelMessageMoveTask", Vec::new())?;
    // Tasks complete within the call that starts them: none is ever running.
    let exists = st.sqs.tasks.get(&source).is_some_and(|ts| ts.iter().any(|t| t.handle == handle));
    if exists {
        return Err(AwsError::client("FailedPrecondition", "Only active tasks can be cancelled."));
    }
    Err(not_found())
}

