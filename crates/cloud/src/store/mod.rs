//! Durable storage: one writer thread that group-commits into a write-ahead journal, and an
//! embedded redb database that the journal is checkpointed into. A call's state changes and
//! its trail event travel in one batch and land in one journal frame, so nothing happens
//! without a record; a batch is acknowledged only after its frame is written and fsync'd
//! (`journal`), so an acknowledged write survives a process crash and, on a disk that
//! honours fsync, a power loss. A checkpoint thread copies journaled groups into redb in
//! large durable transactions (`checkpoint`); until then readers find them in the
//! `Backlog`, and a restart replays whatever frames redb does not hold yet.
//!
//! A trail record is written once, in its journal frame; redb's `TRAIL` table keeps where
//! it lies. The events one frame holds for an account have consecutive sequence numbers, so
//! they take one entry, a block, keyed by the first (`Block`, `stored_events`). Stores from
//! before blocks hold a pointer per event, or the record itself, and every reader accepts
//! all three.
//!
//! The trail's hash chain is assigned here, in commit order: each event gets the next
//! sequence number of its account and `hash = SHA-256(previous hash ‖ event bytes)`. The
//! same thread closes ranges of each chain with signed digests (`trail::digest`) inside its
//! group commits, so no call waits for a signature.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;

use redb::{Database, ReadOnlyDatabase, ReadableDatabase, TableDefinition};
use sha2::{Digest, Sha256};

use crate::trail::digest::{DigestRecord, Digester, KeyRecord, DIGEST_EVERY, DIGEST_INTERVAL};

mod backend;
mod checkpoint;
pub mod journal;

use checkpoint::Backlog;
use journal::{Entry, Frame, Journal, Location, Position, Segments};

/// Service state: key → serialized record.
const STATE: TableDefinition<&str, &[u8]> = TableDefinition::new("state");
/// Trail events: `<account>/<seq:016>` → where the chained event records (JSON) are: a block
/// of the events from `seq` on that one frame holds, a pointer to one, or one record itself
/// (`stored_events`).
const TRAIL: TableDefinition<&str, &[u8]> = TableDefinition::new("trail");
/// Authorization decisions by request id → explanation (JSON).
const DECISIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("decisions");
/// Signed trail digests: `<account>/<digestSeq:016>` → digest record (JSON, `trail::digest`).
const DIGESTS: TableDefinition<&str, &[u8]> = TableDefinition::new("trail_digests");
/// Each account's digest signing key: account → key record (JSON; holds the private key).
const TRAIL_KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("trail_keys");

/// Bookkeeping: `journal_applied_lsn` → the last journal frame the tables hold.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
const APPLIED_LSN: &str = "journal_applied_lsn";
/// …and where the frame after it begins (segment, offset).
const RESUME_SEGMENT: &str = "journal_resume_segment";
const RESUME_OFFSET: &str = "journal_resume_offset";

/// A trail value in redb that points at one record in the journal's segments (a record is
/// JSON, so it never starts with a zero byte): `[0,'P'] ‖ segment u64 ‖ offset u64 ‖ len
/// u32`, little-endian. What stores wrote before blocks, and what `tamper_trail` leaves.
const POINTER_TAG: [u8; 2] = [0, b'P'];
const POINTER_LEN: usize = 2 + 8 + 8 + 4;

/// A trail value that points at a run of one account's events from one frame: the key's
/// sequence number and the ones after it, all in one segment. `[0,'B'] ‖ segment u64 ‖
/// count u32 ‖ count × (offset u64 ‖ len u32)`, little-endian. One entry per account and
/// frame instead of one per event: the checkpoint's B-tree inserts were most of its cost.
const BLOCK_TAG: [u8; 2] = [0, b'B'];
const BLOCK_HEAD: usize = 2 + 8 + 4;
const BLOCK_ITEM: usize = 8 + 4;

fn pointer(at: &Location) -> [u8; POINTER_LEN] {
    let mut out = [0u8; POINTER_LEN];
    out[..2].copy_from_slice(&POINTER_TAG);
    out[2..10].copy_from_slice(&at.segment.to_le_bytes());
    out[10..18].copy_from_slice(&at.offset.to_le_bytes());
    out[18..22].copy_from_slice(&at.len.to_le_bytes());
    out
}

/// One account's consecutive events from one frame, on their way to one TRAIL entry.
struct Block {
    first_seq: u64,
    segment: u64,
    /// Each event's record: offset in the segment, length.
    records: Vec<(u64, u32)>,
}

impl Block {
    fn new(seq: u64, at: &Location) -> Block {
        Block { first_seq: seq, segment: at.segment, records: vec![(at.offset, at.len)] }
    }

    /// Adds the event if it continues the run (the writer numbers an account's events in a
    /// frame consecutively; checked, not assumed). Returns false when it does not.
    fn extend(&mut self, seq: u64, at: &Location) -> bool {
        if seq != self.first_seq + self.records.len() as u64 || at.segment != self.segment {
            return false;
        }
        self.records.push((at.offset, at.len));
        true
    }

    fn store(&self, trail: &mut redb::Table<'_, &'static str, &'static [u8]>, account: &str) -> Result<(), String> {
        trail.insert(trail_key(account, self.first_seq).as_str(), self.encode().as_slice()).map(drop).map_err(|e| e.to_string())
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(BLOCK_HEAD + BLOCK_ITEM * self.records.len());
        out.extend_from_slice(&BLOCK_TAG);
        out.extend_from_slice(&self.segment.to_le_bytes());
        out.extend_from_slice(&(self.records.len() as u32).to_le_bytes());
        for (offset, len) in &self.records {
            out.extend_from_slice(&offset.to_le_bytes());
            out.extend_from_slice(&len.to_le_bytes());
        }
        out
    }
}

/// Where a stored event's record is.
#[derive(Debug, Clone, Copy)]
enum Stored<'a> {
    /// In the TRAIL value itself (stores before pointers, `tamper_trail`, the wipe's frame).
    Inline(&'a [u8]),
    At(Location),
}

impl Stored<'_> {
    fn read(self, segments: &Segments) -> Result<Vec<u8>, StoreError> {
        match self {
            Stored::Inline(record) => Ok(record.to_vec()),
            Stored::At(at) => segments.read(at).map_err(|e| StoreError(format!("cannot read trail record at {at:?}: {e}"))),
        }
    }
}

/// The events a TRAIL value holds, in order, numbered from `first_seq` (its key's): a
/// block's, a pointer's, or the value itself as a record. A value that is not a well-formed
/// block or pointer is taken as a record, for verification to judge.
fn stored_events(first_seq: u64, value: &[u8]) -> Vec<(u64, Stored<'_>)> {
    let n = |at: usize, len: usize| value[at..at + len].iter().rev().fold(0u64, |acc, b| acc << 8 | *b as u64);
    if value.len() == POINTER_LEN && value[..2] == POINTER_TAG {
        return vec![(first_seq, Stored::At(Location { segment: n(2, 8), offset: n(10, 8), len: n(18, 4) as u32 }))];
    }
    if value.len() >= BLOCK_HEAD && value[..2] == BLOCK_TAG {
        let (segment, count) = (n(2, 8), n(10, 4) as usize);
        if value.len() == BLOCK_HEAD + count * BLOCK_ITEM {
            return (0..count)
                .map(|i| {
                    let at = BLOCK_HEAD + i * BLOCK_ITEM;
                    (first_seq.saturating_add(i as u64), Stored::At(Location { segment, offset: n(at, 8), len: n(at + 8, 4) as u32 }))
                })
                .collect();
        }
    }
    vec![(first_seq, Stored::Inline(value))]
}

