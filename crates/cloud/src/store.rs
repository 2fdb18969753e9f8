//! Durable storage: an embedded redb database written by one writer thread that
//! group-commits. A call's state changes and its trail event travel in one batch and land
//! in one transaction, so nothing happens without a record; a batch is acknowledged only
//! after its transaction is committed with fsync (redb `Durability::Immediate`), so an
//! acknowledged write survives a process crash and, on a disk that honours fsync, a power
//! loss.
//!
//! The trail's hash chain is assigned here, in commit order: each event gets the next
//! sequence number of its account and `hash = SHA-256(previous hash ‖ event bytes)`. The
//! same thread closes ranges of each chain with signed digests (`trail::digest`) inside its
//! group commits, so no call waits for a signature.

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;

use redb::{Database, ReadOnlyDatabase, ReadableDatabase, TableDefinition};
use sha2::{Digest, Sha256};

use crate::trail::digest::{DigestRecord, Digester, KeyRecord, DIGEST_EVERY, DIGEST_INTERVAL};

/// Service state: key → serialized record.
const STATE: TableDefinition<&str, &[u8]> = TableDefinition::new("state");
/// Trail events: `<account>/<seq:016>` → chained event record (JSON).
const TRAIL: TableDefinition<&str, &[u8]> = TableDefinition::new("trail");
/// Authorization decisions by request id → explanation (JSON).
const DECISIONS: TableDefinition<&str, &[u8]> = TableDefinition::new("decisions");
/// Signed trail digests: `<account>/<digestSeq:016>` → digest record (JSON, `trail::digest`).
const DIGESTS: TableDefinition<&str, &[u8]> = TableDefinition::new("trail_digests");
/// Each account's digest signing key: account → key record (JSON; holds the private key).
const TRAIL_KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("trail_keys");

/// redb's page cache (read cache and write buffer).
const CACHE_BYTES: usize = 32 << 20;

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

struct Job {
    batch: Batch,
    done: tokio::sync::oneshot::Sender<Result<(), String>>,
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
    // joined, so the writer sees the channel close, finishes, and drops the database cleanly.
    db: Arc<Database>,
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
        // sparse growth leaves before writing into them (`store_backend`).
        let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).map_err(err)?;
        let backend = crate::store_backend::FilledFileBackend::new(file).map_err(err)?;
        let db = Database::builder().set_cache_size(CACHE_BYTES).create_with_backend(backend).map_err(err)?;
        {
            let txn = db.begin_write().map_err(err)?;
            txn.open_table(STATE).map_err(err)?;
            txn.open_table(TRAIL).map_err(err)?;
            txn.open_table(DECISIONS).map_err(err)?;
            txn.open_table(DIGESTS).map_err(err)?;
            txn.open_table(TRAIL_KEYS).map_err(err)?;
            txn.commit().map_err(err)?;
        }
        let db = Arc::new(db);
        let heads = load_heads(&db)?;
        let digester = load_digester(&db, path.parent().map(Path::to_path_buf), digest_every, digest_interval)?;
        let (tx, rx) = mpsc::channel::<Job>();
        let writer_db = db.clone();
        let handle = std::thread::Builder::new()
            .name("edgeward-store-writer".into())
            .spawn(move || writer(writer_db, rx, heads, digester))
            .map_err(err)?;
        Ok(Store { db, jobs: tx, _writer: Arc::new(JoinOnDrop(std::sync::Mutex::new(Some(handle)))) })
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
        self.jobs.send(Job { batch, done }).map_err(|_| StoreError("the writer has stopped".into()))?;
        Ok(Pending(Some(wait)))
    }


    /// Every state record whose key starts with `prefix`, in key order.
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
}

