//! SQS (awsJson1_0 with query-compatible errors, and awsQuery for older clients): queues
//! with their attributes, policies and tags; messages with attributes and their MD5s,
//! delays, visibility leases, receipt handles, long polling, dead-letter queues and redrive
//! tasks, retention; FIFO queues (ordering per message group, deduplication window).
//!
//! Layout: `model` (records and store keys), `queues` (queue operations), `messages`
//! (send, receive, delete, visibility, dead-letter moves, redrive tasks), `wire` (awsQuery
//! parameters to the JSON input shape, JSON output to awsQuery XML), `md5` (the digests
//! clients check). Both protocols run the same operations on the JSON shapes.
//!
//! Long polling: a receive that finds nothing returns [`Poll`]'s wait (a `Notify` future
//! registered while the state lock was held, so no send is missed); the HTTP layer waits
//! on it with no lock held and runs the receive again.

mod md5;
mod messages;
pub mod model;
mod queues;
mod wire;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::pin::Pin;

use serde_json::Value;

use crate::authz::{Access, ContextKey};
use crate::call::Call;
use crate::error::AwsError;
use crate::protocol::{json, query};
use crate::state::{PolicyDoc, State, Tag};

pub use model::{Queue, QueueId};

/// Every queue, by (account, region, name), and the redrive tasks.
#[derive(Debug, Default)]
pub struct SqsState {
    pub queues: BTreeMap<QueueId, Queue>,
    pub tasks: HashMap<String, Vec<model::MoveTask>>,
}

