//! Object bytes on disk: one blob file per object (or multipart part), encrypted in 64 KiB
//! segments with AES-256-GCM under the object's data key, so a range read decrypts only the
//! segments it covers and memory stays bounded whatever the object's size.
//!
//! Publishing is atomic: a blob is written under `tmp/`, fsync'd, renamed into `blobs/` and
//! the directory fsync'd before its metadata record is committed. A crash before the commit
//! leaves an unreferenced file, removed at the next start (`collect_garbage`); never a
//! partial object.
//!
//! Segment `i` of a blob with nonce prefix `p` uses the nonce `p (4 bytes) ‖ i (8 bytes)`:
//! unique because every object has its own data key and every blob written under a
//! multipart upload's shared key takes the next value of the upload's persisted counter
//! (a part uploaded twice gets two prefixes).

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use bytes::Bytes;

use super::model::Piece;

/// Plaintext bytes per segment.
pub const SEGMENT: usize = 64 * 1024;
const TAG_LEN: usize = 16;
const SEALED: usize = SEGMENT + TAG_LEN;

/// The directory of blob files (`DATA_DIR/s3`).
#[derive(Debug, Clone)]
pub struct BlobStore {
    blobs: PathBuf,
    tmp: PathBuf,
}

impl BlobStore {
    /// Creates the directories and removes what crashed writes left in `tmp/`.
    pub fn open(dir: &Path) -> io::Result<BlobStore> {
        let store = BlobStore { blobs: dir.join("blobs"), tmp: dir.join("tmp") };
        fs::create_dir_all(&store.blobs)?;
        fs::create_dir_all(&store.tmp)?;
        for entry in fs::read_dir(&store.tmp)? {
            let _ = fs::remove_file(entry?.path());
        }
        Ok(store)
    }

