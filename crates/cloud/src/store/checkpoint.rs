//! Committed groups on their way from the journal into the redb file.
//!
//! The writer journals a group, hands it to the `Backlog` and only then acknowledges it, so
//! every acknowledged change is in the journal and readable here until a checkpoint has
//! put it in redb. The checkpoint thread (`run`) takes what has accumulated, writes it in
//! one redb transaction together with the last frame number it holds, and only then drops
//! it from the backlog. A reader that consults the backlog before opening its redb
//! transaction therefore sees every committed change at least once: a group leaves the
//! backlog only after its redb commit, which a transaction opened later sees.
//!
//! Most checkpoints are not fsync'd (redb `Durability::None`): the journal already holds
//! their frames, and a crash rolls redb back to its last durable checkpoint, whose frame
//! number says where replay starts. A durable checkpoint is made when the writer asks for
//! one: half way through each journal segment (bounding what a restart reads again), for a
//! wipe, and at a clean stop. So the disk sees the journal's small appends and now and then
//! one larger flush, instead of a flush per checkpoint competing with them.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use redb::Database;

use super::journal::{Entry, Frame, Position};

/// A checkpoint starts once the backlog holds this much…
const CHECKPOINT_BYTES: usize = 4 << 20;
/// …or once its oldest group has waited this long.
const CHECKPOINT_AFTER: Duration = Duration::from_millis(250);
/// After a failed checkpoint, the next attempt waits this long.
const RETRY_AFTER: Duration = Duration::from_secs(1);

type Records = BTreeMap<u64, Bytes>;
/// Journaled groups.
type Frames = Vec<Arc<Frame>>;
/// `(sequence number, record)` pairs.
pub type Numbered = Vec<(u64, Bytes)>;

/// A journaled group in the backlog.
struct Waiting {
    frame: Arc<Frame>,
    /// When it was journaled (a checkpoint is due once the oldest has waited long enough).
    since: Instant,
    /// What its entries weigh (`Entry::weight`).
    bytes: usize,
}

#[derive(Default)]
struct Inner {
    /// Journaled groups not yet in redb, oldest first.
    groups: VecDeque<Waiting>,
    bytes: usize,
    /// The last frame number redb holds (and readers see there)…
    applied: u64,
    /// …and where the frame after it begins.
    resume: Position,
    /// The last frame number redb holds durably (a crash keeps it).
    durable: u64,
    /// A durable checkpoint is wanted: make the next one durable, now.
    want_durable: bool,
    stopping: bool,
    stopped: bool,
    /// Why the last checkpoint failed (cleared by the next that succeeds).
    failed: Option<String>,
    // What readers need of the groups above, indexed.
    trail: HashMap<String, Records>,
    digests: HashMap<String, Records>,
    decisions: HashMap<String, Bytes>,
    keys: HashMap<String, Bytes>,
}

impl Inner {
    fn index(&mut self, entries: &[Entry]) {
        for e in entries {
            match e {
                Entry::Trail { account, seq, record } => {
                    self.trail.entry(account.clone()).or_default().insert(*seq, record.clone());
                }
                Entry::Digest { account, seq, record } => {
                    self.digests.entry(account.clone()).or_default().insert(*seq, record.clone());
                }
                Entry::Decision { request_id, record } => {
                    self.decisions.insert(request_id.clone(), record.clone());
                }
                Entry::SigningKey { account, record } => {
                    self.keys.insert(account.clone(), record.clone());
                }
                Entry::Wipe | Entry::Put { .. } | Entry::Delete { .. } => {}
            }
        }
    }

    fn unindex(&mut self, entries: &[Entry]) {
        fn forget(map: &mut HashMap<String, Records>, account: &str, seq: u64) {
            if let Some(records) = map.get_mut(account) {
                records.remove(&seq);
                if records.is_empty() {
                    map.remove(account);
                }
            }
        }
        for e in entries {
            match e {
                Entry::Trail { account, seq, .. } => forget(&mut self.trail, account, *seq),
                Entry::Digest { account, seq, .. } => forget(&mut self.digests, account, *seq),
                Entry::Decision { request_id, .. } => {
                    self.decisions.remove(request_id);
                }
                Entry::SigningKey { account, .. } => {
                    self.keys.remove(account);
                }
                Entry::Wipe | Entry::Put { .. } | Entry::Delete { .. } => {}
            }
        }
    }

    fn due(&self) -> bool {
        self.want_durable || self.stopping || self.bytes >= CHECKPOINT_BYTES || self.groups.front().is_some_and(|w| w.since.elapsed() >= CHECKPOINT_AFTER)
    }
}

/// Journaled groups that redb does not hold yet, shared by the writer, the checkpoint
/// thread and readers.
#[derive(Default)]
pub struct Backlog {
    inner: Mutex<Inner>,
    /// Wakes the checkpoint thread.
    wake: Condvar,
    /// Signals a finished checkpoint (or a failed one) to whoever waits for one.
    progress: Condvar,
}

