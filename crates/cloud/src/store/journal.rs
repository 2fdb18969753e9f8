//! The store's write-ahead journal: what makes a group commit durable.
//!
//! A group of calls becomes one *frame*: `magic ‖ lsn ‖ len ‖ crc32 ‖ payload`, where the
//! payload is the group's entries (state changes, chained trail records, decisions,
//! digests) and the CRC covers `lsn ‖ len ‖ payload`. The writer appends the frame with one
//! `pwrite` and one `fdatasync`, then acknowledges the group; a checkpoint later copies the
//! entries into the redb file in one large transaction. Appending a few contiguous KiB costs
//! far less than a B-tree commit per group (a dozen scattered page writes and their fsync).
//!
//! Two files take turns: frames go to one until it holds `SEGMENT_BYTES`, then to the other
//! from its start, once every frame the other holds has been checkpointed. Files are grown
//! with written zeros ahead of the frames, so an append changes no file size and
//! `fdatasync` writes data only. Frame numbers (LSNs) rise by one per frame across both
//! files, and redb records the last one it holds, so recovery applies exactly the frames
//! after it: a reused file's older frames have lower numbers, and a frame cut short by a
//! crash fails its CRC (it was never acknowledged).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A file is left for the other once it holds this much.
pub const SEGMENT_BYTES: u64 = 16 << 20;

/// Files grow by written zeros in steps of this size.
const GROW_BYTES: u64 = 1 << 20;

const MAGIC: [u8; 4] = *b"EWJ1";
const HEADER: usize = 4 + 8 + 4 + 4;

/// The largest payload recovery accepts (a frame header claiming more is damage).
const MAX_PAYLOAD: u64 = 1 << 30;

const FILES: [&str; 2] = ["0.wal", "1.wal"];

/// One change a group commit makes, in the order it is applied.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// Empties the state, trail, decisions and digests (the moto compatibility reset).
    Wipe,
    Put { key: String, value: Vec<u8> },
    Delete { key: String },
    /// A chained trail record (`edgewardChain` + event) at an account's sequence number.
    Trail { account: String, seq: u64, record: Arc<[u8]> },
    Decision { request_id: String, record: Arc<[u8]> },
    Digest { account: String, seq: u64, record: Arc<[u8]> },
    SigningKey { account: String, record: Arc<[u8]> },
}

impl Entry {
    fn tag(&self) -> u8 {
        match self {
            Entry::Wipe => 0,
            Entry::Put { .. } => 1,
            Entry::Delete { .. } => 2,
            Entry::Trail { .. } => 3,
            Entry::Decision { .. } => 4,
            Entry::Digest { .. } => 5,
            Entry::SigningKey { .. } => 6,
        }
    }

