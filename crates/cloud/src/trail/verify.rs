//! Verifying a trail: recompute every account's hash chain, check every signed digest, and
//! name what is wrong — which account, which sequence number, and whether an event was
//! edited, deleted, inserted or reordered.
//!
//! The chain alone shows any change that was not followed by recomputing the hashes after
//! it; a digest additionally pins the hash of the last event it covers under a signature,
//! so a rewritten range (hashes recomputed) is caught up to the last digest. Events after
//! the last digest are protected by the chain only, as in CloudTrail.

use std::collections::HashMap;

use ed25519_dalek::{Signature, VerifyingKey};
use serde::Serialize;
use serde_json::Value;

use super::digest::{DigestRecord, PublicKeys, DIGEST_VERSION, SIGNATURE_ALGORITHM};
use crate::store::{chain_hash, AccountTrail};

/// What is wrong at one place of a trail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProblemKind {
    /// An event's content (or its chain fields) was changed.
    Edited,
    /// Events are missing.
    Deleted,
    /// A record that is not part of the chain was added.
    Inserted,
    /// Events are stored out of chain order.
    Reordered,
    /// A digest is missing, damaged, does not match the events, or its signature fails.
    Digest,
}

impl ProblemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Edited => "edited",
            ProblemKind::Deleted => "deleted",
            ProblemKind::Inserted => "inserted",
            ProblemKind::Reordered => "reordered",
            ProblemKind::Digest => "digest",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub account: String,
    /// The event sequence number (the position in the store) the problem is found at.
    pub seq: Option<u64>,
    pub kind: ProblemKind,
    pub detail: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.seq {
            Some(seq) => write!(f, "account {} seq {}: {}: {}", self.account, seq, self.kind.as_str(), self.detail),
            None => write!(f, "account {}: {}: {}", self.account, self.kind.as_str(), self.detail),
        }
    }
}

/// The result for one account.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountReport {
    pub account: String,
    pub events: usize,
    pub last_seq: u64,
    pub digests: usize,
    /// The last sequence number covered by a valid signed digest (0: none).
    pub signed_through: u64,
    pub problems: Vec<Problem>,
}

impl AccountReport {
    pub fn intact(&self) -> bool {
        self.problems.is_empty()
    }

    /// One line a person reads.
    pub fn summary(&self) -> String {
        let state = if self.intact() { "intact".to_string() } else { format!("{} problem(s)", self.problems.len()) };
        let tail = self.last_seq.saturating_sub(self.signed_through);
        let tail = if tail > 0 { format!(", {tail} event(s) after the last digest (chain only)") } else { String::new() };
        if self.events == 0 && self.digests == 0 {
            return format!("account {}: {state}: no events yet", self.account);
        }
        format!(
            "account {}: {state}: {} event(s) (seq 1..{}), {} digest(s) signed through seq {}{tail}",
            self.account, self.events, self.last_seq, self.digests, self.signed_through
        )
    }
}

/// One stored event as far as the chain is concerned.
struct Link {
    /// The sequence number of its key (its position).
    at: u64,
    /// `edgewardChain.seq`, `prevHash`, `hash` when the record has them.
    claimed: Option<u64>,
    prev: Option<[u8; 32]>,
    hash: Option<[u8; 32]>,
    /// The stored hash is SHA-256(prevHash ‖ event bytes).
    content_ok: bool,
}

fn hash32(v: &Value) -> Option<[u8; 32]> {
    hex::decode(v.as_str()?).ok()?.try_into().ok()
}

fn link(at: u64, bytes: &[u8]) -> Link {
    let record: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    let chain = &record["edgewardChain"];
    let (prev, hash) = (hash32(&chain["prevHash"]), hash32(&chain["hash"]));
    let content_ok = match (prev, hash, record.get("event")) {
        (Some(p), Some(h), Some(event)) => serde_json::to_vec(event).is_ok_and(|b| chain_hash(&p, &b) == h),
        _ => false,
    };
    Link { at, claimed: chain["seq"].as_u64(), prev, hash, content_ok }
}