/// The sequence number in a `<account>/<seq:016>` key.
fn key_seq(key: &str) -> u64 {
    key.rsplit('/').next().and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// redb's page cache (read cache and write buffer).
const CACHE_BYTES: usize = 32 << 20;

/// Largest number of batches folded into one group commit.
const MAX_GROUP: usize = 512;

/// A group this large means calls arrive faster than fsyncs complete…
const BUSY_GROUP: usize = 8;
/// …and then the next group gathers for this long before it is written.
const GATHER: std::time::Duration = std::time::Duration::from_micros(200);

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
    /// The CloudTrail record without the chain fields: a JSON object's bytes (serialized by
    /// the calling task, so the one writer thread only chains, frames and stores them).
    pub event: Vec<u8>,
}

/// Everything one call writes, committed atomically.
#[derive(Debug, Default)]
pub struct Batch {
    /// Empties every table (state, trail, decisions) and restarts every trail chain
    /// before the rest of the batch is applied, in the same transaction
    /// (`Cloud::reset`, used only by the moto compatibility mode).
    pub wipe: bool,
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
        !self.wipe && self.ops.is_empty() && self.trail.is_empty() && self.decisions.is_empty()
    }
}

/// Where each account's chain stands.
#[derive(Debug, Clone)]
struct ChainHead {
    seq: u64,
    hash: [u8; 32],
}

type Answer = tokio::sync::oneshot::Sender<Result<(), String>>;

struct Job {
    batch: Batch,
    done: Answer,
    /// The submitting thread's mailbox, if it has one (`answer_on_this_thread`).
    home: Option<Arc<Mailbox>>,
}

/// Where the writer leaves the answers to one serving thread's batches: a whole group's
/// answers cost that thread one wake-up (a task there hands them out), where answering
/// each batch directly from the writer thread costs one cross-thread wake-up, a syscall,
/// per batch.
#[derive(Default)]
struct Mailbox {
    answers: std::sync::Mutex<Vec<(Answer, Result<(), String>)>>,
    ready: tokio::sync::Notify,
}

impl Mailbox {
    async fn deliver(&self) {
        loop {
            self.ready.notified().await;
            let answers = std::mem::take(&mut *self.answers.lock().unwrap_or_else(|e| e.into_inner()));
            for (done, result) in answers {
                let _ = done.send(result);
            }
        }
    }
}

thread_local! {
    static MAILBOX: std::cell::RefCell<Option<Arc<Mailbox>>> = const { std::cell::RefCell::new(None) };
}

/// Called on a single-threaded runtime's thread, inside the runtime: the batches this
/// thread submits from now on are answered through a mailbox that a task spawned here
/// empties. Without it (or on any other thread) each batch is answered directly.
pub fn answer_on_this_thread() {
    let mailbox = Arc::new(Mailbox::default());
    MAILBOX.with(|m| *m.borrow_mut() = Some(mailbox.clone()));
    tokio::spawn(async move { mailbox.deliver().await });
}

/// Sends a group's answers: directly, or into their threads' mailboxes, each woken once.
fn answer(group: Vec<Job>, result: &Result<(), String>) {
    let mut woken: Vec<Arc<Mailbox>> = Vec::new();
    for job in group {
        match job.home {
            None => {
                let _ = job.done.send(result.clone());
            }
            Some(home) => {
                home.answers.lock().unwrap_or_else(|e| e.into_inner()).push((job.done, result.clone()));
                if !woken.iter().any(|w| Arc::ptr_eq(w, &home)) {
                    woken.push(home);
                }
            }
        }
    }
    for home in woken {
        home.ready.notify_one();
    }
}

/// A submitted batch; `wait` returns once it is durable.
pub struct Pending(Option<tokio::sync::oneshot::Receiver<Result<(), String>>>);

impl Pending {
    pub async fn wait(self) -> Result<(), StoreError> {
        let Some(wait) = self.0 else { return Ok(()) };
        match wait.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError(e)),
            Err(_) => Err(StoreError("the writer dropped the batch".into())),
        }
    }
}

/// The store handle: cheap to clone.
#[derive(Clone)]
pub struct Store {
    // Field order matters on drop: the last clone drops its sender before the writer is
    // joined, so the writer sees the channel close, finishes (the checkpoint thread applies
    // the whole journal), and drops the database cleanly.
    db: Arc<Database>,
    backlog: Arc<Backlog>,
    segments: Arc<Segments>,
    jobs: mpsc::Sender<Job>,
    _writer: Arc<JoinOnDrop>,
}

/// Joins the writer thread when the last `Store` clone goes: pending batches are committed
/// and redb records a clean shutdown, so the next start need not check the whole file.
struct JoinOnDrop(std::sync::Mutex<Option<std::thread::JoinHandle<()>>>);

