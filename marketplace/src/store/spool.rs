//! The spool: ended calls kept on local disk while the database is away.
//!
//! An append-only file of JSON lines, one ended [`Cdr`] per line (its terms
//! included, so it can be rated later), fsync'd before [`Spool::append`]
//! returns. The file is bounded: when the next record would pass
//! `max_bytes`, `append` fails with [`SpoolError::Full`] rather than grow
//! without limit, and the switch must alert (and, by policy, stop taking
//! calls). [`Spool::replay`] sends the records to the store, each
//! idempotent by CDR id, and then drops only the records that committed.
//!
//! File I/O here is blocking and short (one write and one fsync per
//! record); call `append` from a blocking-friendly task.

use super::ledger::BillingError;
use super::Store;
use crate::billing::{Cdr, CdrId, RatingError};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// The spool's file format version, written in every record.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Record {
    v: u32,
    cdr: Cdr,
}

/// Errors from the spool.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// Reading or writing the file failed.
    #[error("spool file: {0}")]
    Io(#[from] io::Error),
    /// The record would take the file past its bound: it was not written.
    #[error("spool is full ({used} of {max} bytes; the record needs {needed})")]
    Full {
        /// Bytes in the file.
        used: u64,
        /// The bound.
        max: u64,
        /// The record's size.
        needed: u64,
    },
    /// Only ended calls are spooled.
    #[error("CDR {0} has not ended")]
    NotEnded(CdrId),
    /// The CDR's terms cannot be rated: spooling it would only fail later.
    #[error("cannot rate CDR: {0}")]
    Rating(#[from] RatingError),
    /// A line of the file is not a record (1-based line).
    #[error("spool line {line} is not a record: {detail}")]
    Corrupt {
        /// Which line.
        line: usize,
        /// What is wrong.
        detail: String,
    },
    /// The store refused or failed during a replay; records before it were
    /// committed and dropped from the file, this one and later ones remain.
    #[error("replay stopped: {0}")]
    Store(#[from] BillingError),
}

/// The spool's counters since it was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SpoolStats {
    /// Records appended.
    pub spooled: u64,
    /// Records replayed into the store (and dropped from the file).
    pub replayed: u64,
    /// Bytes in the file now.
    pub bytes: u64,
}

/// What one [`Spool::replay`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// Records written to the store now.
    pub rated: u64,
    /// Records the store already had (an earlier replay, or the call was
    /// closed before the database went away).
    pub already_closed: u64,
    /// Bytes left in the file.
    pub remaining_bytes: u64,
}

/// A bounded, durable local queue of ended calls.
#[derive(Debug)]
pub struct Spool {
    path: PathBuf,
    max_bytes: u64,
    /// The append handle and the file's length. A std mutex: held only for
    /// a write and an fsync, never across an `.await`.
    file: Mutex<(File, u64)>,
    /// One replay at a time: a replay drops a prefix of the file it read.
    replaying: tokio::sync::Mutex<()>,
    spooled: AtomicU64,
    replayed: AtomicU64,
}