    /// Removes blob files no record refers to (a crash between publishing a blob and
    /// committing its record, or a deletion whose file removal was cut short).
    pub fn collect_garbage(&self, referenced: &HashSet<String>) -> io::Result<usize> {
        let mut removed = 0;
        for entry in fs::read_dir(&self.blobs)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !referenced.contains(&name) {
                fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Removes the files of deleted objects once their deletion is committed.
    pub fn remove(&self, blobs: impl IntoIterator<Item = String>) {
        for id in blobs {
            if let Err(e) = fs::remove_file(self.blobs.join(&id)) {
                if e.kind() != io::ErrorKind::NotFound {
                    tracing::warn!("cannot remove blob {id}: {e}");
                }
            }
        }
    }

    /// Starts a new blob encrypted under `key`.
    pub fn create(&self, key: &[u8; 32], nonce_prefix: u32) -> io::Result<BlobWriter> {
        let id = crate::ids::hex(&crate::ids::random_bytes::<16>());
        let tmp = self.tmp.join(&id);
        let file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        Ok(BlobWriter {
            store: self.clone(),
            file: Some(file),
            tmp,
            id,
            cipher: Aes256Gcm::new(key.into()),
            nonce_prefix,
            index: 0,
            buf: Vec::with_capacity(SEALED),
            size: 0,
        })
    }

    /// Opens an object's blob files. Read through the handles, the object stays readable
    /// even if it is deleted or replaced (and its files removed) while it is being read.
    pub fn open_object(&self, pieces: &[Piece]) -> io::Result<OpenObject> {
        let files = pieces.iter().map(|p| Ok((p.clone(), File::open(self.blobs.join(&p.blob))?))).collect::<io::Result<_>>()?;
        Ok(OpenObject { files })
    }

    /// Decrypts `[start, end)` of an object made of `pieces` (see [`OpenObject::read_range`]).
    pub fn read_range(&self, key: &[u8; 32], pieces: &[Piece], start: u64, end: u64, emit: impl FnMut(Bytes) -> io::Result<()>) -> io::Result<()> {
        self.open_object(pieces)?.read_range(key, start, end, emit)
    }

    /// The whole object in memory (small objects only: copies of metadata-sized data).
    pub fn read_all(&self, key: &[u8; 32], pieces: &[Piece]) -> io::Result<Vec<u8>> {
        let size = pieces.iter().map(|p| p.size).sum();
        let mut out = Vec::with_capacity(size as usize);
        self.read_range(key, pieces, 0, size, |b| {
            out.extend_from_slice(&b);
            Ok(())
        })?;
        Ok(out)
    }
}

/// An object's blob files, open (see [`BlobStore::open_object`]).
#[derive(Debug)]
pub struct OpenObject {
    files: Vec<(Piece, File)>,
}

impl OpenObject {
    /// Decrypts `[start, end)` of the object, handing plaintext chunks to `emit` in order (at
    /// most one segment at a time in memory). Blocking.
    pub fn read_range(mut self, key: &[u8; 32], start: u64, end: u64, mut emit: impl FnMut(Bytes) -> io::Result<()>) -> io::Result<()> {
        let cipher = Aes256Gcm::new(key.into());
        let mut offset = 0u64;
        let mut sealed = vec![0u8; SEALED];
        for (piece, file) in &mut self.files {
            let (p_start, p_end) = (offset, offset + piece.size);
            offset = p_end;
            if p_end <= start || p_start >= end {
                continue;
            }
            let from = start.saturating_sub(p_start);
            let to = end.min(p_end) - p_start;
            let first = from / SEGMENT as u64;
            file.seek(SeekFrom::Start(first * SEALED as u64))?;
            let mut index = first;
            while index * (SEGMENT as u64) < to {
                let seg_start = index * SEGMENT as u64;
                let plain_len = (piece.size - seg_start).min(SEGMENT as u64) as usize;
                let buf = &mut sealed[..plain_len + TAG_LEN];
                file.read_exact(buf)?;
                let (data, tag) = buf.split_at_mut(plain_len);
                let tag = Tag::try_from(&*tag).map_err(|_| corrupt(&piece.blob))?;
                cipher
                    .decrypt_inout_detached(&nonce(piece.nonce_prefix, index), &[], data.into(), &tag)
                    .map_err(|_| corrupt(&piece.blob))?;
                let lo = from.saturating_sub(seg_start) as usize;
                let hi = ((to - seg_start) as usize).min(plain_len);
                emit(Bytes::copy_from_slice(&data[lo..hi]))?;
                index += 1;
            }
        }
        Ok(())
    }
}

fn nonce(prefix: u32, index: u64) -> Nonce<aes_gcm::aead::consts::U12> {
    let mut n = [0u8; 12];
    n[..4].copy_from_slice(&prefix.to_be_bytes());
    n[4..].copy_from_slice(&index.to_be_bytes());
    n.into()
}

fn corrupt(blob: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("blob {blob} failed authentication"))
}

/// A blob being written. Dropped unfinished, it removes its temporary file.
pub struct BlobWriter {
    store: BlobStore,
    file: Option<File>,
    tmp: PathBuf,
    id: String,
    cipher: Aes256Gcm,
    nonce_prefix: u32,
    index: u64,
    /// Plaintext of the segment being filled.
    buf: Vec<u8>,
    size: u64,
}

impl BlobWriter {
    pub fn write(&mut self, mut data: &[u8]) -> io::Result<()> {
        self.size += data.len() as u64;
        while !data.is_empty() {
            let take = (SEGMENT - self.buf.len()).min(data.len());
            self.buf.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buf.len() == SEGMENT {
                self.seal()?;
            }
        }
        Ok(())
    }