impl Drop for JoinOnDrop {
    fn drop(&mut self) {
        if let Some(handle) = self.0.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = handle.join();
        }
    }
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, DIGEST_EVERY, DIGEST_INTERVAL)
    }

    /// As `open`, with the digest cadence: a digest every `digest_every` events of an
    /// account, or once its events have waited `digest_interval`.
    pub fn open_with(path: &Path, digest_every: u64, digest_interval: std::time::Duration) -> Result<Store, StoreError> {
        // A bounded page cache: redb's default (1 GiB) lets a busy server's RSS grow by
        // every page the trail writes; the OS page cache still holds the file.
        // The file is opened as `Builder::create` opens it; the backend fills the holes redb's
        // sparse growth leaves before writing into them (`backend`).
        let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).map_err(err)?;
        let backend = backend::FilledFileBackend::new(file).map_err(err)?;
        let db = Database::builder().set_cache_size(CACHE_BYTES).create_with_backend(backend).map_err(err)?;
        let journal_dir = journal::dir_for(path);
        let applied = recover(&db, &journal_dir)?;
        let journal = Journal::start(&journal_dir, applied + 1).map_err(|e| StoreError(format!("cannot open the journal in {}: {e}", journal_dir.display())))?;
        let segments = Arc::new(Segments::new(journal_dir.clone()));
        let db = Arc::new(db);
        let heads = load_heads(&db, &segments)?;
        let digester = load_digester(&db, path.parent().map(Path::to_path_buf), digest_every, digest_interval)?;
        let backlog = Arc::new(Backlog::new(applied, journal.position()));
        let checkpointer = {
            let (db, backlog) = (db.clone(), backlog.clone());
            std::thread::Builder::new().name("edgeward-checkpoint".into()).spawn(move || checkpoint::run(db, backlog)).map_err(err)?
        };
        let (tx, rx) = mpsc::channel::<Job>();
        let writer = Writer { db: db.clone(), backlog: backlog.clone(), journal, next_lsn: applied + 1, heads, digester, busy: false };
        let handle = std::thread::Builder::new()
            .name("edgeward-store-writer".into())
            .spawn(move || {
                writer.run(rx);
                let _ = checkpointer.join();
            })
            .map_err(err)?;
        Ok(Store { db, backlog, segments, jobs: tx, _writer: Arc::new(JoinOnDrop(std::sync::Mutex::new(Some(handle)))) })
    }

    /// Commits a batch durably; returns once it is on disk.
    pub async fn commit(&self, batch: Batch) -> Result<(), StoreError> {
        self.submit(batch)?.wait().await
    }

    /// Hands a batch to the writer without waiting. Batches are committed in the order they
    /// are submitted, so a caller that submits while still holding the lock under which it
    /// changed the in-memory state keeps memory and disk in the same order.
    pub fn submit(&self, batch: Batch) -> Result<Pending, StoreError> {
        if batch.is_empty() {
            return Ok(Pending(None));
        }
        let (done, wait) = tokio::sync::oneshot::channel();
        let home = MAILBOX.with(|m| m.borrow().clone());
        self.jobs.send(Job { batch, done, home }).map_err(|_| StoreError("the writer has stopped".into()))?;
        Ok(Pending(Some(wait)))
    }


    /// Every state record whose key starts with `prefix`, in key order. Reads the redb file
    /// alone: meant for loading the state at open, before any commit.
    pub fn load_prefix(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        read_range(&*self.db, STATE, prefix)
    }

    /// Trail events of one account, newest first, starting below sequence `before`
    /// (exclusive; None = from the newest). `visit` returns false to stop.
    pub fn trail_rev(
        &self,
        account: &str,
        before: Option<u64>,
        mut visit: impl FnMut(u64, &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        // The backlog first, then redb below the backlog's lowest event (see `checkpoint`).
        let (recent, lowest) = self.backlog.trail_below(account, before);
        for (seq, bytes) in &recent {
            if !visit(*seq, bytes) {
                return Ok(());
            }
        }
        let txn = self.db.begin_read().map_err(err)?;
        let table = txn.open_table(TRAIL).map_err(err)?;
        let below = before.unwrap_or(u64::MAX).min(lowest.unwrap_or(u64::MAX));
        let (lo, hi) = (trail_key(account, 0), trail_key(account, below));
        // Every entry keyed below `below` holds events from its key on: the last of them (the
        // floor of `below - 1`) may run past `below`, and those events are skipped.
        for item in table.range(lo.as_str()..hi.as_str()).map_err(err)?.rev() {
            let (k, v) = item.map_err(err)?;
            for (seq, stored) in stored_events(key_seq(k.value()), v.value()).into_iter().rev() {
                if seq < below && !visit(seq, &stored.read(&self.segments)?) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }
}

impl TrailRead for Store {
    fn reader(&self) -> &dyn ReadableDatabase {
        &*self.db
    }
    fn segments(&self) -> &Segments {
        &self.segments
    }
    fn backlog(&self) -> Option<&Backlog> {
        Some(&self.backlog)
    }
}

/// One account's trail as read in one transaction: events and digests agree.
#[derive(Debug, Default, Clone)]
pub struct AccountTrail {
    /// `(sequence number from the key, stored record)` in key order.
    pub events: Vec<(u64, Vec<u8>)>,
    /// `(digest number from the key, stored digest)` in key order.
    pub digests: Vec<(u64, Vec<u8>)>,
}

/// Reading the trail, the digests and the decisions: shared by the running store and a
/// read-only `Snapshot` of its file (what `edgeward audit verify` opens).
pub trait TrailRead {
    fn reader(&self) -> &dyn ReadableDatabase;
    /// Where the trail records that redb points at are.
    fn segments(&self) -> &Segments;

    /// Committed groups the redb file does not hold yet (the running store's; a snapshot
    /// has none). Every reader below consults it before its redb transaction.
    fn backlog(&self) -> Option<&Backlog> {
        None
    }

    /// Every account with trail events, in order.
    fn trail_accounts(&self) -> Result<Vec<String>, StoreError> {
        let mut accounts = self.backlog().map(Backlog::trail_accounts).unwrap_or_default();
        accounts.extend(accounts_in(self.reader(), TRAIL)?);
        accounts.sort();
        accounts.dedup();
        Ok(accounts)
    }

    /// An account's events and digests, from one read transaction.
    fn account_trail(&self, account: &str) -> Result<AccountTrail, StoreError> {
        let (recent_events, recent_digests) = self.backlog().map(|b| b.account_records(account)).unwrap_or_default();
        let txn = self.reader().begin_read().map_err(err)?;
        Ok(AccountTrail {
            events: after_stored(account_range(&txn, TRAIL, account, Some(self.segments()))?, recent_events),
            digests: after_stored(account_range(&txn, DIGESTS, account, None)?, recent_digests),
        })
    }

    /// A recorded authorization decision.
    fn decision(&self, request_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(d) = self.backlog().and_then(|b| b.decision(request_id)) {
            return Ok(Some(d.to_vec()));
        }
        let txn = self.reader().begin_read().map_err(err)?;
        let table = txn.open_table(DECISIONS).map_err(err)?;
        Ok(table.get(request_id).map_err(err)?.map(|v| v.value().to_vec()))
    }

    /// The digest signing keys the store holds (private keys included).
    fn key_records(&self) -> Result<Vec<KeyRecord>, StoreError> {
        key_records(self.reader(), self.backlog())
    }
}

/// Stored records followed by the backlog's records above the last stored one (the two
/// overlap while a checkpoint is landing).
fn after_stored(mut stored: Vec<(u64, Vec<u8>)>, recent: checkpoint::Numbered) -> Vec<(u64, Vec<u8>)> {
    let last = stored.last().map(|(n, _)| *n);
    stored.extend(recent.into_iter().filter(|(n, _)| last.is_none_or(|l| *n > l)).map(|(n, b)| (n, b.to_vec())));
    stored
}

/// Every signing key record: the backlog's, then redb's for the other accounts.
fn key_records(db: &dyn ReadableDatabase, backlog: Option<&Backlog>) -> Result<Vec<KeyRecord>, StoreError> {
    let mut records: Vec<KeyRecord> = backlog
        .map(Backlog::signing_keys)
        .unwrap_or_default()
        .iter()
        .map(|b| serde_json::from_slice(b).map_err(err))
        .collect::<Result<_, _>>()?;
    for (_, v) in read_range(db, TRAIL_KEYS, "")? {
        let record: KeyRecord = serde_json::from_slice(&v).map_err(err)?;
        if !records.iter().any(|r| r.account_id == record.account_id) {
            records.push(record);
        }
    }
    records.sort_by(|a, b| a.account_id.cmp(&b.account_id));
    Ok(records)
}

/// The store's file opened read-only by another process (verification, explanations).
pub struct Snapshot {
    db: ReadOnlyDatabase,
    segments: Segments,
}

/// Why a snapshot could not be opened.
#[derive(Debug)]
pub enum SnapshotError {
    /// A running `edgeward cloud serve` holds the file's exclusive lock.
    Locked,
    Other(StoreError),
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapshotError::Locked => f.write_str("the store is open in another process (a running `edgeward cloud serve` holds its exclusive lock)"),
            SnapshotError::Other(e) => e.fmt(f),
        }
    }
}

impl Snapshot {
    /// Opens the store file read-only. A file left by a crash is first recovered the way
    /// the server would recover it at its next start: redb rolls back to its last commit and
    /// the journal's frames after it are applied.
    pub fn open(path: &Path) -> Result<Snapshot, SnapshotError> {
        if !path.exists() {
            return Err(SnapshotError::Other(StoreError(format!("{} does not exist", path.display()))));
        }
        let classify = |e: redb::DatabaseError| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => SnapshotError::Locked,
            e => SnapshotError::Other(err(e)),
        };
        let journal_dir = journal::dir_for(path);
        let recovered = |db: Database| recover(&db, &journal_dir).map(drop).map_err(SnapshotError::Other);
        let snapshot = |db| Snapshot { db, segments: Segments::new(journal_dir.clone()) };
        match ReadOnlyDatabase::open(path) {
            Ok(db) => {
                let (applied, resume) = journal_meta(&db).map_err(SnapshotError::Other)?;
                let behind = journal::unapplied_frames(&journal_dir, applied, resume).map_err(|e| SnapshotError::Other(err(e)))?;
                if behind.is_empty() {
                    return Ok(snapshot(db));
                }
                drop(db);
                recovered(Database::open(path).map_err(classify)?)?;
            }
            Err(redb::DatabaseError::RepairAborted) => recovered(Database::open(path).map_err(classify)?)?,
            Err(e) => return Err(classify(e)),
        }
        ReadOnlyDatabase::open(path).map(snapshot).map_err(classify)
    }
}