/// Verifies one account's events and digests against the public keys.
pub fn verify_account(account: &str, trail: &AccountTrail, keys: Option<&PublicKeys>) -> AccountReport {
    let links: Vec<Link> = trail.events.iter().map(|(at, bytes)| link(*at, bytes)).collect();
    let mut problems = Vec::new();
    let mut report = |seq: Option<u64>, kind: ProblemKind, detail: String| problems.push(Problem { account: account.to_string(), seq, kind, detail });
    check_chain(&links, &mut report);
    let (digests, signed_through) = check_digests(account, &links, &trail.digests, keys, &mut report);
    AccountReport {
        account: account.to_string(),
        events: links.len(),
        last_seq: links.last().map_or(0, |l| l.at),
        digests,
        signed_through,
        problems,
    }
}

/// Walks the events in key order and explains every broken link.
fn check_chain(links: &[Link], report: &mut impl FnMut(Option<u64>, ProblemKind, String)) {
    let by_hash: HashMap<[u8; 32], usize> = links.iter().enumerate().filter_map(|(i, l)| Some((l.hash?, i))).collect();
    let referenced: HashMap<[u8; 32], usize> = links.iter().enumerate().filter_map(|(i, l)| Some((l.prev?, i))).collect();
    // The hash the next event must carry as prevHash, and the key it came from.
    let mut expect: [u8; 32] = [0; 32];
    let mut expect_at: u64 = 0;
    let mut explained = vec![false; links.len()];
    let found = std::cell::Cell::new(false);
    let mut report = |seq: Option<u64>, kind: ProblemKind, detail: String| {
        found.set(true);
        report(seq, kind, detail)
    };
    for (i, l) in links.iter().enumerate() {
        let next_skips_me = links.get(i + 1).is_some_and(|n| n.prev == Some(expect));
        let broken_record = l.prev.is_none() || l.hash.is_none() || !l.content_ok;
        if broken_record {
            if next_skips_me && l.prev != Some(expect) {
                // The chain runs around it: a record that was never part of it.
                report(Some(l.at), ProblemKind::Inserted, "a record that is not part of the chain (the next event links to the one before it)".into());
                explained[i] = true;
                continue;
            }
            let what = if l.prev.is_none() || l.hash.is_none() { "the record is not a chained trail event" } else { "the event's content no longer matches its hash" };
            if !explained[i] {
                report(Some(l.at), ProblemKind::Edited, what.into());
            }
            explained[i] = true;
            // Continue from what the record says its hash is (an edit leaves it intact).
            expect = l.hash.unwrap_or(expect);
            expect_at = l.at;
            continue;
        }
        let (prev, hash) = (l.prev.unwrap_or_default(), l.hash.unwrap_or_default());
        if prev != expect && !explained[i] {
            match by_hash.get(&prev).copied() {
                Some(j) if j > i => {
                    report(
                        Some(l.at),
                        ProblemKind::Reordered,
                        format!("this event follows the event stored at seq {} in the chain, but is stored before it", links[j].at),
                    );
                    explained[i] = true;
                    explained[j] = true;
                }
                Some(j) => {
                    // The chain goes from j straight to i: everything between is extra,
                    // unless it belongs elsewhere in the chain (then it was moved).
                    for k in j + 1..i {
                        if explained[k] {
                            continue;
                        }
                        let moved = links[k].hash.and_then(|h| referenced.get(&h)).is_some_and(|&r| r != k + 1 || r > i);
                        if moved {
                            report(Some(links[k].at), ProblemKind::Reordered, format!("this event is out of place: the chain continues at seq {} from seq {}", l.at, links[j].at));
                        } else {
                            report(Some(links[k].at), ProblemKind::Inserted, format!("a record that is not part of the chain (seq {} links to seq {})", l.at, links[j].at));
                        }
                        explained[k] = true;
                    }
                }
                None if l.at > expect_at + 1 => {
                    let from = expect_at + 1;
                    report(Some(from), ProblemKind::Deleted, format!("{} removed (seq {} links to a missing event)", events(from, l.at - 1), l.at));
                }
                None => match (l.claimed, links.get(i.wrapping_sub(1)).and_then(|p| p.claimed)) {
                    (Some(c), Some(pc)) if c > pc + 1 => {
                        report(Some(l.at), ProblemKind::Deleted, format!("{} removed and the later events renumbered (this is event {c})", events(pc + 1, c - 1)));
                    }
                    _ if i == 0 => {
                        report(Some(l.at), ProblemKind::Deleted, "the first event(s) were removed (the first stored event links to a missing event)".into());
                    }
                    _ => {
                        let before = links[i - 1].at;
                        report(
                            Some(before),
                            ProblemKind::Edited,
                            format!("the event was changed and its hash recomputed: seq {} no longer links to it", l.at),
                        );
                    }
                },
            }
        }
        expect = hash;
        expect_at = l.at;
    }
    // Sequence fields are not hashed; a mismatch alone means they were rewritten.
    if !found.get() {
        if let Some(l) = links.iter().find(|l| l.claimed.is_some_and(|c| c != l.at)) {
            report(Some(l.at), ProblemKind::Reordered, format!("the record says it is event {} but is stored as event {}", l.claimed.unwrap_or(0), l.at));
        }
    }
}