impl Spool {
    /// Opens (creating) the spool file at `path`, bounded to `max_bytes`.
    /// A last line cut short by a crash mid-write was never acknowledged,
    /// so it is dropped.
    pub fn open(path: impl Into<PathBuf>, max_bytes: u64) -> Result<Spool, SpoolError> {
        let path = path.into();
        let file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)?;
        let content = std::fs::read(&path)?;
        let whole = content
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1) as u64;
        if whole != content.len() as u64 {
            file.set_len(whole)?;
            file.sync_all()?;
        }
        Ok(Spool {
            path,
            max_bytes,
            file: Mutex::new((file, whole)),
            replaying: tokio::sync::Mutex::new(()),
            spooled: AtomicU64::new(0),
            replayed: AtomicU64::new(0),
        })
    }

    /// Appends an ended call and fsyncs it: when this returns `Ok`, the
    /// record survives a crash.
    pub fn append(&self, cdr: &Cdr) -> Result<(), SpoolError> {
        if cdr.is_open() {
            return Err(SpoolError::NotEnded(cdr.id.clone()));
        }
        cdr.rate()?;
        let mut line = serde_json::to_vec(&Record {
            v: VERSION,
            cdr: cdr.clone(),
        })
        .map_err(io::Error::from)?;
        line.push(b'\n');
        let needed = line.len() as u64;
        let mut guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let (file, len) = &mut *guard;
        if *len + needed > self.max_bytes {
            return Err(SpoolError::Full {
                used: *len,
                max: self.max_bytes,
                needed,
            });
        }
        let written = file.write_all(&line).and_then(|()| file.sync_data());
        if let Err(e) = written {
            // Leave no half record behind: the caller was told it failed.
            let _ = file.set_len(*len);
            return Err(e.into());
        }
        *len += needed;
        self.spooled.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// The counters.
    pub fn stats(&self) -> SpoolStats {
        let bytes = self.file.lock().unwrap_or_else(|p| p.into_inner()).1;
        SpoolStats {
            spooled: self.spooled.load(Ordering::Relaxed),
            replayed: self.replayed.load(Ordering::Relaxed),
            bytes,
        }
    }

    /// Sends every record to `store` (`close_cdr`, idempotent by CDR id), in
    /// order, and drops from the file exactly the records that committed.
    /// Stops at the first failure; what is left is replayed next time.
    pub async fn replay(&self, store: &Store) -> Result<ReplayReport, SpoolError> {
        let _one = self.replaying.lock().await;
        let content = {
            let _guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
            std::fs::read(&self.path)?
        };
        let mut report = ReplayReport::default();
        let mut committed = 0usize;
        let mut failure = None;
        for (index, line) in content.split_inclusive(|b| *b == b'\n').enumerate() {
            if line.last() != Some(&b'\n') {
                break; // an append in progress when the file was read
            }
            let record: Record = match serde_json::from_slice(line) {
                Ok(r) => r,
                Err(e) => {
                    failure = Some(SpoolError::Corrupt {
                        line: index + 1,
                        detail: e.to_string(),
                    });
                    break;
                }
            };
            let outcome = match record.cdr.rate() {
                Ok(rating) => store
                    .close_cdr(&record.cdr, &rating)
                    .await
                    .map_err(SpoolError::from),
                Err(e) => Err(e.into()),
            };
            match outcome {
                Ok(super::Closed::Rated { .. }) => report.rated += 1,
                Ok(super::Closed::AlreadyClosed) => report.already_closed += 1,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
            committed += line.len();
        }
        report.remaining_bytes = self.drop_prefix(committed)?;
        self.replayed
            .fetch_add(report.rated + report.already_closed, Ordering::Relaxed);
        match failure {
            Some(e) => Err(e),
            None => Ok(report),
        }
    }

    /// Removes the first `bytes` of the file (whole records), keeping
    /// whatever was appended since; returns the new length. Written to a
    /// temporary file and renamed, so a crash leaves the old or the new file.
    fn drop_prefix(&self, bytes: usize) -> Result<u64, SpoolError> {
        let mut guard = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if bytes == 0 {
            return Ok(guard.1);
        }
        let content = std::fs::read(&self.path)?;
        let rest = content.get(bytes..).unwrap_or_default();
        let tmp = self.path.with_extension("tmp");
        {
            let mut out = File::create(&tmp)?;
            out.write_all(rest)?;
            out.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)?;
        sync_dir(&self.path)?;
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .open(&self.path)?;
        *guard = (file, rest.len() as u64);
        Ok(guard.1)
    }
}

/// Makes a rename durable: the directory entry is fsync'd too.
fn sync_dir(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => File::open(dir)?.sync_all(),
        _ => File::open(".")?.sync_all(),
    }
}