impl TrailRead for Snapshot {
    fn reader(&self) -> &dyn ReadableDatabase {
        &self.db
    }
    fn segments(&self) -> &Segments {
        &self.segments
    }
}

/// Every distinct account prefix (`<account>/…`) of a table, skipping from one account to
/// the next rather than reading every key.
fn accounts_in(db: &dyn ReadableDatabase, def: TableDefinition<&str, &[u8]>) -> Result<Vec<String>, StoreError> {
    let txn = db.begin_read().map_err(err)?;
    let table = match txn.open_table(def) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(err(e)),
    };
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let next = table.range(cursor.as_str()..).map_err(err)?.next();
        let Some(item) = next else { break };
        let (k, _) = item.map_err(err)?;
        let account = k.value().split('/').next().unwrap_or_default().to_string();
        // '0' sorts right after '/': the first key past every `<account>/…`.
        cursor = format!("{account}0");
        out.push(account);
    }
    Ok(out)
}

/// `(n, value)` for every `<account>/<n:016>` key of a table.
/// With `segments` (the trail), each event a value holds, with its record read from there.
fn account_range(txn: &redb::ReadTransaction, def: TableDefinition<&str, &[u8]>, account: &str, segments: Option<&Segments>) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
    let table = match txn.open_table(def) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(err(e)),
    };
    let lo = trail_key(account, 0);
    let hi = trail_key(account, u64::MAX);
    let mut out = Vec::new();
    for item in table.range(lo.as_str()..=hi.as_str()).map_err(err)? {
        let (k, v) = item.map_err(err)?;
        let n = key_seq(k.value());
        match segments {
            Some(segments) => {
                for (seq, stored) in stored_events(n, v.value()) {
                    out.push((seq, stored.read(segments)?));
                }
            }
            None => out.push((n, v.value().to_vec())),
        }
    }
    Ok(out)
}

fn read_range(db: &dyn ReadableDatabase, def: TableDefinition<&str, &[u8]>, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
    let txn = db.begin_read().map_err(err)?;
    let table = txn.open_table(def).map_err(err)?;
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

/// What `tamper_trail` does to a stored event.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub enum Tamper {
    /// Replace the record stored at this sequence number (or add one there).
    Put(u64, Vec<u8>),
    Delete(u64),
}

/// Rewrites trail records behind the store's back, in a stopped server's file: for tests
/// that show `edgeward audit verify` catching it. Nothing in edgeward calls this.
#[doc(hidden)]
pub fn tamper_trail(path: &Path, account: &str, edits: &[Tamper]) -> Result<(), StoreError> {
    let db = Database::open(path).map_err(err)?;
    recover(&db, &journal::dir_for(path))?;
    let txn = db.begin_write().map_err(err)?;
    {
        let mut trail = txn.open_table(TRAIL).map_err(err)?;
        for e in edits {
            let (Tamper::Put(seq, _) | Tamper::Delete(seq)) = e;
            unblock(&mut trail, account, *seq)?;
            match e {
                Tamper::Put(seq, bytes) => {
                    trail.insert(trail_key(account, *seq).as_str(), bytes.as_slice()).map_err(err)?;
                }
                Tamper::Delete(seq) => {
                    trail.remove(trail_key(account, *seq).as_str()).map_err(err)?;
                }
            }
        }
    }
    txn.commit().map_err(err)
}

/// Replaces the block holding event `seq`, if one does, with a pointer per event, so that
/// one event can be edited on its own.
fn unblock(trail: &mut redb::Table<'_, &'static str, &'static [u8]>, account: &str, seq: u64) -> Result<(), StoreError> {
    use redb::ReadableTable;
    let (lo, hi) = (trail_key(account, 0), trail_key(account, seq));
    let floor = trail.range(lo.as_str()..=hi.as_str()).map_err(err)?.next_back().transpose().map_err(err)?;
    let Some((key, value)) = floor.map(|(k, v)| (k.value().to_string(), v.value().to_vec())) else { return Ok(()) };
    if !value.starts_with(&BLOCK_TAG) {
        return Ok(());
    }
    let events = stored_events(key_seq(&key), &value);
    if !events.iter().any(|(s, _)| *s == seq) {
        return Ok(());
    }
    trail.remove(key.as_str()).map_err(err)?;
    for (s, stored) in events {
        match stored {
            Stored::At(at) => trail.insert(trail_key(account, s).as_str(), pointer(&at).as_slice()),
            Stored::Inline(record) => trail.insert(trail_key(account, s).as_str(), record),
        }
        .map_err(err)?;
    }
    Ok(())
}

pub fn trail_key(account: &str, seq: u64) -> String {
    format!("{account}/{seq:016}")
}