    fn seal(&mut self) -> io::Result<()> {
        let tag = self
            .cipher
            .encrypt_inout_detached(&nonce(self.nonce_prefix, self.index), &[], self.buf.as_mut_slice().into())
            .map_err(|_| io::Error::other("encryption failed"))?;
        self.buf.extend_from_slice(&tag);
        let file = self.file.as_mut().ok_or_else(|| io::Error::other("blob already finished"))?;
        file.write_all(&self.buf)?;
        self.buf.clear();
        self.index += 1;
        Ok(())
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Seals the last segment, makes the file durable and publishes it under its id.
    pub fn finish(mut self) -> io::Result<Piece> {
        if !self.buf.is_empty() {
            self.seal()?;
        }
        let file = self.file.take().ok_or_else(|| io::Error::other("blob already finished"))?;
        file.sync_all()?;
        drop(file);
        fs::rename(&self.tmp, self.store.blobs.join(&self.id))?;
        File::open(&self.store.blobs)?.sync_all()?;
        Ok(Piece { blob: std::mem::take(&mut self.id), size: self.size, nonce_prefix: self.nonce_prefix })
    }
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        if self.file.is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (BlobStore, crate::TestDir) {
        let dir = crate::test_dir("blob");
        (BlobStore::open(&dir).unwrap(), dir)
    }

    #[test]
    fn ranges_across_segments_and_pieces_read_back() {
        let (store, dir) = store();
        let key = [7u8; 32];
        let data: Vec<u8> = (0..(3 * SEGMENT + 123)).map(|i| (i * 31 % 251) as u8).collect();
        let (a, b) = data.split_at(SEGMENT + 5);
        let mut pieces = Vec::new();
        for (n, chunk) in [a, b].iter().enumerate() {
            let mut w = store.create(&key, n as u32 + 1).unwrap();
            for c in chunk.chunks(1000) {
                w.write(c).unwrap();
            }
            pieces.push(w.finish().unwrap());
        }
        assert_eq!(store.read_all(&key, &pieces).unwrap(), data);
        for (s, e) in [(0, 1), (SEGMENT - 1, SEGMENT + 7), (SEGMENT + 4, 2 * SEGMENT + 9), (data.len() - 3, data.len())] {
            let mut got = Vec::new();
            store.read_range(&key, &pieces, s as u64, e as u64, |b| {
                got.extend_from_slice(&b);
                Ok(())
            })
            .unwrap();
            assert_eq!(got, &data[s..e], "range {s}..{e}");
        }
        // At rest the bytes are not the plaintext.
        let raw = fs::read(dir.join("blobs").join(&pieces[0].blob)).unwrap();
        assert!(!raw.windows(64).any(|w| w == &data[..64]));
        // A different key cannot read it.
        assert!(store.read_all(&[8u8; 32], &pieces).is_err());
    }

    #[test]
    fn an_open_object_reads_after_its_files_are_removed() {
        let (store, _dir) = store();
        let key = [3u8; 32];
        let mut w = store.create(&key, 0).unwrap();
        w.write(&[42u8; 100_000]).unwrap();
        let piece = w.finish().unwrap();
        let open = store.open_object(std::slice::from_ref(&piece)).unwrap();
        store.remove([piece.blob.clone()]);
        assert!(store.open_object(std::slice::from_ref(&piece)).is_err());
        let mut got = Vec::new();
        open.read_range(&key, 0, 100_000, |b| {
            got.extend_from_slice(&b);
            Ok(())
        })
        .unwrap();
        assert_eq!(got, vec![42u8; 100_000]);
    }

    #[test]
    fn unfinished_writes_leave_nothing_and_garbage_is_collected() {
        let (store, dir) = store();
        let mut w = store.create(&[1u8; 32], 0).unwrap();
        w.write(b"partial").unwrap();
        drop(w);
        assert_eq!(fs::read_dir(dir.join("tmp")).unwrap().count(), 0);
        let kept = store.create(&[1u8; 32], 0).unwrap().finish().unwrap();
        let orphan = store.create(&[1u8; 32], 0).unwrap().finish().unwrap();
        let removed = store.collect_garbage(&HashSet::from([kept.blob.clone()])).unwrap();
        assert_eq!(removed, 1);
        assert!(dir.join("blobs").join(&kept.blob).exists());
        assert!(!dir.join("blobs").join(&orphan.blob).exists());
    }
}