impl SqsState {
    /// Reads one stored record: `sqs/<account>/<region>/<name>` (a queue),
    /// `…/<name>/m/<seq>` (a message) or `…/<name>/s/<seq>` (its delivery state). Keys load
    /// in order, so a queue comes before its messages and a message before its state.
    pub fn load_record(&mut self, key: &str, value: &[u8]) -> Result<(), serde_json::Error> {
        let parts: Vec<&str> = key.split('/').collect();
        match parts.as_slice() {
            ["sqs", _, _, _] => {
                let rec: model::QueueRecord = serde_json::from_slice(value)?;
                let policy = rec.attributes.get("Policy").and_then(|p| PolicyDoc::new(p, edgeward_policy::PolicyKind::Resource, None).ok());
                let q = Queue::new(rec, policy);
                self.queues.insert(q.id(), q);
            }
            ["sqs", account, region, name, kind, seq] => {
                let id = (account.to_string(), region.to_string(), name.to_string());
                let (Some(q), Ok(seq)) = (self.queues.get_mut(&id), seq.parse::<u64>()) else { return Ok(()) };
                q.next_seq = q.next_seq.max(seq + 1);
                if *kind == "m" {
                    let rec: model::MessageRecord = serde_json::from_slice(value)?;
                    if let Some(d) = &rec.dedup {
                        let scope = messages::dedup_scope(q, rec.group.as_deref(), d);
                        q.dedup.insert(scope, (rec.sent + messages::DEDUP_WINDOW_MS, rec.id.clone()));
                    }
                    q.messages.insert(seq, model::Message { rec, delivery: model::Delivery::default() });
                } else if *kind == "s" {
                    let d: model::Delivery = serde_json::from_slice(value)?;
                    if let Some(m) = q.messages.get_mut(&seq) {
                        m.delivery = d;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// A finished SQS response body.
pub struct SqsReply {
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// A long-polling receive across its attempts: the deadline, and the wait the last attempt
/// asked for.
#[derive(Default)]
pub struct Poll {
    deadline: Option<i64>,
    attempts: u32,
    wait: Option<Wait>,
}

impl Poll {
    /// True before the first attempt.
    pub fn first(&self) -> bool {
        self.attempts == 0
    }

    /// The wait the last attempt asked for, if it found nothing and time remains.
    pub fn take_wait(&mut self) -> Option<Wait> {
        self.wait.take()
    }
}

/// Until a message may be available: a send's notification or `until` (ms).
pub struct Wait {
    notified: Pin<Box<tokio::sync::futures::OwnedNotified>>,
    until: i64,
}

impl Wait {
    /// Waits (holding no lock) for a notification or the time.
    pub async fn wait(self) {
        let ms = (self.until - crate::time::now_millis()).max(0) as u64;
        let _ = tokio::time::timeout(std::time::Duration::from_millis(ms), self.notified).await;
    }
}

/// Operations CloudTrail marks read-only.
const READ_ONLY: &[&str] = &["GetQueueAttributes", "GetQueueUrl", "ListDeadLetterSourceQueues", "ListQueueTags", "ListQueues", "ListMessageMoveTasks"];

/// What every operation gets besides the call and the state.
pub(crate) struct Ctx<'a> {
    /// The Host header: queue URLs are `http://<host>/<account>/<name>`.
    pub host: &'a str,
    /// The request clock, ms.
    pub now: i64,
}

/// Runs one SQS operation in either protocol. Called with the commit-order lock held; takes
/// the state lock itself.
pub fn run(
    call: &mut Call<'_>,
    query_params: Option<&query::Params>,
    op: &str,
    parts: &http::request::Parts,
    body: &[u8],
    poll: &mut Poll,
) -> Result<SqsReply, AwsError> {
    poll.attempts += 1;
    let mut input = if let Some(params) = query_params {
        wire::query_input(params)
    } else {
        json::parse_body(body, "InvalidParameterValue")?
    };
    let path = parts.uri.path();
    let path_queue = (path.len() > 1 && path.matches('/').count() == 2).then_some(path);
    if let (Some(p), Value::Object(map)) = (path_queue, &mut input) {
        if !map.contains_key("QueueUrl") && op != "ListQueues" && op != "CreateQueue" && op != "GetQueueUrl" {
            map.insert("QueueUrl".into(), Value::String(p.to_string()));
        }
    }
    let host = parts.headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    let ctx = Ctx { host, now: crate::time::now_millis() };
    call.trail.read_only = READ_ONLY.contains(&op);
    call.trail.request_parameters = Some(trail_parameters(&input));
    let output = {
        let cloud = call.cloud;
        let mut guard = cloud.write_state();
        let st = &mut *guard;
        match op {
            "CreateQueue" => queues::create_queue(call, st, &ctx, &input),
            "GetQueueUrl" => queues::get_queue_url(call, st, &ctx, &input),
            "ListQueues" => queues::list_queues(call, st, &ctx, &input),
            "DeleteQueue" => queues::delete_queue(call, st, &ctx, &input),
            "GetQueueAttributes" => queues::get_queue_attributes(call, st, &ctx, &input),
            "SetQueueAttributes" => queues::set_queue_attributes(call, st, &ctx, &input),
            "TagQueue" => queues::tag_queue(call, st, &ctx, &input),
            "UntagQueue" => queues::untag_queue(call, st, &ctx, &input),
            "ListQueueTags" => queues::list_queue_tags(call, st, &ctx, &input),
            "PurgeQueue" => queues::purge_queue(call, st, &ctx, &input),
            "ListDeadLetterSourceQueues" => queues::list_dead_letter_source_queues(call, st, &ctx, &input),
            "SendMessage" => messages::send_message(call, st, &ctx, &input),
            "SendMessageBatch" => messages::send_message_batch(call, st, &ctx, &input),
            "ReceiveMessage" => messages::receive_message(call, st, &ctx, &input, poll),
            "DeleteMessage" => messages::delete_message(call, st, &ctx, &input),
            "DeleteMessageBatch" => messages::delete_message_batch(call, st, &ctx, &input),
            "ChangeMessageVisibility" => messages::change_message_visibility(call, st, &ctx, &input),
            "ChangeMessageVisibilityBatch" => messages::change_message_visibility_batch(call, st, &ctx, &input),
            "StartMessageMoveTask" => messages::start_message_move_task(call, st, &ctx, &input),
            "ListMessageMoveTasks" => messages::list_message_move_tasks(call, st, &ctx, &input),
            "CancelMessageMoveTask" => messages::cancel_message_move_task(call, st, &ctx, &input),
            "AddPermission" | "RemovePermission" => Err(AwsError::new(501, "NotImplemented", format!("SQS {op} is not implemented in edgeward; set the queue's Policy attribute instead"))),
            _ => Err(AwsError::client("InvalidAction", format!("The action {op} is not valid for this endpoint."))),
        }?
    };
    if query_params.is_some() {
        let xml = wire::render(op, &output);
        let body = query::success(op, "http://queue.amazonaws.com/doc/2012-11-05/", &xml, &call.request_id).into_bytes();
        Ok(SqsReply { content_type: "text/xml", body })
    } else {
        Ok(SqsReply { content_type: "application/x-amz-json-1.0", body: serde_json::to_vec(&output).unwrap_or_default() })
    }
}

/// The JSON protocol's `__type` for an error code: SQS's query codes
/// (`AWS.SimpleQueueService.NonExistentQueue`) map to the model's shape names
/// (`QueueDoesNotExist`); the query code travels in `x-amzn-query-error`.
pub fn json_error_type(code: &str) -> String {
    let shape = match code {
        "AWS.SimpleQueueService.NonExistentQueue" => "QueueDoesNotExist",
        "QueueAlreadyExists" => "QueueNameExists",
        c => c.strip_prefix("AWS.SimpleQueueService.").unwrap_or(c),
    };
    if code.contains('.') || matches!(code, "QueueAlreadyExists" | "ReceiptHandleIsInvalid" | "InvalidAttributeName" | "InvalidAttributeValue" | "InvalidMessageContents" | "OverLimit" | "InvalidIdFormat" | "InvalidAddress" | "InvalidSecurity" | "ResourceNotFoundException") {
        format!("com.amazonaws.sqs#{shape}")
    } else {
        shape.to_string()
    }
}

/// Parameters for the trail: everything but message bodies and attribute values (data
/// stays home: payloads never enter the audit record).
fn trail_parameters(input: &Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                for (k, val) in map.iter_mut() {
                    if matches!(k.as_str(), "MessageBody" | "MessageAttributes" | "MessageSystemAttributes") {
                        *val = Value::String("HIDDEN_DUE_TO_SECURITY_REASONS".into());
                    } else {
                        strip(val);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = input.clone();
    strip(&mut v);
    v
}

// ---- shared helpers ----

pub(crate) fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::client("InvalidParameterValue", message)
}

pub(crate) fn no_queue() -> AwsError {
    AwsError::client("AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
}

pub(crate) fn missing(name: &str) -> AwsError {
    AwsError::client("MissingParameter", format!("The request must contain the parameter {name}."))
}

pub(crate) fn str_of<'a>(input: &'a Value, key: &str) -> Option<&'a str> {
    input.get(key).and_then(Value::as_str)
}

pub(crate) fn required<'a>(input: &'a Value, key: &str) -> Result<&'a str, AwsError> {
    str_of(input, key).ok_or_else(|| missing(key))
}

/// An integer member, given as a JSON number or (awsQuery) a string.
pub(crate) fn int_of(input: &Value, key: &str) -> Result<Option<i64>, AwsError> {
    match input.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| invalid(format!("Value {n} for parameter {key} is invalid."))),
        Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| invalid(format!("Value {s} for parameter {key} is invalid."))),
        Some(v) => Err(invalid(format!("Value {v} for parameter {key} is invalid."))),
    }
}

/// A list of strings (absent: empty).
pub(crate) fn strings_of(input: &Value, key: &str) -> Vec<String> {
    input.get(key).and_then(Value::as_array).map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

/// A string→string map (absent: empty).
pub(crate) fn map_of(input: &Value, key: &str) -> BTreeMap<String, String> {
    input
        .get(key)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| {
                    let s = match v {
                        Value::String(s) => s.clone(),
                        Value::Bool(b) => b.to_string(),
                        Value::Number(n) => n.to_string(),
                        _ => return None,
                    };
                    Some((k.clone(), s))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Finds the queue a URL names (`…/<account>/<name>`, or a bare name in the caller's
/// account), in the call's region; anything else names no queue.
pub(crate) fn queue_id(call: &Call<'_>, url: &str) -> Result<QueueId, AwsError> {
    let path = url.split_once("://").map(|(_, rest)| rest.split_once('/').map(|(_, p)| p).unwrap_or("")).unwrap_or(url.trim_start_matches('/'));
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    let (account, name) = match segs.as_slice() {
        [name] if !url.contains("://") => (call.caller.account.as_str(), *name),
        [.., account, name] => (*account, *name),
        _ => return Err(no_queue()),
    };
    if name.is_empty() || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return Err(no_queue());
    }
    Ok((account.to_string(), call.region.clone(), name.to_string()))
}

/// The queue a request's QueueUrl names.
pub(crate) fn queue_of<'s>(call: &Call<'_>, st: &'s State, input: &Value) -> Result<&'s Queue, AwsError> {
    let id = queue_id(call, required(input, "QueueUrl")?)?;
    st.sqs.queues.get(&id).ok_or_else(no_queue)
}

pub(crate) fn queue_url(host: &str, q: &QueueId) -> String {
    format!("http://{host}/{}/{}", q.0, q.2)
}

/// Asks the decision point for `sqs:<action>` on a queue, with its policy as the resource
/// policy and its tags as `aws:ResourceTag/…`; notes the queue for the trail.
pub(crate) fn authorize(call: &mut Call<'_>, st: &State, q: &Queue, action: &str, context: Vec<(ContextKey, edgeward_policy::ContextValue)>) -> Result<(), AwsError> {
    let mut access = Access::new(&format!("sqs:{action}"), q.arn(), &q.rec.account);
    access.resource_policy = q.policy.as_ref().and_then(|p| p.policy().cloned());
    access.resource_tags = q.rec.tags.iter().map(|(k, v)| Tag { key: k.clone(), value: v.clone() }).collect();
    access.context = context;
    if !call.trail.resources.iter().any(|(a, _)| *a == q.arn()) {
        call.trail.resources.push((q.arn(), "AWS::SQS::Queue".into()));
    }
    if q.rec.account != call.caller.account {
        call.trail.resource_account = Some(q.rec.account.clone());
    }
    call.authorize(st, &access)
}
