//! Durable storage: an embedded redb database written by one writer thread that
//! group-commits. A call's state changes and its trail event travel in one batch and land
//! in one transaction, so nothing happens without a record; a batch is acknowledged only
//! after its transaction is committed with fsync (redb `Durability::Immediate`), so an
//! acknowledged write survives a process crash and, on a disk that honours fsync, a power
//! loss.
//!
//! The trail's hash chain is assigned here, in commit order: each event gets the next
//! sequence number of its account and `hash = SHA-256(previous hash ‖ event bytes)`.

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use sha2::{Digest, Sha256};

/// Service state: key → serialized record.
const STATE: TableDefinition<&str, &[u8]> = TableDefinition::new("state");
/// Trail events: `<account>/<seq:016>` → chained event record (JSON).
const TRAIL: TableDefinition<&str, &[u8]> = TableDefinition::new("trail");
/// Authorization decisions by request id → explanation (JSON).
const DECISIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("decisions");

/// Largest number of batches folded into one transaction.
const MAX_GROUP: usize = 512;

#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "store: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

fn err(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

/// One change to state.
#[derive(Debug, Clone)]
pub enum Op {
    Put { key: String, value: Vec<u8> },
    Delete { key: String },
}

/// A trail event awaiting its place in an account's chain.
#[derive(Debug, Clone)]
pub struct TrailAppend {
    pub account: String,
    /// The CloudTrail record (JSON object) without the chain fields.
    pub event: serde_json::Value,
}

/// Everything one call writes, committed atomically.
#[derive(Debug, Default)]
pub struct Batch {
    pub ops: Vec<Op>,
    pub trail: Vec<TrailAppend>,
    pub decisions: Vec<(String, Vec<u8>)>,
}

impl Batch {
    pub fn put(&mut self, key: impl Into<String>, value: Vec<u8>) {
        self.ops.push(Op::Put { key: key.into(), value });
    }
    pub fn delete(&mut self, key: impl Into<String>) {
        self.ops.push(Op::Delete { key: key.into() });
    }
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty() && self.trail.is_empty() && self.decisions.is_empty()
    }
}

/// Where each account's chain stands.
#[derive(Debug, Clone)]
struct ChainHead {
    seq: u64,
    hash: [u8; 32],
}

struct Job {
    batch: Batch,
    done: tokio::sync::oneshot::Sender<Result<(), String>>,
}

/// The store handle: cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
    jobs: mpsc::Sender<Job>,
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let db = Database::create(path).map_err(err)?;
        {
            let txn = db.begin_write().map_err(err)?;
            txn.open_table(STATE).map_err(err)?;
            txn.open_table(TRAIL).map_err(err)?;
            txn.open_table(DECISIONS).map_err(err)?;
            txn.commit().map_err(err)?;
        }
        let db = Arc::new(db);
        let heads = load_heads(&db)?;
        let (tx, rx) = mpsc::channel::<Job>();
        let writer_db = db.clone();
        std::thread::Builder::new()
            .name("edgeward-store-writer".into())
            .spawn(move || writer(writer_db, rx, heads))
            .map_err(err)?;
        Ok(Store { db, jobs: tx })
    }

    /// Commits a batch durably; returns once it is on disk.
    pub async fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let (done, wait) = tokio::sync::oneshot::channel();
        self.jobs.send(Job { batch, done }).map_err(|_| StoreError("the writer has stopped".into()))?;
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError(e)),
            Err(_) => Err(StoreError("the writer dropped the batch".into())),
        }
    }

    /// Every state record whose key starts with `prefix`, in key order.
    pub fn load_prefix(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let txn = self.db.begin_read().map_err(err)?;
        let table = txn.open_table(STATE).map_err(err)?;
        let mut out = Vec::new();
        for item in table.range(prefix..).map_err(err)? {
            let (k, v) = item.map_err(err)?;
            if !k.value().starts_with(prefix) {
                break;
            }
            out.push((k.value().to_string(), v.value().to_vec()));
        }
        Ok(out)
    }

    /// Trail events of one account, newest first, starting below sequence `before`
    /// (exclusive; None = from the newest). `visit` returns false to stop.
    pub fn trail_rev(
        &self,
        account: &str,
        before: Option<u64>,
        mut visit: impl FnMut(u64, &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_read().map_err(err)?;
        let table = txn.open_table(TRAIL).map_err(err)?;
        let lo = trail_key(account, 0);
        let hi = trail_key(account, before.unwrap_or(u64::MAX));
        for item in table.range(lo.as_str()..hi.as_str()).map_err(err)?.rev() {
            let (k, v) = item.map_err(err)?;
            let seq = k.value().rsplit('/').next().and_then(|s| s.parse().ok()).unwrap_or(0);
            if !visit(seq, v.value()) {
                break;
            }
        }
        Ok(())
    }

    /// Trail events of one account in chain order (for verification).
    pub fn trail_all(&self, account: &str) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        let txn = self.db.begin_read().map_err(err)?;
        let table = txn.open_table(TRAIL).map_err(err)?;
        let lo = trail_key(account, 0);
        let hi = trail_key(account, u64::MAX);
        let mut out = Vec::new();
        for item in table.range(lo.as_str()..=hi.as_str()).map_err(err)? {
            let (k, v) = item.map_err(err)?;
            let seq = k.value().rsplit('/').next().and_then(|s| s.parse().ok()).unwrap_or(0);
            out.push((seq, v.value().to_vec()));
        }
        Ok(out)
    }

    /// A recorded authorization decision.
    pub fn decision(&self, request_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(err)?;
        let table = txn.open_table(DECISIONS).map_err(err)?;
        Ok(table.get(request_id).map_err(err)?.map(|v| v.value().to_vec()))
    }
}

