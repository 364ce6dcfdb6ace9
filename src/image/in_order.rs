//! Analyses a layer's binaries on a pool of workers while the tar stream keeps being read,
//! and applies every step to the [`Rootfs`] in tar order, so the result (and the layer
//! cache's record) is the same as analysing one file after the other.
//!
//! The tar reader reads (buffers and hashes) each candidate file and hands it to the pool;
//! entries, whiteouts, hard links and files then wait in a queue until every earlier step
//! is applied. Bounds: analysed-but-unapplied files hold at most [`MAX_BYTES_IN_FLIGHT`]
//! (heap or mapped; one file alone may exceed it, it is then the only one) and at most two
//! per worker; the queue holds at most [`MAX_QUEUED_STEPS`] steps. A content (SHA-256)
//! already examined in this scan, or already on its way, is not sent again: it is applied
//! as a copy of the earlier one, as when streaming.
//!
//! Workers: a rayon pool of its own (the hashing of big files uses the global one, so a
//! busy analysis pool never delays the reader) of `ASSAY_LAYER_WORKERS` threads, else
//! sized like rayon's default (`RAYON_NUM_THREADS`, else one per core).
//! `ASSAY_LAYER_WORKERS=0` analyses each file on the reader thread before the next one is
//! read: the sequential reference the tests compare the pool with.

use std::collections::{HashSet, VecDeque};
use std::io::Read;
use std::sync::mpsc::{sync_channel, Receiver, TryRecvError};
use std::sync::OnceLock;

use super::rootfs::{read_file, readable_path, FileResult, FileStep, Rootfs};

/// Bytes of files read but not yet applied (beyond the one being read).
pub const MAX_BYTES_IN_FLIGHT: u64 = 128 << 20;
/// Steps (entries, links, files) waiting behind an unfinished analysis.
const MAX_QUEUED_STEPS: usize = 8192;

type Analysed = Result<Option<FileResult>, String>;

enum Step {
    Entry {
        raw: Vec<u8>,
        regular: bool,
        link: Option<Vec<u8>>,
    },
    HardLink {
        path: Vec<u8>,
        target: Vec<u8>,
    },
    File {
        step: FileStep,
        /// The analysis on its way (`None`: content examined earlier, or not a binary).
        job: Option<Receiver<Analysed>>,
        /// Bytes counted against [`MAX_BYTES_IN_FLIGHT`].
        bytes: u64,
    },
}

/// The analysis pool; `None`: analyse on the reader thread.
fn pool() -> Option<&'static rayon::ThreadPool> {
    static POOL: OnceLock<Option<rayon::ThreadPool>> = OnceLock::new();
    POOL.get_or_init(|| {
        let workers = std::env::var("ASSAY_LAYER_WORKERS")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok());
        if workers == Some(0) {
            return None;
        }
        rayon::ThreadPoolBuilder::new()
            // 0: rayon's default.
            .num_threads(workers.unwrap_or(0).min(256))
            .thread_name(|i| format!("assay-layer-analysis-{i}"))
            .build()
            .ok()
    })
    .as_ref()
}

/// The steps of one layer, applied to the filesystem in order.
pub struct InOrder<'a> {
    rootfs: &'a mut Rootfs,
    queue: VecDeque<Step>,
    bytes_in_flight: u64,
    jobs_in_flight: usize,
    max_jobs: usize,
    /// Contents sent for analysis and not yet applied.
    on_the_way: HashSet<String>,
}