/// The stored record of a chained event: exactly the bytes of
/// `serde_json::to_vec(&json!({"event": event, "edgewardChain": {"seq", "prevHash", "hash"}}))`
/// (serde_json's maps sort their keys), framed around the event's own bytes instead of
/// cloning and re-serializing the event.
fn chained_record(event_bytes: &[u8], seq: u64, prev: &[u8; 32], hash: &[u8; 32]) -> Vec<u8> {
    const HEAD: &[u8] = br#"{"edgewardChain":{"hash":""#;
    let mut out = Vec::with_capacity(event_bytes.len() + 200);
    out.extend_from_slice(HEAD);
    crate::ids::hex_into(&mut out, hash);
    out.extend_from_slice(br#"","prevHash":""#);
    crate::ids::hex_into(&mut out, prev);
    out.extend_from_slice(br#"","seq":"#);
    out.extend_from_slice(seq.to_string().as_bytes());
    out.extend_from_slice(br#"},"event":"#);
    out.extend_from_slice(event_bytes);
    out.push(b'}');
    out
}

/// The chain hash of an event given the previous hash.
pub fn chain_hash(prev: &[u8; 32], event_bytes: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev);
    h.update(event_bytes);
    h.finalize().into()
}

fn load_heads(db: &Database, segments: &Segments) -> Result<HashMap<String, ChainHead>, StoreError> {
    let txn = db.begin_read().map_err(err)?;
    let table = txn.open_table(TRAIL).map_err(err)?;
    let mut heads: HashMap<String, ChainHead> = HashMap::new();
    // Keys sort by account then sequence: the last key of each account holds its head. Read
    // only that key per account (start-up must not grow with the trail).
    for account in accounts_in(db, TRAIL)? {
        // '0' sorts right after '/': `<account>/` ..< `<account>0` is every key of the account.
        let (lo, hi) = (format!("{account}/"), format!("{account}0"));
        let Some(item) = table.range(lo.as_str()..hi.as_str()).map_err(err)?.next_back() else { continue };
        let (k, v) = item.map_err(err)?;
        // The last key may be a block: the head is its last event.
        let Some((seq, stored)) = stored_events(key_seq(k.value()), v.value()).pop() else { continue };
        let record: serde_json::Value = serde_json::from_slice(&stored.read(segments)?).unwrap_or_default();
        let hash = record["edgewardChain"]["hash"].as_str().and_then(|h| hex::decode(h).ok()).unwrap_or_default();
        let mut arr = [0u8; 32];
        if hash.len() == 32 {
            arr.copy_from_slice(&hash);
        }
        heads.insert(account, ChainHead { seq, hash: arr });
    }
    Ok(heads)
}

/// The writer thread's state: where each chain stands, the digest schedule, the journal.
struct Writer {
    db: Arc<Database>,
    backlog: Arc<Backlog>,
    journal: Journal,
    /// The next journal frame's number.
    next_lsn: u64,
    heads: HashMap<String, ChainHead>,
    digester: Digester,
    /// The last group was large (see `BUSY_GROUP`).
    busy: bool,
}

impl Writer {
    fn run(mut self, jobs: mpsc::Receiver<Job>) {
        loop {
            // Sleep until the next job, or until an idle account's events are due a digest.
            let deadline = self.digester.next_deadline(self.heads.iter().map(|(a, h)| (a.as_str(), h.seq)));
            let first = match deadline {
                None => match jobs.recv() {
                    Ok(j) => j,
                    Err(_) => break,
                },
                Some(at) => match jobs.recv_timeout(at.saturating_duration_since(std::time::Instant::now())) {
                    Ok(j) => j,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        self.write_due_digests();
                        continue;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                },
            };
            let mut group = vec![first];
            if self.busy {
                // Under load, wait a moment for more calls to join: one fsync then serves
                // more of them (measured: half the fsyncs, ~5 % less CPU per call at 128
                // connections). A server with few callers at a time never waits here.
                std::thread::sleep(GATHER);
            }
            group.extend(jobs.try_iter().take(MAX_GROUP - 1));
            self.busy = group.len() >= BUSY_GROUP;
            let result = self.commit_group(&mut group);
            answer(group, &result);
        }
        // Every sender is gone: apply the whole journal durably (a clean stop).
        self.backlog.finish();
    }

    /// Chains, journals and hands over one group; the chain heads and digest schedule move
    /// only if it became durable.
    fn commit_group(&mut self, group: &mut [Job]) -> Result<(), String> {
        let mut heads = self.heads.clone();
        let mut digester = self.digester.clone();
        let mut entries = Vec::new();
        for job in group.iter_mut() {
            let batch = std::mem::take(&mut job.batch);
            if batch.wipe {
                entries.push(Entry::Wipe);
                heads.clear();
                digester.wipe();
            }
            for op in batch.ops {
                entries.push(match op {
                    Op::Put { key, value } => Entry::Put { key, value },
                    Op::Delete { key } => Entry::Delete { key },
                });
            }
            for TrailAppend { account, event } in batch.trail {
                let head = match heads.get_mut(account.as_str()) {
                    Some(h) => h,
                    None => heads.entry(account.clone()).or_insert(ChainHead { seq: 0, hash: [0; 32] }),
                };
                let seq = head.seq + 1;
                let hash = chain_hash(&head.hash, &event);
                let record = chained_record(&event, seq, &head.hash, &hash).into();
                *head = ChainHead { seq, hash };
                entries.push(Entry::Trail { account, seq, record });
            }
            for (request_id, record) in batch.decisions {
                entries.push(Entry::Decision { request_id, record: record.into() });
            }
        }
        let due = digester.due(heads.iter().map(|(a, h)| (a.as_str(), h.seq)), std::time::Instant::now());
        let fresh = digest_entries(&heads, &mut digester, &due, &mut entries)?;
        self.commit(entries)?;
        self.heads = heads;
        self.digester = digester;
        self.publish_keys(fresh);
        Ok(())
    }

    /// Makes the entries durable. A wipe is rare (the moto compatibility reset) and must not
    /// be replayed over later frames' effects piecemeal: it waits for the backlog to empty and
    /// commits straight to redb. Everything else is one journal frame.
    fn commit(&mut self, entries: Vec<Entry>) -> Result<(), String> {
        if entries.contains(&Entry::Wipe) {
            self.backlog.wait_durable(self.next_lsn - 1)?;
            let frame = Frame { lsn: self.next_lsn - 1, entries, trail_at: Vec::new(), next: self.journal.position() };
            return apply_frames(&self.db, [&frame], self.next_lsn - 1, frame.next, true);
        }
        let lsn = self.next_lsn;
        self.journal.stage(lsn, &entries);
        let half_full = self.journal.half_full();
        let (trail_at, next) = self.journal.append(lsn).map_err(|e| format!("journal: {e}"))?;
        if !half_full && self.journal.half_full() {
            // Half way through a segment: a durable checkpoint now bounds what a restart
            // after a crash has to read again.
            self.backlog.request_durable();
        }
        self.next_lsn += 1;
        self.backlog.push(Frame { lsn, entries, trail_at, next });
        Ok(())
    }

    /// Digests alone, for accounts whose events have waited long enough.
    fn write_due_digests(&mut self) {
        let now = std::time::Instant::now();
        let due = self.digester.due(self.heads.iter().map(|(a, h)| (a.as_str(), h.seq)), now);
        if due.is_empty() {
            return;
        }
        let mut digester = self.digester.clone();
        let mut entries = Vec::new();
        match digest_entries(&self.heads, &mut digester, &due, &mut entries).and_then(|fresh| Ok((fresh, self.commit(entries)?))) {
            Ok((fresh, ())) => {
                self.digester = digester;
                self.publish_keys(fresh);
            }
            Err(e) => {
                tracing::error!("cannot write trail digests: {e}");
                self.digester.postpone(&due, now);
            }
        }
    }

    /// After a commit that stored new signing keys: rewrite `trail-public-keys.json`.
    fn publish_keys(&self, fresh: bool) {
        if !fresh {
            return;
        }
        let published = key_records(&*self.db, Some(&self.backlog)).map_err(|e| e.to_string()).and_then(|records| self.digester.publish(&records));
        if let Err(e) = published {
            tracing::error!("cannot publish the trail's public keys: {e}");
        }
    }
}

/// Signs a digest for each of `accounts` at its chain head, as entries (with any new
/// signing key). Returns whether there are new keys.
fn digest_entries(heads: &HashMap<String, ChainHead>, digester: &mut Digester, accounts: &[String], out: &mut Vec<Entry>) -> Result<bool, String> {
    let now = std::time::Instant::now();
    let now_secs = crate::time::now_secs();
    for account in accounts {
        let Some(head) = heads.get(account) else { continue };
        let d = digester.emit(account, head.seq, head.hash, now_secs, now);
        out.push(Entry::Digest { account: d.account, seq: d.digest_seq, record: d.bytes.into() });
    }
    let fresh = digester.take_fresh_keys();
    for k in &fresh {
        let record = serde_json::to_vec(k).map_err(|e| e.to_string())?;
        out.push(Entry::SigningKey { account: k.account_id.clone(), record: record.into() });
    }
    Ok(!fresh.is_empty())
}

/// Applies journal frames to redb in one transaction that also records `last`, the number of
/// the last frame it holds, and `resume`, where the next begins (the checkpoint, recovery,
/// and the wipe's direct path). When the frame says where its trail records lie, each
/// account's events in it become one block pointing at them in the segments; otherwise each
/// event's record is stored itself. Without `durable` the commit is not fsync'd: the journal
/// still holds the frames (`checkpoint`).
fn apply_frames<'a>(db: &Database, frames: impl IntoIterator<Item = &'a Frame>, last: u64, resume: Position, durable: bool) -> Result<(), String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let mut txn = db.begin_write().map_err(|x| e(&x))?;
    if !durable {
        txn.set_durability(redb::Durability::None).map_err(|x| e(&x))?;
    }
    {
        let mut state = txn.open_table(STATE).map_err(|x| e(&x))?;
        let mut trail = txn.open_table(TRAIL).map_err(|x| e(&x))?;
        let mut decisions = txn.open_table(DECISIONS).map_err(|x| e(&x))?;
        let mut digests = txn.open_table(DIGESTS).map_err(|x| e(&x))?;
        let mut keys = txn.open_table(TRAIL_KEYS).map_err(|x| e(&x))?;
        for frame in frames {
            let mut trail_at = frame.trail_at.iter();
            // Each account's run of events in this frame, stored as one entry at its end.
            let mut blocks: BTreeMap<&str, Block> = BTreeMap::new();
            for entry in &frame.entries {
                match entry {
                    Entry::Wipe => {
                        // The events before it go with the rest.
                        blocks.clear();
                        state.retain(|_, _| false).map_err(|x| e(&x))?;
                        trail.retain(|_, _| false).map_err(|x| e(&x))?;
                        decisions.retain(|_, _| false).map_err(|x| e(&x))?;
                        digests.retain(|_, _| false).map_err(|x| e(&x))?;
                    }
                    Entry::Put { key, value } => {
                        state.insert(key.as_str(), value.as_slice()).map_err(|x| e(&x))?;
                    }
                    Entry::Delete { key } => {
                        state.remove(key.as_str()).map_err(|x| e(&x))?;
                    }
                    Entry::Trail { account, seq, record } => match trail_at.next() {
                        Some(at) => {
                            if !blocks.get_mut(account.as_str()).is_some_and(|block| block.extend(*seq, at)) {
                                // A run that breaks is stored as it stands and a new one begins.
                                if let Some(ended) = blocks.insert(account.as_str(), Block::new(*seq, at)) {
                                    ended.store(&mut trail, account)?;
                                }
                            }
                        }
                        None => {
                            if let Some(ended) = blocks.remove(account.as_str()) {
                                ended.store(&mut trail, account)?;
                            }
                            trail.insert(trail_key(account, *seq).as_str(), &record[..]).map_err(|x| e(&x))?;
                        }
                    },
                    Entry::Decision { request_id, record } => {
                        decisions.insert(request_id.as_str(), &record[..]).map_err(|x| e(&x))?;
                    }
                    Entry::Digest { account, seq, record } => {
                        digests.insert(trail_key(account, *seq).as_str(), &record[..]).map_err(|x| e(&x))?;
                    }
                    Entry::SigningKey { account, record } => {
                        keys.insert(account.as_str(), &record[..]).map_err(|x| e(&x))?;
                    }
                }
            }
            for (account, block) in &blocks {
                block.store(&mut trail, account)?;
            }
        }
        let mut meta = txn.open_table(META).map_err(|x| e(&x))?;
        meta.insert(APPLIED_LSN, last).map_err(|x| e(&x))?;
        meta.insert(RESUME_SEGMENT, resume.segment).map_err(|x| e(&x))?;
        meta.insert(RESUME_OFFSET, resume.offset).map_err(|x| e(&x))?;
    }
    txn.commit().map_err(|x| e(&x))
}

