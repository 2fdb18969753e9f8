//! SQS's records and their store keys. A queue is one record; a message is one immutable
//! record (body, attributes, sender) plus, once received, a small state record (receive
//! count, visibility, receipt token), so that receives and visibility changes rewrite a few
//! dozen bytes rather than the body.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::state::PolicyDoc;

/// (account, region, queue name).
pub type QueueId = (String, String, String);

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct MessageAttribute {
    pub data_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary: Option<Vec<u8>>,
}

/// The queue record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueueRecord {
    pub account: String,
    pub region: String,
    pub name: String,
    /// Seconds since the epoch.
    pub created: i64,
    pub modified: i64,
    /// The settable attributes, canonical values (Policy as written).
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
}

/// A message as sent (never rewritten).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageRecord {
    pub id: String,
    pub body: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attrs: BTreeMap<String, MessageAttribute>,
    pub sender: String,
    /// Milliseconds since the epoch.
    pub sent: i64,
    /// When the message first becomes visible (after its delay).
    pub available: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_header: Option<String>,
    /// The queue ARN the message was moved from (dead-letter queues).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dlq_source: Option<String>,
    /// The FIFO sequence number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
}

/// What changes as a message is received: the small record beside it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Delivery {
    pub count: u32,
    /// Milliseconds: invisible until then.
    pub visible: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<i64>,
    /// The token of the most recent receipt handle.
    pub token: String,
}

#[derive(Debug, Clone)]
pub struct Message {
    pub rec: MessageRecord,
    pub delivery: Delivery,
}

impl Message {
    /// Visible (not delayed, not in flight) at `now` (ms).
    pub fn visible_at(&self, now: i64) -> bool {
        self.rec.available <= now && self.delivery.visible <= now
    }

    pub fn in_flight(&self, now: i64) -> bool {
        self.delivery.visible > now && !self.delivery.token.is_empty()
    }
}

/// A redrive task (StartMessageMoveTask), kept in memory.
#[derive(Debug, Clone)]
pub struct MoveTask {
    pub handle: String,
    pub source_arn: String,
    pub destination_arn: Option<String>,
    pub started: i64,
    pub moved: u64,
    pub to_move: u64,
    pub status: &'static str,
    pub max_per_second: Option<i64>,
}

/// One queue in memory.
#[derive(Debug)]
pub struct Queue {
    pub rec: QueueRecord,
    pub policy: Option<PolicyDoc>,
    /// By sequence number (the order of sending).
    pub messages: BTreeMap<u64, Message>,
    pub next_seq: u64,
    /// FIFO deduplication: scope key → (expires ms, message id).
    pub dedup: HashMap<String, (i64, String)>,
    pub last_purge: Option<i64>,
    /// Wakes long-polling receives when a message may have become available.
    pub notify: Arc<tokio::sync::Notify>,
}

impl Queue {
    pub fn new(rec: QueueRecord, policy: Option<PolicyDoc>) -> Queue {
        Queue {
            rec,
            policy,
            messages: BTreeMap::new(),
            next_seq: 1,
            dedup: HashMap::new(),
            last_purge: None,
            notify: Arc::new(tokio::sync::Notify::new()),
        }
    }

    pub fn id(&self) -> QueueId {
        (self.rec.account.clone(), self.rec.region.clone(), self.rec.name.clone())
    }

    pub fn arn(&self) -> String {
        queue_arn(&self.rec.region, &self.rec.account, &self.rec.name)
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.rec.attributes.get(name).map(String::as_str)
    }

    pub fn int_attr(&self, name: &str, default: i64) -> i64 {
        self.attr(name).and_then(|v| v.parse().ok()).unwrap_or(default)
    }

    pub fn is_fifo(&self) -> bool {
        self.attr("FifoQueue") == Some("true")
    }

    /// `(dead-letter target ARN, maxReceiveCount)` from the RedrivePolicy.
    pub fn redrive(&self) -> Option<(String, u32)> {
        let v: serde_json::Value = serde_json::from_str(self.attr("RedrivePolicy")?).ok()?;
        let arn = v.get("deadLetterTargetArn")?.as_str()?.to_string();
        let max = match v.get("maxReceiveCount")? {
            serde_json::Value::Number(n) => n.as_u64()?,
            serde_json::Value::String(s) => s.parse().ok()?,
            _ => return None,
        };
        Some((arn, max as u32))
    }
}

pub fn queue_arn(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:sqs:{region}:{account}:{name}")
}

/// Store keys.
pub fn queue_key(q: &QueueId) -> String {
    format!("sqs/{}/{}/{}", q.0, q.1, q.2)
}
pub fn message_key(q: &QueueId, seq: u64) -> String {
    format!("sqs/{}/{}/{}/m/{seq}", q.0, q.1, q.2)
}
pub fn delivery_key(q: &QueueId, seq: u64) -> String {
    format!("sqs/{}/{}/{}/s/{seq}", q.0, q.1, q.2)
}