impl TrailRead for Store {
    fn reader(&self) -> &dyn ReadableDatabase {
        &*self.db
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

    /// Every account with trail events, in order.
    fn trail_accounts(&self) -> Result<Vec<String>, StoreError> {
        accounts_in(self.reader(), TRAIL)
    }

    /// An account's events and digests, from one read transaction.
    fn account_trail(&self, account: &str) -> Result<AccountTrail, StoreError> {
        let txn = self.reader().begin_read().map_err(err)?;
        Ok(AccountTrail { events: account_range(&txn, TRAIL, account)?, digests: account_range(&txn, DIGESTS, account)? })
    }

    /// A recorded authorization decision.
    fn decision(&self, request_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.reader().begin_read().map_err(err)?;
        let table = txn.open_table(DECISIONS).map_err(err)?;
        Ok(table.get(request_id).map_err(err)?.map(|v| v.value().to_vec()))
    }

    /// The digest signing keys the store holds (private keys included).
    fn key_records(&self) -> Result<Vec<KeyRecord>, StoreError> {
        read_key_records(self.reader())
    }
}

/// The store's file opened read-only by another process (verification, explanations).
pub struct Snapshot {
    db: ReadOnlyDatabase,
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
    /// the server would recover it at its next start (redb rolls back to the last commit).
    pub fn open(path: &Path) -> Result<Snapshot, SnapshotError> {
        if !path.exists() {
            return Err(SnapshotError::Other(StoreError(format!("{} does not exist", path.display()))));
        }
        let classify = |e: redb::DatabaseError| match e {
            redb::DatabaseError::DatabaseAlreadyOpen => SnapshotError::Locked,
            e => SnapshotError::Other(err(e)),
        };
        match ReadOnlyDatabase::open(path) {
            Ok(db) => Ok(Snapshot { db }),
            Err(redb::DatabaseError::RepairAborted) => {
                drop(Database::open(path).map_err(classify)?);
                ReadOnlyDatabase::open(path).map(|db| Snapshot { db }).map_err(classify)
            }
            Err(e) => Err(classify(e)),
        }
    }
}

impl TrailRead for Snapshot {
    fn reader(&self) -> &dyn ReadableDatabase {
        &self.db
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
fn account_range(txn: &redb::ReadTransaction, def: TableDefinition<&str, &[u8]>, account: &str) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
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
        let n = k.value().rsplit('/').next().and_then(|s| s.parse().ok()).unwrap_or(0);
        out.push((n, v.value().to_vec()));
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
    let txn = db.begin_write().map_err(err)?;
    {
        let mut trail = txn.open_table(TRAIL).map_err(err)?;
        for e in edits {
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
    out.extend_from_slice(crate::ids::hex(hash).as_bytes());
    out.extend_from_slice(br#"","prevHash":""#);
    out.extend_from_slice(crate::ids::hex(prev).as_bytes());
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

fn load_heads(db: &Database) -> Result<HashMap<String, ChainHead>, StoreError> {
    let txn = db.begin_read().map_err(err)?;
    let table = txn.open_table(TRAIL).map_err(err)?;
    let mut heads: HashMap<String, ChainHead> = HashMap::new();
    // Keys sort by account then sequence: the last key of each account is its head. Read
    // only that key per account (start-up must not grow with the trail).
    for account in accounts_in(db, TRAIL)? {
        // '0' sorts right after '/': `<account>/` ..< `<account>0` is every key of the account.
        let (lo, hi) = (format!("{account}/"), format!("{account}0"));
        let Some(item) = table.range(lo.as_str()..hi.as_str()).map_err(err)?.next_back() else { continue };
        let (k, v) = item.map_err(err)?;
        let seq: u64 = k.value()[lo.len()..].parse().unwrap_or(0);
        let record: serde_json::Value = serde_json::from_slice(v.value()).unwrap_or_default();
        let hash = record["edgewardChain"]["hash"].as_str().and_then(|h| hex::decode(h).ok()).unwrap_or_default();
        let mut arr = [0u8; 32];
        if hash.len() == 32 {
            arr.copy_from_slice(&hash);
        }
        heads.insert(account, ChainHead { seq, hash: arr });
    }
    Ok(heads)
}

fn writer(db: Arc<Database>, jobs: mpsc::Receiver<Job>, mut heads: HashMap<String, ChainHead>, mut digester: Digester) {
    loop {
        // Sleep until the next job, or until an idle account's events are due a digest.
        let deadline = digester.next_deadline(heads.iter().map(|(a, h)| (a.as_str(), h.seq)));
        let first = match deadline {
            None => match jobs.recv() {
                Ok(j) => j,
                Err(_) => return,
            },
            Some(at) => match jobs.recv_timeout(at.saturating_duration_since(std::time::Instant::now())) {
                Ok(j) => j,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    write_due_digests(&db, &heads, &mut digester);
                    continue;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            },
        };
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(j) => group.push(j),
                Err(_) => break,
            }
        }
        let mut staged = heads.clone();
        let mut staged_digester = digester.clone();
        let result = write_group(&db, &group, &mut staged, &mut staged_digester);
        if let Ok(fresh) = &result {
            heads = staged;
            digester = staged_digester;
            publish_keys(&db, &digester, fresh);
        }
        let result = result.map(|_| ());
        for job in group {
            let _ = job.done.send(result.clone());
        }
    }
}

/// A transaction of digests alone, for accounts whose events have waited long enough.
fn write_due_digests(db: &Database, heads: &HashMap<String, ChainHead>, digester: &mut Digester) {
    let now = std::time::Instant::now();
    let due = digester.due(heads.iter().map(|(a, h)| (a.as_str(), h.seq)), now);
    if due.is_empty() {
        return;
    }
    let mut staged = digester.clone();
    let result = db.begin_write().map_err(|e| e.to_string()).and_then(|txn| {
        let fresh = emit_digests(&txn, heads, &mut staged, &due)?;
        txn.commit().map_err(|e| e.to_string())?;
        Ok(fresh)
    });
    match result {
        Ok(fresh) => {
            *digester = staged;
            publish_keys(db, digester, &fresh);
        }
        Err(e) => {
            tracing::error!("cannot write trail digests: {e}");
            digester.postpone(&due, now);
        }
    }
}

/// Signs a digest for each of `accounts` at its chain head and stages it (and any new
/// signing key) in `txn`. Returns the new keys.
fn emit_digests(
    txn: &redb::WriteTransaction,
    heads: &HashMap<String, ChainHead>,
    digester: &mut Digester,
    accounts: &[String],
) -> Result<bool, String> {
    let mut digests = txn.open_table(DIGESTS).map_err(|e| e.to_string())?;
    let now = std::time::Instant::now();
    let now_secs = crate::time::now_secs();
    for account in accounts {
        let Some(head) = heads.get(account) else { continue };
        let d = digester.emit(account, head.seq, head.hash, now_secs, now);
        digests.insert(trail_key(&d.account, d.digest_seq).as_str(), d.bytes.as_slice()).map_err(|e| e.to_string())?;
    }
    let fresh = digester.take_fresh_keys();
    if !fresh.is_empty() {
        let mut keys = txn.open_table(TRAIL_KEYS).map_err(|e| e.to_string())?;
        for k in &fresh {
            let bytes = serde_json::to_vec(k).map_err(|e| e.to_string())?;
            keys.insert(k.account_id.as_str(), bytes.as_slice()).map_err(|e| e.to_string())?;
        }
    }
    Ok(!fresh.is_empty())
}

/// After a commit that stored new signing keys: rewrite `trail-public-keys.json`.
fn publish_keys(db: &Database, digester: &Digester, fresh: &bool) {
    if !*fresh {
        return;
    }
    let published = read_key_records(db).map_err(|e| e.to_string()).and_then(|records| digester.publish(&records));
    if let Err(e) = published {
        tracing::error!("cannot publish the trail's public keys: {e}");
    }
}

fn read_key_records(db: &dyn ReadableDatabase) -> Result<Vec<KeyRecord>, StoreError> {
    read_range(db, TRAIL_KEYS, "")?.into_iter().map(|(_, v)| serde_json::from_slice(&v).map_err(err)).collect()
}

/// The digest state at open: each account's last digest and signing key; rewrites the
/// public key file from the store (a crash may have come between the two).
fn load_digester(db: &Database, dir: Option<std::path::PathBuf>, every: u64, interval: std::time::Duration) -> Result<Digester, StoreError> {
    let mut digester = Digester::new(dir, every, interval);
    let records = read_key_records(db)?;
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

fn write_group(db: &Database, group: &[Job], heads: &mut HashMap<String, ChainHead>, digester: &mut Digester) -> Result<bool, String> {
    let txn = db.begin_write().map_err(|e| e.to_string())?;
    {
        let mut state = txn.open_table(STATE).map_err(|e| e.to_string())?;
        let mut trail = txn.open_table(TRAIL).map_err(|e| e.to_string())?;
        let mut decisions = txn.open_table(DECISIONS).map_err(|e| e.to_string())?;
        for job in group {
            if job.batch.wipe {
                state.retain(|_, _| false).map_err(|e| e.to_string())?;
                trail.retain(|_, _| false).map_err(|e| e.to_string())?;
                decisions.retain(|_, _| false).map_err(|e| e.to_string())?;
                txn.open_table(DIGESTS).map_err(|e| e.to_string())?.retain(|_, _| false).map_err(|e| e.to_string())?;
                heads.clear();
                digester.wipe();
            }
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
            for TrailAppend { account, event: body } in &job.batch.trail {
                let head = match heads.get_mut(account.as_str()) {
                    Some(h) => h,
                    None => heads.entry(account.clone()).or_insert(ChainHead { seq: 0, hash: [0; 32] }),
                };
                let seq = head.seq + 1;
                let hash = chain_hash(&head.hash, body);
                let bytes = chained_record(body, seq, &head.hash, &hash);
                trail.insert(trail_key(account, seq).as_str(), bytes.as_slice()).map_err(|e| e.to_string())?;
                *head = ChainHead { seq, hash };
            }
            for (id, bytes) in &job.batch.decisions {
                decisions.insert(id.as_str(), bytes.as_slice()).map_err(|e| e.to_string())?;
            }
        }
    }
    let due = digester.due(heads.iter().map(|(a, h)| (a.as_str(), h.seq)), std::time::Instant::now());
    let fresh = if due.is_empty() { false } else { emit_digests(&txn, heads, digester, &due)? };
    txn.commit().map_err(|e| e.to_string())?;
    Ok(fresh)
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
    fn heads_are_each_accounts_last_event() {
        let dir = std::env::temp_dir().join(format!("edgeward-store-heads-{}", crate::ids::uuid()));
        std::fs::create_dir_all(&dir).unwrap();
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
        let heads = load_heads(&store.db).unwrap();
        let seqs: std::collections::BTreeMap<_, _> = heads.iter().map(|(a, h)| (a.as_str(), h.seq)).collect();
        assert_eq!(seqs, [("111111111111", 3), ("222222222222", 1), ("333333333333", 12)].into_iter().collect());
        // The head hash is the last record's chain hash.
        let trail = store.account_trail("333333333333").unwrap();
        let last: serde_json::Value = serde_json::from_slice(&trail.events.last().unwrap().1).unwrap();
        assert_eq!(hex::encode(heads["333333333333"].hash), last["edgewardChain"]["hash"].as_str().unwrap());
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