/// Where the journal stands in the tables: the last frame they hold, and where the next
/// begins (None for a store that never recorded it).
fn journal_meta(db: &dyn ReadableDatabase) -> Result<(u64, Option<Position>), StoreError> {
    let txn = db.begin_read().map_err(err)?;
    let table = match txn.open_table(META) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok((0, None)),
        Err(e) => return Err(err(e)),
    };
    let get = |k: &str| -> Result<Option<u64>, StoreError> { Ok(table.get(k).map_err(err)?.map(|v| v.value())) };
    let resume = match (get(RESUME_SEGMENT)?, get(RESUME_OFFSET)?) {
        (Some(segment), Some(offset)) => Some(Position { segment, offset }),
        _ => None,
    };
    Ok((get(APPLIED_LSN)?.unwrap_or(0), resume))
}

#[cfg(test)]
fn applied_lsn(db: &dyn ReadableDatabase) -> Result<u64, StoreError> {
    journal_meta(db).map(|(applied, _)| applied)
}

/// Creates the tables if needed and applies the frames a crash left in the journal.
/// Returns the last frame number the tables hold.
fn recover(db: &Database, journal_dir: &Path) -> Result<u64, StoreError> {
    {
        let txn = db.begin_write().map_err(err)?;
        txn.open_table(STATE).map_err(err)?;
        txn.open_table(TRAIL).map_err(err)?;
        txn.open_table(DECISIONS).map_err(err)?;
        txn.open_table(DIGESTS).map_err(err)?;
        txn.open_table(TRAIL_KEYS).map_err(err)?;
        txn.open_table(META).map_err(err)?;
        txn.commit().map_err(err)?;
    }
    let (applied, resume) = journal_meta(db)?;
    let frames = journal::unapplied_frames(journal_dir, applied, resume).map_err(|e| StoreError(format!("cannot read the journal in {}: {e}", journal_dir.display())))?;
    let Some((last, next)) = frames.last().map(|f| (f.lsn, f.next)) else { return Ok(applied) };
    tracing::info!("applying {} journal frames a stop left unapplied", frames.len());
    apply_frames(db, &frames, last, next, true).map_err(StoreError)?;
    Ok(last)
}

/// The digest state at open: each account's last digest and signing key; rewrites the
/// public key file from the store (a crash may have come between the two).
fn load_digester(db: &Database, dir: Option<std::path::PathBuf>, every: u64, interval: std::time::Duration) -> Result<Digester, StoreError> {
    let mut digester = Digester::new(dir, every, interval);
    let records = key_records(db, None)?;
    for k in &records {
        digester.restore_key(k).map_err(StoreError)?;
    }
    if !records.is_empty() {
        digester.publish(&records).map_err(StoreError)?;
    }
    for account in accounts_in(db, DIGESTS)? {
        let txn = db.begin_read().map_err(err)?;
        let table = txn.open_table(DIGESTS).map_err(err)?;
        let hi = trail_key(&account, u64::MAX);
        if let Some(last) = table.range(trail_key(&account, 0).as_str()..=hi.as_str()).map_err(err)?.next_back() {
            let (_, v) = last.map_err(err)?;
            let record: DigestRecord = serde_json::from_slice(v.value()).map_err(|e| StoreError(format!("the last digest of {account} is damaged: {e}")))?;
            digester.restore_digest(&record).map_err(StoreError)?;
        }
    }
    Ok(digester)
}

#[cfg(test)]
mod perf_tests {
    use super::*;

    #[test]
    fn chained_record_is_the_json_it_replaces() {
        let event = serde_json::json!({"eventName": "GetRole", "userAgent": "a \"quoted\" \u{1} ü", "n": 1.5, "z": [null, true]});
        let body = serde_json::to_vec(&event).unwrap();
        let (prev, hash) = ([7u8; 32], chain_hash(&[7u8; 32], &body));
        let expected = serde_json::to_vec(&serde_json::json!({
            "event": event,
            "edgewardChain": {"seq": 12345u64, "prevHash": hex::encode(prev), "hash": hex::encode(hash)},
        }))
        .unwrap();
        assert_eq!(String::from_utf8(chained_record(&body, 12345, &prev, &hash)).unwrap(), String::from_utf8(expected).unwrap());
    }