    /// Bytes this entry holds (what an unapplied backlog weighs).
    pub fn weight(&self) -> usize {
        match self {
            Entry::Wipe => 0,
            Entry::Put { key, value } => key.len() + value.len(),
            Entry::Delete { key } => key.len(),
            Entry::Trail { account, record, .. } | Entry::Digest { account, record, .. } => account.len() + record.len() + 8,
            Entry::Decision { request_id: key, record } | Entry::SigningKey { account: key, record } => key.len() + record.len(),
        }
    }
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

/// Appends the entries' encoding to `out`.
pub fn encode(entries: &[Entry], out: &mut Vec<u8>) {
    for e in entries {
        out.push(e.tag());
        match e {
            Entry::Wipe => {}
            Entry::Put { key, value } => {
                put_bytes(out, key.as_bytes());
                put_bytes(out, value);
            }
            Entry::Delete { key } => put_bytes(out, key.as_bytes()),
            Entry::Trail { account, seq, record } | Entry::Digest { account, seq, record } => {
                put_bytes(out, account.as_bytes());
                out.extend_from_slice(&seq.to_le_bytes());
                put_bytes(out, record);
            }
            Entry::Decision { request_id: key, record } | Entry::SigningKey { account: key, record } => {
                put_bytes(out, key.as_bytes());
                put_bytes(out, record);
            }
        }
    }
}

/// Reads what `encode` wrote. A frame whose CRC matched but whose payload does not decode
/// was not written by this code: an error, never a partial result.
pub fn decode(mut payload: &[u8]) -> Result<Vec<Entry>, String> {
    fn take<'a>(p: &mut &'a [u8], n: usize) -> Result<&'a [u8], String> {
        if p.len() < n {
            return Err("journal frame payload ends early".into());
        }
        let (head, rest) = p.split_at(n);
        *p = rest;
        Ok(head)
    }
    fn bytes<'a>(p: &mut &'a [u8]) -> Result<&'a [u8], String> {
        let n = u32::from_le_bytes(take(p, 4)?.try_into().unwrap_or_default()) as usize;
        take(p, n)
    }
    fn text(p: &mut &[u8]) -> Result<String, String> {
        String::from_utf8(bytes(p)?.to_vec()).map_err(|_| "journal frame holds a key that is not UTF-8".to_string())
    }
    fn number(p: &mut &[u8]) -> Result<u64, String> {
        Ok(u64::from_le_bytes(take(p, 8)?.try_into().unwrap_or_default()))
    }
    let mut out = Vec::new();
    while let Some((&tag, rest)) = payload.split_first() {
        payload = rest;
        let p = &mut payload;
        out.push(match tag {
            0 => Entry::Wipe,
            1 => Entry::Put { key: text(p)?, value: bytes(p)?.to_vec() },
            2 => Entry::Delete { key: text(p)? },
            3 => Entry::Trail { account: text(p)?, seq: number(p)?, record: bytes(p)?.into() },
            4 => Entry::Decision { request_id: text(p)?, record: bytes(p)?.into() },
            5 => Entry::Digest { account: text(p)?, seq: number(p)?, record: bytes(p)?.into() },
            6 => Entry::SigningKey { account: text(p)?, record: bytes(p)?.into() },
            t => return Err(format!("journal frame holds an unknown entry tag {t}")),
        });
    }
    Ok(out)
}

fn crc(lsn: u64, len: u32, payload: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&lsn.to_le_bytes());
    h.update(&len.to_le_bytes());
    h.update(payload);
    h.finalize()
}

/// The journal's directory beside the redb file it feeds (`edgeward.redb` → `edgeward.journal/`).
pub fn dir_for(db_path: &Path) -> PathBuf {
    db_path.with_extension("journal")
}