pub fn trail_key(account: &str, seq: u64) -> String {
    format!("{account}/{seq:016}")
}

/// The chain hash of an event given the previous hash.
pub fn chain_hash(prev: &[u8; 32], event_bytes: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(event_bytes);
    h.finalize().into()
}

fn load_heads(db: &Database) -> Result<HashMap<String, ChainHead>, StoreError> {
    let txn = db.begin_read().map_err(err)?;
    let table = txn.open_table(TRAIL).map_err(err)?;
    let mut heads: HashMap<String, ChainHead> = HashMap::new();
    // Keys sort by account then sequence: the last key of each account is its head.
    for item in table.iter().map_err(err)? {
        let (k, v) = item.map_err(err)?;
        let key = k.value();
        let Some((account, seq)) = key.split_once('/') else { continue };
        let seq: u64 = seq.parse().unwrap_or(0);
        let record: serde_json::Value = serde_json::from_slice(v.value()).unwrap_or_default();
        let hash = record["edgewardChain"]["hash"].as_str().and_then(|h| hex::decode(h).ok()).unwrap_or_default();
        let mut arr = [0u8; 32];
        if hash.len() == 32 {
            arr.copy_from_slice(&hash);
        }
        heads.insert(account.to_string(), ChainHead { seq, hash: arr });
    }
    Ok(heads)
}

fn writer(db: Arc<Database>, jobs: mpsc::Receiver<Job>, mut heads: HashMap<String, ChainHead>) {
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(j) => group.push(j),
                Err(_) => break,
            }
        }
        let mut staged = heads.clone();
        let result = write_group(&db, &group, &mut staged);
        if result.is_ok() {
            heads = staged;
        }
        for job in group {
            let _ = job.done.send(result.clone());
        }
    }
}

fn write_group(db: &Database, group: &[Job], heads: &mut HashMap<String, ChainHead>) -> Result<(), String> {
    let txn = db.begin_write().map_err(|e| e.to_string())?;
    {
        let mut state = txn.open_table(STATE).map_err(|e| e.to_string())?;
        let mut trail = txn.open_table(TRAIL).map_err(|e| e.to_string())?;
        let mut decisions = txn.open_table(DECISIONS).map_err(|e| e.to_string())?;
        for job in group {
            for op in &job.batch.ops {
                match op {
                    Op::Put { key, value } => {
                        state.insert(key.as_str(), value.as_slice()).map_err(|e| e.to_string())?;
                    }
                    Op::Delete { key } => {
                        state.remove(key.as_str()).map_err(|e| e.to_string())?;
                    }
                }
            }
            for append in &job.batch.trail {
                let head = heads.entry(append.account.clone()).or_insert(ChainHead { seq: 0, hash: [0; 32] });
                let seq = head.seq + 1;
                let body = serde_json::to_vec(&append.event).map_err(|e| e.to_string())?;
                let hash = chain_hash(&head.hash, &body);
                let record = serde_json::json!({
                    "event": append.event,
                    "edgewardChain": {"seq": seq, "prevHash": hex::encode(head.hash), "hash": hex::encode(hash)},
                });
                let bytes = serde_json::to_vec(&record).map_err(|e| e.to_string())?;
                trail.insert(trail_key(&append.account, seq).as_str(), bytes.as_slice()).map_err(|e| e.to_string())?;
                *head = ChainHead { seq, hash };
            }
            for (id, bytes) in &job.batch.decisions {
                decisions.insert(id.as_str(), bytes.as_slice()).map_err(|e| e.to_string())?;
            }
        }
    }
    txn.commit().map_err(|e| e.to_string())
}