    #[test]
    fn batches_from_a_thread_with_a_mailbox_are_answered_through_it_once_durable() {
        let dir = crate::test_dir("store-mailbox");
        let path = dir.join("edgeward.redb");
        let store = Store::open(&path).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let committed = rt.block_on(async {
            answer_on_this_thread();
            assert!(MAILBOX.with(|m| m.borrow().is_some()));
            // Many at once: the writer folds them into groups and wakes this thread once
            // per group; every one of them must still get its own answer.
            let tasks: Vec<_> = (0..200)
                .map(|n| {
                    let store = store.clone();
                    tokio::spawn(async move {
                        let mut b = Batch::default();
                        b.put(format!("k/{n:03}"), vec![1]);
                        store.commit(b).await
                    })
                })
                .collect();
            let mut committed = 0;
            for t in tasks {
                // A mailbox nobody empties would leave the commit waiting forever.
                tokio::time::timeout(std::time::Duration::from_secs(30), t).await.expect("answered").unwrap().unwrap();
                committed += 1;
            }
            committed
        });
        assert_eq!(committed, 200);
        // Answered means journaled: a fresh open finds them all.
        drop(rt);
        drop(store);
        let store = Store::open(&path).unwrap();
        assert_eq!(store.load_prefix("k/").unwrap().len(), 200);
    }

    #[test]
    fn heads_are_each_accounts_last_event() {
        let dir = crate::test_dir("store-heads");
        let path = dir.join("edgeward.redb");
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let store = Store::open(&path).unwrap();
        for (account, n) in [("111111111111", 3), ("222222222222", 1), ("333333333333", 12)] {
            for i in 0..n {
                let mut b = Batch::default();
                b.trail.push(TrailAppend { account: account.into(), event: serde_json::to_vec(&serde_json::json!({"i": i})).unwrap() });
                rt.block_on(store.commit(b)).unwrap();
            }
        }
        // Read while running: the events are in the backlog, not yet checkpointed.
        let trail = store.account_trail("333333333333").unwrap();
        assert_eq!(trail.events.len(), 12);
        drop(store);
        // A clean stop checkpoints everything into redb.
        let db = Database::open(&path).unwrap();
        let heads = load_heads(&db, &Segments::new(journal::dir_for(&path))).unwrap();
        let seqs: std::collections::BTreeMap<_, _> = heads.iter().map(|(a, h)| (a.as_str(), h.seq)).collect();
        assert_eq!(seqs, [("111111111111", 3), ("222222222222", 1), ("333333333333", 12)].into_iter().collect());
        // The head hash is the last record's chain hash.
        let last: serde_json::Value = serde_json::from_slice(&trail.events.last().unwrap().1).unwrap();
        assert_eq!(hex::encode(heads["333333333333"].hash), last["edgewardChain"]["hash"].as_str().unwrap());
        assert_eq!(applied_lsn(&db).unwrap(), 16, "16 frames: 3 + 1 + 12 commits");
        drop(db);
    }

    /// What a crash leaves: frames in the journal that redb does not hold. Both the next
    /// start and a read-only snapshot apply them, and nothing else.
    #[test]
    fn frames_a_crash_left_in_the_journal_are_applied_at_the_next_open() {
        let dir = crate::test_dir("store-recover");
        let path = dir.join("edgeward.redb");
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let event = |i: u64| serde_json::to_vec(&serde_json::json!({"i": i})).unwrap();
        {
            let store = Store::open(&path).unwrap();
            let mut b = Batch::default();
            b.put("k/1", b"one".to_vec());
            b.trail.push(TrailAppend { account: "111111111111".into(), event: event(1) });
            rt.block_on(store.commit(b)).unwrap();
        }
        // Frames 2 and 3 as a writer that started a segment at frame 2 would have journaled
        // them before a crash.
        let mut journal = Journal::start(&journal::dir_for(&path), 2).unwrap();
        let record = |seq: u64| -> bytes::Bytes { event(seq).into() };
        let frames = [
            (2, vec![Entry::Put { key: "k/2".into(), value: b"two".to_vec() }, Entry::Trail { account: "111111111111".into(), seq: 2, record: record(2) }]),
            (3, vec![Entry::Delete { key: "k/1".into() }, Entry::Decision { request_id: "req-3".into(), record: b"{}".as_slice().into() }]),
        ];
        for (lsn, entries) in &frames {
            journal.stage(*lsn, entries);
            journal.append(*lsn).unwrap();
        }
        drop(journal);
        {
            let snap = Snapshot::open(&path).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(snap.account_trail("111111111111").unwrap().events.len(), 2);
        }
        let store = Store::open(&path).unwrap();
        let keys: Vec<String> = store.load_prefix("k/").unwrap().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["k/2"], "frames 2 and 3 are applied");
        assert_eq!(store.decision("req-3").unwrap().as_deref(), Some(b"{}".as_slice()));
        let events = store.account_trail("111111111111").unwrap().events;
        assert_eq!(events.iter().map(|(s, _)| *s).collect::<Vec<_>>(), [1, 2]);
        // The chain continues after the recovered head.
        let mut b = Batch::default();
        b.trail.push(TrailAppend { account: "111111111111".into(), event: event(3) });
        rt.block_on(store.commit(b)).unwrap();
        let mut seen = Vec::new();
        store.trail_rev("111111111111", None, |seq, _| {
            seen.push(seq);
            true
        })
        .unwrap();
        assert_eq!(seen, [3, 2, 1]);
        drop(store);
    }
}

#[cfg(test)]
mod block_tests {
    use super::*;
    use crate::trail::verify::verify_account;

    const A: &str = "111111111111";
    const B: &str = "222222222222";

    /// One commit (one frame) per list, interleaving the two accounts' events. A's last
    /// frame holds two events, B's two as well.
    const FRAMES: &[&[&str]] = &[&[A, B, A, A, B], &[B, B, A, B, A, A, A], &[A], &[B, A, B], &[A, A]];

    fn temp_path(name: &str) -> crate::TestFile {
        crate::test_dir(&format!("store-blocks-{name}")).file("edgeward.redb")
    }

