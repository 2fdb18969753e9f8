//! A redb `StorageBackend` around redb's own `FileBackend` that fills the file's holes with
//! written zeros before redb first writes into them.
//!
//! redb grows its file with `set_len` (a sparse extension), so each commit that writes into
//! newly used pages makes the filesystem allocate blocks, and `fdatasync` then has to commit
//! that allocation (a journal commit and an inode write) as well as the data. Here, the first
//! write into a chunk of the file first writes zeros over whatever holes the chunk still has
//! (once per chunk), so later commits overwrite blocks that are already allocated and
//! `fdatasync` writes data only.
//!
//! Nothing redb can observe changes: a hole already reads as zeros, so writing zeros over it
//! leaves the file's contents as they were; the file's length is never changed here (`len`
//! and `set_len` are redb's own); and `sync_data` is the inner backend's, so it makes every
//! write durable, the zeros included. A crash at any point leaves the same bytes and length
//! redb's plain `FileBackend` would have left (zeros that did not reach the disk read back as
//! holes, i.e. as zeros).

use std::fs::File;
use std::ops::Bound;
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::sync::Mutex;

use redb::backends::FileBackend;
use redb::{BackendError, StorageBackend};

/// redb's I/O error type for backends (`std::io::Error` without redb's experimental API).
type IoResult<T> = Result<T, std::io::Error>;

/// Granularity of the hole filling.
const CHUNK: u64 = 1 << 20;

/// Size of the zero buffer the holes are filled from.
const ZEROS: usize = 256 << 10;

#[derive(Debug)]
pub struct FilledFileBackend {
    inner: FileBackend,
    /// The same open file (a duplicate descriptor), for finding and filling holes.
    file: File,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Chunks (by index) known to have no hole below the file's length.
    filled: Vec<bool>,
}

impl FilledFileBackend {
    pub fn new(file: File) -> std::io::Result<FilledFileBackend> {
        let dup = file.try_clone()?;
        let inner = FileBackend::new(file).map_err(std::io::Error::other)?;
        Ok(FilledFileBackend { inner, file: dup, state: Mutex::new(State::default()) })
    }

    /// Writes zeros over every hole of `[start, end)`.
    fn fill_holes(&self, start: u64, end: u64) -> std::io::Result<()> {
        let fd = self.file.as_raw_fd();
        let mut pos = start;
        let mut zeros: Option<Vec<u8>> = None;
        while pos < end {
            // SAFETY: lseek on a descriptor this struct owns; no memory is passed.
            let hole = unsafe { libc::lseek(fd, pos as libc::off_t, libc::SEEK_HOLE) };
            if hole < 0 {
                let e = std::io::Error::last_os_error();
                // ENXIO: `pos` is at or past the end of the file.
                if e.raw_os_error() == Some(libc::ENXIO) {
                    return Ok(());
                }
                return Err(e);
            }
            let hole = hole as u64;
            if hole >= end {
                return Ok(());
            }
            // SAFETY: as above.
            let data = unsafe { libc::lseek(fd, hole as libc::off_t, libc::SEEK_DATA) };
            let hole_end = if data < 0 {
                let e = std::io::Error::last_os_error();
                if e.raw_os_error() != Some(libc::ENXIO) {
                    return Err(e);
                }
                end // no data after the hole
            } else {
                (data as u64).min(end)
            };
            let zeros = zeros.get_or_insert_with(|| vec![0u8; ZEROS]);
            let mut at = hole;
            while at < hole_end {
                let n = ((hole_end - at) as usize).min(ZEROS);
                self.file.write_all_at(&zeros[..n], at)?;
                at += n as u64;
            }
            pos = hole_end;
        }
        Ok(())
    }

    /// Makes sure the chunks under `[offset, offset + len)` have no holes.
    fn prepare(&self, offset: u64, len: u64) -> IoResult<()> {
        if len == 0 {
            return Ok(());
        }
        let first = offset / CHUNK;
        let last = (offset + len - 1) / CHUNK;
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if (first..=last).all(|c| state.filled.get(c as usize).copied().unwrap_or(false)) {
            return Ok(());
        }
        let file_len = self.inner.len()?;
        for c in first..=last {
            if state.filled.get(c as usize).copied().unwrap_or(false) {
                continue;
            }
            let start = c * CHUNK;
            let end = (start + CHUNK).min(file_len);
            if start < end {
                self.fill_holes(start, end)?;
            }
            // Only a chunk that ends within the file stays filled: the part of the last
            // chunk beyond the end would come back as a hole when the file grows.
            if start + CHUNK <= file_len {
                let i = c as usize;
                if state.filled.len() <= i {
                    state.filled.resize(i + 1, false);
                }
                state.filled[i] = true;
            }
        }
        Ok(())
    }
}

impl StorageBackend for FilledFileBackend {
    fn len(&self) -> IoResult<u64> {
        self.inner.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> IoResult<()> {
        self.inner.read(offset, out)
    }

    fn set_len(&self, len: u64) -> IoResult<()> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        // A shrink frees the blocks past the new end; a later growth brings them back as holes.
        let keep = (len / CHUNK) as usize;
        if state.filled.len() > keep {
            state.filled.truncate(keep);
        }
        self.inner.set_len(len)
    }