impl<'a> InOrder<'a> {
    pub fn new(rootfs: &'a mut Rootfs) -> InOrder<'a> {
        let workers = pool().map_or(1, |p| p.current_num_threads()).max(1);
        InOrder {
            rootfs,
            queue: VecDeque::new(),
            bytes_in_flight: 0,
            jobs_in_flight: 0,
            max_jobs: 2 * workers,
            on_the_way: HashSet::new(),
        }
    }

    /// A tar entry's path (and symlink target): returns the path of a regular file to read
    /// next with [`InOrder::file`], as [`Rootfs::entry`] would.
    pub fn entry(
        &mut self,
        raw: &[u8],
        regular: bool,
        link: Option<&[u8]>,
    ) -> anyhow::Result<Option<String>> {
        let path = readable_path(raw, regular);
        if self.queue.is_empty() {
            // Nothing waiting: applied at once (the common case costs no queueing).
            self.rootfs.entry(raw, regular, link);
        } else {
            self.push(Step::Entry {
                raw: raw.to_vec(),
                regular,
                link: link.map(<[u8]>::to_vec),
            })?;
        }
        Ok(path)
    }

    pub fn hard_link(&mut self, path: &[u8], target: &[u8]) -> anyhow::Result<()> {
        if self.queue.is_empty() {
            self.rootfs.hard_link(path, target);
            Ok(())
        } else {
            self.push(Step::HardLink {
                path: path.to_vec(),
                target: target.to_vec(),
            })
        }
    }

    /// Reads a regular file (at a path [`InOrder::entry`] returned) and, when it is a binary
    /// with new content, sends it to the pool.
    pub fn file(&mut self, path: &str, size: u64, reader: &mut dyn Read) -> anyhow::Result<()> {
        let (step, candidate) = read_file(path, size, reader)?;
        let mut bytes = match &step {
            FileStep::Text { data, .. } => data.len() as u64,
            _ => 0,
        };
        let mut job = None;
        if let (FileStep::Binary { sha256, .. }, Some(candidate)) = (&step, candidate) {
            let known = self.rootfs.knows_content(sha256) || self.on_the_way.contains(sha256);
            if !known {
                bytes = candidate.bytes();
                self.make_room(bytes)?;
                self.on_the_way.insert(sha256.clone());
                job = Some(self.send(path, candidate));
            }
        } else if bytes > 0 {
            self.make_room(bytes)?;
        }
        if job.is_none() && self.queue.is_empty() {
            // Nothing to wait for: applied at once.
            self.rootfs.apply_file(step, || None);
            return Ok(());
        }
        self.bytes_in_flight += bytes;
        self.push(Step::File { step, job, bytes })?;
        self.apply_ready(false)
    }

    /// Applies everything still queued (the end of the layer).
    pub fn finish(mut self) -> anyhow::Result<()> {
        self.apply_ready(true)?;
        self.on_the_way.clear();
        Ok(())
    }

    fn send(&mut self, path: &str, candidate: super::rootfs::Candidate) -> Receiver<Analysed> {
        let (tx, rx) = sync_channel(1);
        let (path, name, layer) = (
            path.to_string(),
            self.rootfs.display_name(path),
            self.rootfs.layer(),
        );
        let work = move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                candidate.analyse(&path, name, layer)
            }))
            .map_err(|_| format!("reading {path}: the analysis panicked"));
            let _ = tx.send(result);
        };
        match pool() {
            Some(pool) => pool.spawn(work),
            // No pool (asked for, or threads could not be started): analysed here.
            None => work(),
        }
        self.jobs_in_flight += 1;
        rx
    }

    /// Waits for (and applies) the oldest steps until a file of `bytes` fits the bounds.
    fn make_room(&mut self, bytes: u64) -> anyhow::Result<()> {
        while self.jobs_in_flight > 0
            && (self.jobs_in_flight >= self.max_jobs
                || self.bytes_in_flight + bytes > MAX_BYTES_IN_FLIGHT)
        {
            self.apply_front(true)?;
        }
        Ok(())
    }

    /// Queues a step; a full queue is first drained to half its bound, waiting as needed.
    fn push(&mut self, step: Step) -> anyhow::Result<()> {
        if self.queue.len() >= MAX_QUEUED_STEPS {
            while self.queue.len() > MAX_QUEUED_STEPS / 2 {
                self.apply_front(true)?;
            }
        }
        self.queue.push_back(step);
        Ok(())
    }

    /// Applies queued steps from the front: those ready, or all of them when `wait`.
    fn apply_ready(&mut self, wait: bool) -> anyhow::Result<()> {
        while self.apply_front(wait)? {}
        Ok(())
    }

    /// Applies the oldest step; `false` when its analysis is not done and `wait` is false.
    fn apply_front(&mut self, wait: bool) -> anyhow::Result<bool> {
        let Some(front) = self.queue.front_mut() else {
            return Ok(false);
        };
        let analysed = match front {
            Step::File { job: Some(rx), .. } => {
                let got = if wait {
                    rx.recv().map_err(|_| TryRecvError::Disconnected)
                } else {
                    rx.try_recv()
                };
                match got {
                    Ok(result) => Some(result.map_err(anyhow::Error::msg)?),
                    Err(TryRecvError::Empty) => return Ok(false),
                    Err(TryRecvError::Disconnected) => {
                        anyhow::bail!("an analysis worker stopped without an answer")
                    }
                }
            }
            _ => None,
        };
        let Some(step) = self.queue.pop_front() else {
            return Ok(false);
        };
        match step {
            Step::Entry { raw, regular, link } => {
                self.rootfs.entry(&raw, regular, link.as_deref());
            }
            Step::HardLink { path, target } => self.rootfs.hard_link(&path, &target),
            Step::File { step, job, bytes } => {
                self.bytes_in_flight -= bytes;
                if job.is_some() {
                    self.jobs_in_flight -= 1;
                }
                // A content sent earlier is in `by_content` by now, so only a job's own
                // step calls `fresh`.
                self.rootfs.apply_file(step, move || analysed.flatten());
            }
        }
        Ok(true)
    }
}