    fn event(account: &str, n: usize) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({"account": account, "n": n})).unwrap()
    }

    /// Commits `frames`; returns each account's event numbers in commit order.
    fn commit_frames(store: &Store, frames: &[&[&str]], first_n: usize) -> HashMap<String, Vec<usize>> {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let mut written: HashMap<String, Vec<usize>> = HashMap::new();
        let mut n = first_n;
        for frame in frames {
            let mut b = Batch::default();
            for account in *frame {
                b.trail.push(TrailAppend { account: account.to_string(), event: event(account, n) });
                written.entry(account.to_string()).or_default().push(n);
                n += 1;
            }
            rt.block_on(store.commit(b)).unwrap();
        }
        written
    }

    /// `(seq, event number)` of each record, checking that it is chained at its seq.
    fn numbers(events: &[(u64, Vec<u8>)]) -> Vec<(u64, usize)> {
        events
            .iter()
            .map(|(seq, bytes)| {
                let record: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                assert_eq!(record["edgewardChain"]["seq"].as_u64(), Some(*seq));
                (*seq, record["event"]["n"].as_u64().unwrap() as usize)
            })
            .collect()
    }

    fn rev(store: &Store, account: &str, before: Option<u64>, take: usize) -> Vec<(u64, Vec<u8>)> {
        let mut seen = Vec::new();
        store
            .trail_rev(account, before, |seq, bytes| {
                seen.push((seq, bytes.to_vec()));
                seen.len() < take
            })
            .unwrap();
        seen
    }

    /// The TRAIL entries of an account: `(key's seq, whether the value is a block)`.
    fn entries(path: &Path, account: &str) -> Vec<(u64, bool)> {
        let db = Database::open(path).unwrap();
        let txn = db.begin_read().unwrap();
        let table = txn.open_table(TRAIL).unwrap();
        let (lo, hi) = (trail_key(account, 0), trail_key(account, u64::MAX));
        table.range(lo.as_str()..=hi.as_str()).unwrap().map(|i| i.unwrap()).map(|(k, v)| (key_seq(k.value()), v.value().starts_with(&BLOCK_TAG))).collect()
    }

    #[test]
    fn blocks_read_back_as_the_events_they_hold() {
        let path = temp_path("read");
        let written = {
            let store = Store::open(&path).unwrap();
            commit_frames(&store, FRAMES, 0)
        };
        // One block per account and frame, keyed by its first event.
        assert_eq!(entries(&path, A), [(1, true), (4, true), (8, true), (9, true), (10, true)]);
        assert_eq!(entries(&path, B), [(1, true), (3, true), (6, true)]);

        let store = Store::open(&path).unwrap();
        for account in [A, B] {
            let expected: Vec<(u64, usize)> = written[account].iter().enumerate().map(|(i, n)| (i as u64 + 1, *n)).collect();
            let trail = store.account_trail(account).unwrap();
            assert_eq!(numbers(&trail.events), expected, "account_trail of {account}");
            assert!(verify_account(account, &trail, None).intact());
            let newest_first: Vec<(u64, Vec<u8>)> = trail.events.iter().rev().cloned().collect();
            assert_eq!(rev(&store, account, None, usize::MAX), newest_first);
            // Every `before`, inside blocks and at their edges, and every place to stop.
            let last = expected.len() as u64;
            for before in 0..=last + 2 {
                let below: Vec<_> = newest_first.iter().filter(|(s, _)| *s < before).cloned().collect();
                assert_eq!(rev(&store, account, Some(before), usize::MAX), below, "{account} before {before}");
                for take in 1..=below.len() {
                    assert_eq!(rev(&store, account, Some(before), take), below[..take], "{account} before {before}, {take} of them");
                }
            }
        }

        // Events still in the backlog (or just checkpointed) above blocks in redb.
        let more = commit_frames(&store, &[&[A, B, A]], 100);
        let events = rev(&store, A, None, usize::MAX);
        let mut expected: Vec<usize> = written[A].iter().chain(&more[A]).copied().collect();
        expected.reverse();
        assert_eq!(numbers(&events).into_iter().map(|(_, n)| n).collect::<Vec<_>>(), expected);
        assert_eq!(numbers(&rev(&store, A, Some(13), 3)), [(12, 100), (11, written[A][10]), (10, written[A][9])]);
        drop(store);
    }

    #[test]
    fn the_head_after_a_restart_is_the_last_event_of_the_last_block() {
        let path = temp_path("heads");
        let before = {
            let store = Store::open(&path).unwrap();
            commit_frames(&store, FRAMES, 0);
            store.account_trail(A).unwrap()
        };
        assert_eq!(entries(&path, A).last(), Some(&(10, true)), "A's last block holds events 10 and 11");
        let heads = {
            let db = Database::open(&path).unwrap();
            load_heads(&db, &Segments::new(journal::dir_for(&path))).unwrap()
        };
        let last: serde_json::Value = serde_json::from_slice(&before.events.last().unwrap().1).unwrap();
        assert_eq!((heads[A].seq, hex::encode(heads[A].hash)), (11, last["edgewardChain"]["hash"].as_str().unwrap().to_string()));
        assert_eq!(heads[B].seq, 7);

        // The chain goes on from there.
        let store = Store::open(&path).unwrap();
        commit_frames(&store, &[&[A, A]], 100);
        let trail = store.account_trail(A).unwrap();
        assert_eq!(trail.events.iter().map(|(s, _)| *s).collect::<Vec<_>>(), (1..=13).collect::<Vec<_>>());
        let report = verify_account(A, &trail, None);
        assert!(report.intact(), "{:?}", report.problems);
        drop(store);
    }

    /// The writer numbers an account's events in a frame consecutively; a frame that does not
    /// is still stored faithfully, one block per unbroken run.
    #[test]
    fn a_broken_run_starts_a_new_block() {
        let path = temp_path("broken");
        let journal_dir = journal::dir_for(&path);
        let db = Database::create(&path).unwrap();
        recover(&db, &journal_dir).unwrap();
        let trail = |account: &str, seq: u64| Entry::Trail { account: account.into(), seq, record: event(account, seq as usize).into() };
        let frame_entries = vec![trail(A, 5), trail(B, 1), trail(A, 6), Entry::Put { key: "k".into(), value: b"v".to_vec() }, trail(A, 9), trail(A, 10), trail(A, 8)];
        let mut journal = Journal::start(&journal_dir, 1).unwrap();
        journal.stage(1, &frame_entries);
        let (trail_at, next) = journal.append(1).unwrap();
        let frame = Frame { lsn: 1, entries: frame_entries, trail_at, next };
        apply_frames(&db, [&frame], 1, next, true).unwrap();
        drop(db);
        assert_eq!(entries(&path, A), [(5, true), (8, true), (9, true)]);
        let snap = Snapshot::open(&path).unwrap_or_else(|e| panic!("{e}"));
        let events = snap.account_trail(A).unwrap().events;
        let read: Vec<(u64, Vec<u8>)> = [5, 6, 8, 9, 10].into_iter().map(|s| (s, event(A, s as usize))).collect();
        assert_eq!(events, read);
        drop(snap);
    }

    #[test]
    fn tampering_splits_only_the_block_it_edits() {
        let path = temp_path("tamper");
        {
            let store = Store::open(&path).unwrap();
            commit_frames(&store, FRAMES, 0);
        }
        let original = Snapshot::open(&path).unwrap_or_else(|e| panic!("{e}")).account_trail(A).unwrap().events;
        tamper_trail(&path, A, &[Tamper::Put(5, b"{}".to_vec())]).unwrap();
        // The block of 4..7 became a pointer per event; the others are untouched.
        assert_eq!(entries(&path, A), [(1, true), (4, false), (5, false), (6, false), (7, false), (8, true), (9, true), (10, true)]);
        let mut expected = original.clone();
        expected[4].1 = b"{}".to_vec();
        assert_eq!(Snapshot::open(&path).unwrap_or_else(|e| panic!("{e}")).account_trail(A).unwrap().events, expected);
        // Blocks, pointers and a record side by side read back the same newest first.
        {
            let store = Store::open(&path).unwrap();
            expected.reverse();
            for before in 0..=13 {
                let below: Vec<_> = expected.iter().filter(|(s, _)| *s < before).cloned().collect();
                assert_eq!(rev(&store, A, Some(before), usize::MAX), below, "before {before}");
            }
        }
        tamper_trail(&path, A, &[Tamper::Put(5, original[4].1.clone()), Tamper::Delete(11)]).unwrap();
        assert_eq!(entries(&path, A), [(1, true), (4, false), (5, false), (6, false), (7, false), (8, true), (9, true), (10, false)]);
        assert_eq!(Snapshot::open(&path).unwrap_or_else(|e| panic!("{e}")).account_trail(A).unwrap().events, original[..10]);
    }
}