    fn sync_data(&self) -> IoResult<()> {
        self.inner.sync_data()
    }

    fn write(&self, offset: u64, data: &[u8]) -> IoResult<()> {
        self.prepare(offset, data.len() as u64)?;
        self.inner.write(offset, data)
    }

    fn close(&self) -> IoResult<()> {
        self.inner.close()
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_range(start, end)
    }

    fn try_lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.query_lock_range(start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::{Database, ReadableDatabase, ReadableTableMetadata, TableDefinition};
    use std::os::unix::fs::MetadataExt;

    const T: TableDefinition<u64, &[u8]> = TableDefinition::new("t");

    fn open(path: &std::path::Path) -> Database {
        let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(path).unwrap();
        Database::builder().set_cache_size(1 << 20).create_with_backend(FilledFileBackend::new(file).unwrap()).unwrap()
    }

    fn value(i: u64) -> Vec<u8> {
        (0..1500u64).map(|j| (i.wrapping_mul(31).wrapping_add(j) % 251) as u8).collect()
    }

    fn write(db: &Database, range: std::ops::Range<u64>) {
        for group in range.collect::<Vec<_>>().chunks(50) {
            let txn = db.begin_write().unwrap();
            {
                let mut t = txn.open_table(T).unwrap();
                for &i in group {
                    t.insert(i, value(i).as_slice()).unwrap();
                }
            }
            txn.commit().unwrap();
        }
    }

    fn check(db: &Database, n: u64) {
        let txn = db.begin_read().unwrap();
        let t = txn.open_table(T).unwrap();
        assert_eq!(t.len().unwrap(), n);
        for i in 0..n {
            assert_eq!(t.get(i).unwrap().unwrap().value(), value(i).as_slice(), "key {i}");
        }
    }

    /// The file as a crash would leave it: a copy taken while the database is open, after
    /// its last commit and without a clean shutdown (redb then has to recover it).
    fn crash_copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::copy(from, to).unwrap();
    }

    #[test]
    fn a_file_left_without_clean_shutdown_reopens_with_every_commit() {
        let dir = crate::test_dir("store-backend");
        let (path, crashed) = (dir.join("a.redb"), dir.join("crashed.redb"));
        let db = open(&path);
        // ~15 MB of values: the file grows several times and crosses chunks.
        write(&db, 0..10_000);
        // The file redb grew sparsely has been filled where redb wrote.
        let meta = std::fs::metadata(&path).unwrap();
        assert!(meta.blocks() * 512 >= 15_000_000, "{} blocks for {} bytes", meta.blocks(), meta.len());
        crash_copy(&path, &crashed);
        write(&db, 10_000..10_100);
        drop(db);

        // The crashed copy: recovered by redb, with every commit up to the copy.
        let db = open(&crashed);
        check(&db, 10_000);
        write(&db, 10_000..12_000);
        crash_copy(&crashed, &dir.join("crashed2.redb"));
        drop(db);
        let db = open(&dir.join("crashed2.redb"));
        check(&db, 12_000);
        drop(db);

        // The cleanly closed original.
        let db = open(&path);
        check(&db, 10_100);
        drop(db);
    }

    #[test]
    fn a_sparse_file_written_by_plain_redb_opens_and_grows() {
        let dir = crate::test_dir("store-backend");
        let path = dir.join("plain.redb");
        let db = Database::builder().set_cache_size(1 << 20).create(&path).unwrap();
        write(&db, 0..3_000);
        drop(db);
        let db = open(&path);
        check(&db, 3_000);
        write(&db, 3_000..9_000);
        crash_copy(&path, &dir.join("crashed.redb"));
        drop(db);
        let db = open(&dir.join("crashed.redb"));
        check(&db, 9_000);
        drop(db);
        let db = Database::builder().create(&path).unwrap();
        check(&db, 9_000);
        drop(db);
    }

    #[test]
    fn holes_are_filled_with_zeros_and_data_is_kept() {
        let dir = crate::test_dir("store-backend");
        let path = dir.join("raw");
        let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).unwrap();
        let b = FilledFileBackend::new(file).unwrap();
        b.set_len(3 * CHUNK + 4096).unwrap();
        b.write(CHUNK + 100, b"abc").unwrap();
        b.write(3 * CHUNK, b"tail").unwrap();
        b.set_len(4 * CHUNK).unwrap();
        b.write(3 * CHUNK + 8192, b"more").unwrap();
        b.sync_data().unwrap();
        assert_eq!(b.len().unwrap(), 4 * CHUNK);
        let mut out = vec![1u8; 4 * CHUNK as usize];
        b.read(0, &mut out).unwrap();
        let mut expected = vec![0u8; 4 * CHUNK as usize];
        expected[(CHUNK + 100) as usize..][..3].copy_from_slice(b"abc");
        expected[(3 * CHUNK) as usize..][..4].copy_from_slice(b"tail");
        expected[(3 * CHUNK + 8192) as usize..][..4].copy_from_slice(b"more");
        assert!(out == expected);
        // Chunks 1 and 3 were filled; chunk 0 and 2 were never written and stay sparse.
        let blocks = std::fs::metadata(&path).unwrap().blocks() * 512;
        assert!((2 * CHUNK..3 * CHUNK).contains(&blocks), "{blocks}");
        drop(b);
    }
}