impl Backlog {
    pub fn new(applied: u64, resume: Position) -> Backlog {
        Backlog { inner: Mutex::new(Inner { applied, resume, durable: applied, ..Inner::default() }), ..Backlog::default() }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A group that is durable in the journal.
    pub fn push(&self, frame: Frame) {
        let mut g = self.lock();
        g.index(&frame.entries);
        let bytes = frame.entries.iter().map(Entry::weight).sum::<usize>();
        g.bytes += bytes;
        g.groups.push_back(Waiting { frame: Arc::new(frame), since: Instant::now(), bytes });
        if g.bytes >= CHECKPOINT_BYTES {
            self.wake.notify_one();
        }
    }

    /// Asks for a durable checkpoint of everything journaled so far, without waiting.
    pub fn request_durable(&self) {
        let mut g = self.lock();
        if g.durable < g.groups.back().map_or(g.applied, |w| w.frame.lsn) {
            g.want_durable = true;
            self.wake.notify_one();
        }
    }

    /// Waits until redb holds every frame up to `lsn` durably, checkpointing now if needed.
    pub fn wait_durable(&self, lsn: u64) -> Result<(), String> {
        let mut g = self.lock();
        while g.durable < lsn {
            if let Some(e) = &g.failed {
                return Err(format!("checkpoint failed: {e}"));
            }
            if g.stopped {
                return Err("the checkpoint thread has stopped".into());
            }
            g.want_durable = true;
            self.wake.notify_one();
            g = self.progress.wait(g).unwrap_or_else(|e| e.into_inner());
        }
        Ok(())
    }

    /// Asks the checkpoint thread to apply everything and stop; returns once it has.
    pub fn finish(&self) {
        let mut g = self.lock();
        g.stopping = true;
        self.wake.notify_one();
        while !g.stopped {
            g = self.progress.wait(g).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Accounts with trail events in the backlog.
    pub fn trail_accounts(&self) -> Vec<String> {
        self.lock().trail.keys().cloned().collect()
    }

    /// An account's trail events and digests in the backlog, in order.
    pub fn account_records(&self, account: &str) -> (Numbered, Numbered) {
        let g = self.lock();
        let list = |m: &HashMap<String, Records>| m.get(account).map(|r| r.iter().map(|(s, b)| (*s, b.clone())).collect()).unwrap_or_default();
        (list(&g.trail), list(&g.digests))
    }

    /// An account's backlog events below `before`, newest first, and the lowest sequence
    /// number the backlog holds for the account (redb holds every event below it).
    pub fn trail_below(&self, account: &str, before: Option<u64>) -> (Numbered, Option<u64>) {
        let g = self.lock();
        let Some(records) = g.trail.get(account) else { return (Vec::new(), None) };
        let below = records.range(..before.unwrap_or(u64::MAX)).rev().map(|(s, b)| (*s, b.clone())).collect();
        (below, records.keys().next().copied())
    }

    pub fn decision(&self, request_id: &str) -> Option<Bytes> {
        self.lock().decisions.get(request_id).cloned()
    }

    pub fn signing_keys(&self) -> Vec<Bytes> {
        self.lock().keys.values().cloned().collect()
    }
}

/// The checkpoint thread: applies the backlog to redb whenever it is due, until `finish`.
pub fn run(db: Arc<Database>, backlog: Arc<Backlog>) {
    loop {
        let (groups, durable, applied, resume): (Frames, bool, u64, Position) = {
            let mut g = backlog.lock();
            loop {
                if g.stopping && (g.failed.is_some() || (g.groups.is_empty() && g.durable == g.applied)) {
                    g.stopped = true;
                    backlog.progress.notify_all();
                    return;
                }
                // A durable checkpoint with nothing new to apply still makes what the
                // earlier ones applied durable.
                let durable_due = (g.want_durable || g.stopping) && g.durable < g.applied;
                if g.failed.is_none() && (durable_due || (g.due() && !g.groups.is_empty())) {
                    break;
                }
                let wait = match (&g.failed, g.groups.front()) {
                    (Some(_), _) => RETRY_AFTER,
                    (None, Some(w)) => CHECKPOINT_AFTER.saturating_sub(w.since.elapsed()).max(Duration::from_millis(1)),
                    (None, None) => CHECKPOINT_AFTER,
                };
                let (next, timeout) = backlog.wake.wait_timeout(g, wait).unwrap_or_else(|e| e.into_inner());
                g = next;
                if timeout.timed_out() && g.failed.is_some() {
                    // Time to retry.
                    g.failed = None;
                }
            }
            let durable = g.want_durable || g.stopping;
            g.want_durable = false;
            (g.groups.iter().map(|w| w.frame.clone()).collect(), durable, g.applied, g.resume)
        };
        let (last, next) = groups.last().map_or((applied, resume), |f| (f.lsn, f.next));
        let result = super::apply_frames(&db, groups.iter().map(|f| &**f), last, next, durable);
        let mut g = backlog.lock();
        match result {
            Ok(()) => {
                while g.groups.front().is_some_and(|w| w.frame.lsn <= last) {
                    if let Some(w) = g.groups.pop_front() {
                        g.bytes -= w.bytes;
                        g.unindex(&w.frame.entries);
                    }
                }
                g.applied = last;
                g.resume = next;
                if durable {
                    g.durable = last;
                }
                g.failed = None;
            }
            Err(e) => {
                tracing::error!("checkpoint of the journal into the store failed (the journal keeps every change; retrying): {e}");
                g.failed = Some(e);
            }
        }
        backlog.progress.notify_all();
    }
}