/// "event 4 was" / "events 4..6 were".
fn events(from: u64, to: u64) -> String {
    if from == to {
        format!("event {from} was")
    } else {
        format!("events {from}..{to} were")
    }
}

/// Checks the digest chain, each signature, and that each digest matches the events.
/// Returns the number of digests and the last sequence number a valid digest covers.
fn check_digests(
    account: &str,
    links: &[Link],
    digests: &[(u64, Vec<u8>)],
    keys: Option<&PublicKeys>,
    report: &mut impl FnMut(Option<u64>, ProblemKind, String),
) -> (usize, u64) {
    let by_at: HashMap<u64, &Link> = links.iter().map(|l| (l.at, l)).collect();
    let account_keys: HashMap<String, VerifyingKey> = keys
        .and_then(|k| k.get(account))
        .into_iter()
        .flatten()
        .filter_map(|k| {
            let bytes: [u8; 32] = hex::decode(&k.public_key).ok()?.try_into().ok()?;
            Some((k.fingerprint.clone(), VerifyingKey::from_bytes(&bytes).ok()?))
        })
        .collect();
    if !digests.is_empty() && keys.is_none() {
        report(None, ProblemKind::Digest, format!("{} digest(s) cannot be checked: no public key file", digests.len()));
    }
    let mut prev: Option<DigestRecord> = None;
    let mut signed_through = 0;
    let last_at = links.last().map_or(0, |l| l.at);
    for (n, bytes) in digests {
        let Ok(d) = serde_json::from_slice::<DigestRecord>(bytes) else {
            report(None, ProblemKind::Digest, format!("digest {n} is damaged"));
            prev = None;
            continue;
        };
        let b = &d.body;
        let mut bad = |detail: String| report(Some(b.last_seq), ProblemKind::Digest, format!("digest {n}: {detail}"));
        let expected_seq = prev.as_ref().map_or(1, |p| p.body.digest_seq + 1);
        if b.digest_seq != *n || b.account_id != account || b.digest_version != DIGEST_VERSION || b.signature_algorithm != SIGNATURE_ALGORITHM {
            bad("its header does not match where it is stored".into());
        }
        if *n != expected_seq {
            bad(format!("digest(s) {expected_seq}..{} are missing", n - 1));
        }
        if let Some(p) = &prev {
            if b.previous_digest_signature.as_deref() != Some(p.signature.as_str()) || b.first_seq != p.body.last_seq + 1 || b.first_prev_hash != p.body.last_hash {
                bad(format!("it does not continue digest {}", p.body.digest_seq));
            }
        } else if *n == 1 && (b.previous_digest_signature.is_some() || b.first_seq != 1 || b.first_prev_hash != hex::encode([0u8; 32])) {
            bad("the first digest does not start the chain".into());
        }
        let signature_ok = if keys.is_none() {
            false
        } else {
            match account_keys.get(&b.public_key_fingerprint) {
                None => {
                    bad(format!("signed by key {}, which is not in the public key file", b.public_key_fingerprint));
                    false
                }
                Some(key) => {
                    let sig = hex::decode(&d.signature).ok().and_then(|s| Signature::from_slice(&s).ok());
                    let ok = sig.is_some_and(|s| key.verify_strict(&b.signed_bytes(), &s).is_ok());
                    if !ok {
                        bad("its signature does not verify".into());
                    }
                    ok
                }
            }
        };
        let mut events_ok = true;
        match by_at.get(&b.last_seq) {
            None if b.last_seq > last_at => {
                let from = last_at + 1;
                report(Some(from), ProblemKind::Deleted, format!("{} removed from the end (digest {n} covers through seq {})", events(from, b.last_seq), b.last_seq));
                events_ok = false;
            }
            None => events_ok = false,
            Some(l) if l.hash.map(hex::encode).as_deref() != Some(b.last_hash.as_str()) => {
                bad(format!(
                    "seq {} does not carry the hash this digest signed: events in seq {}..{} were changed (hashes recomputed if the chain looks intact), inserted or removed",
                    b.last_seq, b.first_seq, b.last_seq
                ));
                events_ok = false;
            }
            Some(_) => {}
        }
        if signature_ok && events_ok {
            signed_through = b.last_seq;
        }
        prev = Some(d);
    }
    (digests.len(), signed_through)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::store::{tamper_trail, Batch, Snapshot, Store, Tamper, TrailAppend, TrailRead};
    use crate::trail::digest::read_public_keys;

    const A: &str = "111111111111";

    fn dir(name: &str) -> crate::TestDir {
        crate::test_dir(&format!("verify-{name}"))
    }

    /// A stopped store with `n` events in account A, a digest every 4 events.
    fn trail(name: &str, n: usize) -> crate::TestFile {
        trail_with(name, n, 4, Duration::from_secs(3600), Duration::ZERO)
    }

    /// As `trail`, with the digest cadence and how long the store stays open after the writes.
    fn trail_with(name: &str, n: usize, every: u64, interval: Duration, linger: Duration) -> crate::TestFile {
        let path = dir(name).file("edgeward.redb");
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        {
            let store = Store::open_with(&path, every, interval).unwrap();
            for i in 0..n {
                let mut b = Batch::default();
                b.trail.push(TrailAppend { account: A.into(), event: serde_json::to_vec(&serde_json::json!({"eventName": "CreateUser", "i": i})).unwrap() });
                rt.block_on(store.commit(b)).unwrap();
            }
            std::thread::sleep(linger);
        }
        std::thread::sleep(Duration::from_millis(50));
        path
    }

    /// A stopped store with `n` events in account A, `per_frame` to a commit with an event of
    /// account B between each two (so redb holds blocks of A's events), a digest every 4
    /// events.
    fn trail_in_blocks(name: &str, n: usize, per_frame: usize) -> crate::TestFile {
        let path = dir(name).file("edgeward.redb");
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        {
            let store = Store::open_with(&path, 4, Duration::from_secs(3600)).unwrap();
            for first in (0..n).step_by(per_frame) {
                let mut b = Batch::default();
                for i in first..(first + per_frame).min(n) {
                    let event = |account: &str| serde_json::to_vec(&serde_json::json!({"eventName": "CreateUser", "account": account, "i": i})).unwrap();
                    b.trail.push(TrailAppend { account: A.into(), event: event(A) });
                    b.trail.push(TrailAppend { account: "222222222222".into(), event: event("222222222222") });
                }
                rt.block_on(store.commit(b)).unwrap();
            }
        }
        path
    }

    fn check(path: &std::path::Path) -> AccountReport {
        let snap = Snapshot::open(path).unwrap_or_else(|e| panic!("{e}"));
        let keys = read_public_keys(path.parent().unwrap()).ok();
        verify_account(A, &snap.account_trail(A).unwrap(), keys.as_ref())
    }

    fn record(path: &std::path::Path, seq: u64) -> Vec<u8> {
        let snap = Snapshot::open(path).unwrap_or_else(|e| panic!("{e}"));
        snap.account_trail(A).unwrap().events.into_iter().find(|(s, _)| *s == seq).unwrap().1
    }

    fn kinds(r: &AccountReport) -> Vec<(Option<u64>, ProblemKind)> {
        r.problems.iter().map(|p| (p.seq, p.kind)).collect()
    }

    #[test]
    fn intact_trail_verifies_with_digests() {
        let path = trail("intact", 10);
        let r = check(&path);
        assert!(r.intact(), "{:?}", r.problems);
        assert_eq!((r.events, r.digests, r.signed_through), (10, 2, 8));
    }

    #[test]
    fn an_idle_trail_is_digested_by_the_timer() {
        let path = trail_with("timer", 3, 1000, Duration::from_millis(200), Duration::from_millis(600));
        let r = check(&path);
        assert!(r.intact(), "{:?}", r.problems);
        assert_eq!((r.digests, r.signed_through), (1, 3));
        let keys = read_public_keys(path.parent().unwrap()).unwrap();
        assert_eq!(keys[A].len(), 1);
    }

    #[test]
    fn edit_is_named() {
        let path = trail("edit", 10);
        let text = String::from_utf8(record(&path, 6)).unwrap().replace("CreateUser", "DeleteUser");
        tamper_trail(&path, A, &[Tamper::Put(6, text.into_bytes())]).unwrap();
        let r = check(&path);
        assert_eq!(kinds(&r), vec![(Some(6), ProblemKind::Edited)], "{:?}", r.problems);
    }

    #[test]
    fn edit_with_recomputed_hashes_is_caught_by_the_digest() {
        let path = trail("rehash", 10);
        // Rewrite event 3 and recompute every hash after it, as a careful forger would.
        let mut prev = [0u8; 32];
        let mut edits = Vec::new();
        for seq in 1..=10 {
            let mut rec: Value = serde_json::from_slice(&record(&path, seq)).unwrap();
            if seq == 3 {
                rec["event"]["eventName"] = "DeleteUser".into();
            }
            let h = chain_hash(&prev, &serde_json::to_vec(&rec["event"]).unwrap());
            rec["edgewardChain"]["prevHash"] = hex::encode(prev).into();
            rec["edgewardChain"]["hash"] = hex::encode(h).into();
            prev = h;
            edits.push(Tamper::Put(seq, serde_json::to_vec(&rec).unwrap()));
        }
        tamper_trail(&path, A, &edits).unwrap();
        let r = check(&path);
        assert!(r.problems.iter().all(|p| p.kind == ProblemKind::Digest), "{:?}", r.problems);
        assert!(r.problems.iter().any(|p| p.detail.contains("seq 1..4")), "{:?}", r.problems);
        assert_eq!(r.signed_through, 0);
    }

    #[test]
    fn deletion_is_named() {
        let path = trail("delete", 10);
        tamper_trail(&path, A, &[Tamper::Delete(5), Tamper::Delete(6)]).unwrap();
        let r = check(&path);
        assert_eq!(kinds(&r), vec![(Some(5), ProblemKind::Deleted)], "{:?}", r.problems);
        assert!(r.problems[0].detail.contains("events 5..6"), "{:?}", r.problems);
    }

    #[test]
    fn deletion_with_renumbering_is_named() {
        let path = trail("renumber", 6);
        let (r5, r6) = (record(&path, 5), record(&path, 6));
        tamper_trail(&path, A, &[Tamper::Put(4, r5), Tamper::Put(5, r6), Tamper::Delete(6)]).unwrap();
        let r = check(&path);
        assert!(r.problems.iter().any(|p| p.kind == ProblemKind::Deleted && p.detail.contains("event 4 was")), "{:?}", r.problems);
    }

    #[test]
    fn tail_deletion_is_caught_by_the_digest() {
        let path = trail("tail", 8);
        tamper_trail(&path, A, &[Tamper::Delete(7), Tamper::Delete(8)]).unwrap();
        let r = check(&path);
        assert_eq!(kinds(&r), vec![(Some(7), ProblemKind::Deleted)], "{:?}", r.problems);
    }

    #[test]
    fn reordering_is_named() {
        let path = trail("reorder", 10);
        let (r5, r6) = (record(&path, 5), record(&path, 6));
        tamper_trail(&path, A, &[Tamper::Put(5, r6), Tamper::Put(6, r5)]).unwrap();
        let r = check(&path);
        assert!(!r.problems.is_empty() && r.problems.iter().all(|p| p.kind == ProblemKind::Reordered), "{:?}", r.problems);
        assert_eq!(r.problems[0].seq, Some(5));
    }

    #[test]
    fn insertion_is_named() {
        let path = trail("insert", 6);
        insert_forged(&path, 4, 6);
    }

    /// Shifts events `at..=last` up by one, puts a forged event (chained onto its
    /// predecessor) at `at`, and checks the verifier names an insertion there and no deletion.
    fn insert_forged(path: &std::path::Path, at: u64, last: u64) {
        let mut edits: Vec<Tamper> = (at..=last).rev().map(|s| Tamper::Put(s + 1, record(path, s))).collect();
        let mut forged: Value = serde_json::from_slice(&record(path, at)).unwrap();
        forged["event"]["eventName"] = "Forged".into();
        let prev = hash32(&forged["edgewardChain"]["prevHash"]).unwrap();
        forged["edgewardChain"]["hash"] = hex::encode(chain_hash(&prev, &serde_json::to_vec(&forged["event"]).unwrap())).into();
        edits.push(Tamper::Put(at, serde_json::to_vec(&forged).unwrap()));
        tamper_trail(path, A, &edits).unwrap();
        let r = check(path);
        assert!(r.problems.iter().any(|p| p.kind == ProblemKind::Inserted && p.seq == Some(at)), "{:?}", r.problems);
        assert!(!r.problems.iter().any(|p| p.kind == ProblemKind::Deleted), "{:?}", r.problems);
    }

    #[test]
    fn tampering_inside_a_block_is_named() {
        // A's events in blocks of four: 1..4, 5..8, 9..12.
        let path = trail_in_blocks("blocks", 12, 4);
        let r = check(&path);
        assert!(r.intact(), "{:?}", r.problems);
        assert_eq!((r.events, r.digests, r.signed_through), (12, 3, 12));
        let restore = |seqs: &[u64], originals: &[Vec<u8>]| {
            let edits: Vec<Tamper> = seqs.iter().zip(originals).map(|(s, b)| Tamper::Put(*s, b.clone())).collect();
            tamper_trail(&path, A, &edits).unwrap();
            let r = check(&path);
            assert!(r.intact(), "restored, the trail verifies again: {:?}", r.problems);
        };

        let original = record(&path, 6);
        let text = String::from_utf8(original.clone()).unwrap().replace("CreateUser", "DeleteUser");
        tamper_trail(&path, A, &[Tamper::Put(6, text.into_bytes())]).unwrap();
        assert_eq!(kinds(&check(&path)), vec![(Some(6), ProblemKind::Edited)]);
        restore(&[6], &[original]);

        let original = record(&path, 10);
        tamper_trail(&path, A, &[Tamper::Delete(10)]).unwrap();
        let r = check(&path);
        assert_eq!(kinds(&r), vec![(Some(10), ProblemKind::Deleted)], "{:?}", r.problems);
        assert!(r.problems[0].detail.contains("event 10 was removed"), "{:?}", r.problems);
        restore(&[10], &[original]);

        let (r2, r3) = (record(&path, 2), record(&path, 3));
        tamper_trail(&path, A, &[Tamper::Put(2, r3.clone()), Tamper::Put(3, r2.clone())]).unwrap();
        let r = check(&path);
        assert!(!r.problems.is_empty() && r.problems.iter().all(|p| p.kind == ProblemKind::Reordered), "{:?}", r.problems);
        assert_eq!(r.problems[0].seq, Some(2));
        restore(&[2, 3], &[r2, r3]);

        insert_forged(&path, 2, 12);
    }

    #[test]
    fn forged_digest_signature_fails() {
        let path = trail("forged", 8);
        let keys = read_public_keys(path.parent().unwrap()).unwrap();
        let snap = Snapshot::open(&path).unwrap();
        let mut t = snap.account_trail(A).unwrap();
        let mut d: DigestRecord = serde_json::from_slice(&t.digests[1].1).unwrap();
        d.body.digest_end_time = "2000-01-01T00:00:00Z".into();
        t.digests[1].1 = serde_json::to_vec(&d).unwrap();
        let r = verify_account(A, &t, Some(&keys));
        assert!(r.problems.iter().any(|p| p.kind == ProblemKind::Digest && p.detail.contains("signature")), "{:?}", r.problems);
        t.digests.remove(0);
        let r = verify_account(A, &t, Some(&keys));
        assert!(r.problems.iter().any(|p| p.detail.contains("missing")), "{:?}", r.problems);
    }
}