/// Every frame numbered above `applied` that the files hold, in order, stopping at the
/// first gap: what a crash left unapplied.
pub fn unapplied_frames(dir: &Path, applied: u64) -> std::io::Result<Vec<(u64, Vec<Entry>)>> {
    let mut frames = Vec::new();
    for name in FILES {
        match File::open(dir.join(name)) {
            Ok(file) => frames.extend(frames_in(&file, applied)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    frames.sort_by_key(|(lsn, _)| *lsn);
    let mut out = Vec::new();
    for (next, (lsn, payload)) in (applied + 1..).zip(frames) {
        if lsn != next {
            break;
        }
        out.push((lsn, decode(&payload).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("frame {lsn}: {e}")))?));
    }
    Ok(out)
}

/// The run of consecutive frames a file starts with, keeping the payloads of those above
/// `applied` (only those are read and checked). The run ends at the first frame that is
/// not the next one: zeros, a frame cut short, or an older frame left from the file's
/// previous turn.
fn frames_in(file: &File, applied: u64) -> std::io::Result<Vec<(u64, Vec<u8>)>> {
    let size = file.metadata()?.len();
    let mut out = Vec::new();
    let mut pos = 0u64;
    let mut expected: Option<u64> = None;
    let mut h = [0u8; HEADER];
    while size - pos >= HEADER as u64 {
        file.read_exact_at(&mut h, pos)?;
        if h[..4] != MAGIC {
            break;
        }
        let lsn = u64::from_le_bytes(h[4..12].try_into().unwrap_or_default());
        let len = u32::from_le_bytes(h[12..16].try_into().unwrap_or_default());
        let sum = u32::from_le_bytes(h[16..20].try_into().unwrap_or_default());
        let end = pos + HEADER as u64 + len as u64;
        if expected.is_some_and(|e| e != lsn) || len as u64 > MAX_PAYLOAD || end > size {
            break;
        }
        if lsn > applied {
            let mut payload = vec![0; len as usize];
            file.read_exact_at(&mut payload, pos + HEADER as u64)?;
            if crc(lsn, len, &payload) != sum {
                break;
            }
            out.push((lsn, payload));
        }
        expected = Some(lsn + 1);
        pos = end;
    }
    Ok(out)
}

/// Zeros over a file's first frame header, unless it has none.
fn mark_empty(f: &File) -> std::io::Result<()> {
    if f.metadata()?.len() < HEADER as u64 {
        return Ok(());
    }
    let mut h = [0u8; HEADER];
    f.read_exact_at(&mut h, 0)?;
    if h != [0; HEADER] {
        f.write_all_at(&[0; HEADER], 0)?;
        f.sync_data()?;
    }
    Ok(())
}

/// The two files, open for appending.
pub struct Journal {
    files: [File; 2],
    /// Each file's length (every byte below it written, zeros ahead of the frames).
    lens: [u64; 2],
    /// The highest frame number in each file's current turn (0: none).
    last: [u64; 2],
    active: usize,
    /// Where the next frame goes in the active file.
    pos: u64,
    frame: Vec<u8>,
    zeros: Vec<u8>,
}

impl Journal {
    /// Opens (creating) both files and starts appending at the start of the first. Call it
    /// after every frame the files hold has been applied.
    pub fn start(dir: &Path) -> std::io::Result<Journal> {
        let created = !dir.exists();
        std::fs::create_dir_all(dir)?;
        let open = |name: &str| std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(dir.join(name));
        let files = [open(FILES[0])?, open(FILES[1])?];
        if created {
            // The files' names must survive a crash as well as their contents.
            File::open(dir)?.sync_all()?;
            if let Some(parent) = dir.parent() {
                File::open(parent)?.sync_all()?;
            }
        }
        // Every frame the files hold is applied: blank their starts so that a later
        // recovery does not read through them (a clean stop has already done it).
        for f in &files {
            mark_empty(f)?;
        }
        let lens = [files[0].metadata()?.len(), files[1].metadata()?.len()];
        Ok(Journal { files, lens, last: [0, 0], active: 0, pos: 0, frame: Vec::new(), zeros: Vec::new() })
    }

    /// After the last frame has been applied (a clean stop): blank both files' starts, so
    /// the next start reads nothing.
    pub fn close(self) -> std::io::Result<()> {
        for f in &self.files {
            mark_empty(f)?;
        }
        Ok(())
    }

    /// Frames the entries as frame `lsn` (into an internal buffer), returning its size.
    pub fn stage(&mut self, lsn: u64, entries: &[Entry]) -> usize {
        self.frame.clear();
        self.frame.extend_from_slice(&[0; HEADER]);
        encode(entries, &mut self.frame);
        let len = (self.frame.len() - HEADER) as u32;
        let sum = crc(lsn, len, &self.frame[HEADER..]);
        self.frame[..4].copy_from_slice(&MAGIC);
        self.frame[4..12].copy_from_slice(&lsn.to_le_bytes());
        self.frame[12..16].copy_from_slice(&len.to_le_bytes());
        self.frame[16..20].copy_from_slice(&sum.to_le_bytes());
        self.frame.len()
    }

    /// Whether the staged frame goes to the other file; if so, the frame number the
    /// checkpoint must have reached before `switch` (the other file's last frame).
    pub fn must_switch(&self) -> Option<u64> {
        (self.pos > 0 && self.pos + self.frame.len() as u64 > SEGMENT_BYTES).then_some(self.last[1 - self.active])
    }

    /// Whether the active file holds at least half its share.
    pub fn half_full(&self) -> bool {
        self.pos >= SEGMENT_BYTES / 2
    }

    /// Turns to the other file, from its start. Its frames must all be applied.
    pub fn switch(&mut self) {
        self.active = 1 - self.active;
        self.last[self.active] = 0;
        self.pos = 0;
    }

    /// Writes the staged frame `lsn` and makes it durable.
    pub fn append(&mut self, lsn: u64) -> std::io::Result<()> {
        let i = self.active;
        let end = self.pos + self.frame.len() as u64;
        if end > self.lens[i] {
            self.grow(i, end.next_multiple_of(GROW_BYTES) + GROW_BYTES)?;
        }
        self.files[i].write_all_at(&self.frame, self.pos)?;
        self.files[i].sync_data()?;
        self.pos = end;
        self.last[i] = lsn;
        Ok(())
    }

    /// Extends a file to `len` with written zeros, so later appends allocate nothing.
    fn grow(&mut self, i: usize, len: u64) -> std::io::Result<()> {
        if self.zeros.is_empty() {
            self.zeros = vec![0; GROW_BYTES as usize];
        }
        let mut at = self.lens[i];
        while at < len {
            let n = (len - at).min(GROW_BYTES) as usize;
            self.files[i].write_all_at(&self.zeros[..n], at)?;
            at += n as u64;
        }
        self.lens[i] = len;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("edgeward-journal-{name}-{}", crate::ids::uuid()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn sample(i: u64) -> Vec<Entry> {
        vec![
            Entry::Put { key: format!("k/{i}"), value: vec![i as u8; 3] },
            Entry::Trail { account: "111111111111".into(), seq: i, record: format!("{{\"n\":{i}}}").into_bytes().into() },
            Entry::Decision { request_id: format!("r{i}"), record: b"{}".as_slice().into() },
            Entry::Delete { key: "gone".into() },
            Entry::Digest { account: "111111111111".into(), seq: i, record: b"d".as_slice().into() },
            Entry::SigningKey { account: "111111111111".into(), record: b"k".as_slice().into() },
            Entry::Wipe,
        ]
    }

    #[test]
    fn entries_round_trip() {
        let mut buf = Vec::new();
        encode(&sample(7), &mut buf);
        assert_eq!(decode(&buf).unwrap(), sample(7));
        assert!(decode(&buf[..buf.len() - 2]).is_err(), "a cut payload is an error, not fewer entries");
    }

    #[test]
    fn recovery_returns_the_frames_after_the_applied_one_and_stops_at_a_torn_frame() {
        let dir = temp_dir("torn");
        let mut j = Journal::start(&dir).unwrap();
        for lsn in 1..=5 {
            j.stage(lsn, &sample(lsn));
            j.append(lsn).unwrap();
        }
        let got: Vec<u64> = unapplied_frames(&dir, 2).unwrap().into_iter().map(|(l, _)| l).collect();
        assert_eq!(got, [3, 4, 5]);
        assert_eq!(unapplied_frames(&dir, 1).unwrap()[0].1, sample(2));
        // Tear frame 4: one flipped payload byte fails its CRC; 5 follows a gap and is dropped.
        let path = dir.join(FILES[0]);
        let mut bytes = std::fs::read(&path).unwrap();
        let (mut buf, mut at) = (Vec::new(), 0);
        for lsn in 1..=3 {
            buf.clear();
            encode(&sample(lsn), &mut buf);
            at += HEADER + buf.len();
        }
        bytes[at + HEADER + 2] ^= 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let got: Vec<u64> = unapplied_frames(&dir, 2).unwrap().into_iter().map(|(l, _)| l).collect();
        assert_eq!(got, [3]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn frames_continue_across_the_two_files_and_a_reused_file_hides_its_old_frames() {
        let dir = temp_dir("turns");
        let mut j = Journal::start(&dir).unwrap();
        let big = vec![Entry::Put { key: "big".into(), value: vec![7; (SEGMENT_BYTES / 4) as usize] }];
        let mut applied_through_switch = Vec::new();
        for lsn in 1..=8 {
            j.stage(lsn, &big);
            if let Some(needed) = j.must_switch() {
                applied_through_switch.push((lsn, needed));
                j.switch();
            }
            j.append(lsn).unwrap();
        }
        // Three frames fit a file: 1-3 in file 0, 4-6 in file 1, 7-8 back in file 0.
        assert_eq!(applied_through_switch, [(4, 0), (7, 3)]);
        let got: Vec<u64> = unapplied_frames(&dir, 3).unwrap().into_iter().map(|(l, _)| l).collect();
        assert_eq!(got, [4, 5, 6, 7, 8], "file 0's frame 3 (left from its first turn) is older than 7 and not read");
        assert!(unapplied_frames(&dir, 8).unwrap().is_empty());
        // A fresh start marks both files empty.
        drop(j);
        Journal::start(&dir).unwrap();
        assert!(unapplied_frames(&dir, 0).unwrap().is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
