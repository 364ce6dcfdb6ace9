//! A layer's tar stream turned into steps (entries, whiteouts, hard links, files) that are
//! applied to the [`Rootfs`] in tar order, while the files' hashing and analysis run on a
//! pool of workers: the result (and the layer cache's record) is the same as analysing one
//! file after the other.
//!
//! The [`Producer`] side runs on the layer's tar thread: it only reads (buffers) each
//! candidate file and hands it to the pool, which hashes it, claims its content
//! ([`super::content`]) and analyses it when it is the first file with that content. The
//! steps go, in order, through a bounded channel to [`commit`], which applies them on the
//! thread that owns the filesystem, waiting for each file's answer in turn. Several layers
//! may be produced at once ([`super::layers`]); their files share one bound on bytes in
//! flight ([`Budget`]). The channel holds at most [`MAX_QUEUED_STEPS`] steps per layer.
//!
//! Workers: a rayon pool of its own (the hashing of big files uses the global one, so a
//! busy analysis pool never delays the reader) of `ASSAY_LAYER_WORKERS` threads, else
//! sized like rayon's default (`RAYON_NUM_THREADS`, else one per core).
//! `ASSAY_LAYER_WORKERS=0` hashes and analyses each file on the tar thread and streams one
//! layer at a time: the sequential reference the tests compare the pool with.

use std::io::Read;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, OnceLock};

use super::content::{self, Claim, Claims, Work};
use super::in_flight::Budget;
use super::rootfs::{read_file, readable_path, FileResult, FileStep, Rootfs};

/// Bytes of files read but not yet applied, over every layer streaming at once (one file
/// of the layer being applied may exceed it alone; see [`Budget`]).
pub const MAX_BYTES_IN_FLIGHT: u64 = 128 << 20;
/// Steps (entries, links, files) of one layer waiting to be applied.
const MAX_QUEUED_STEPS: usize = 8192;

/// A worker's answer: the file's SHA-256 and, when it was the first with that content,
/// its analysis.
type Analysed = Result<(String, Option<FileResult>), String>;

pub enum Step {
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
        /// The digest and analysis on their way (`None`: not a binary).
        job: Option<Receiver<Analysed>>,
        /// Bytes counted in the [`Budget`] (`None`: nothing was buffered).
        bytes: Option<u64>,
    },
}

/// The analysis pool; `None`: analyse on the tar thread.
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

/// Whether files are analysed on a pool (else one layer at a time, on the tar thread).
pub fn concurrent() -> bool {
    pool().is_some()
}

/// The bound on files in flight for this process: eight per worker (enough for the layers
/// read ahead to keep the workers busy while the one being applied waits for a big file;
/// the bytes are bounded separately).
pub fn budget() -> Budget {
    let workers = pool().map_or(1, |p| p.current_num_threads()).max(1);
    Budget::new(MAX_BYTES_IN_FLIGHT, 8 * workers)
}

/// The channel between one layer's [`Producer`] and [`commit`].
pub fn channel() -> (SyncSender<Step>, Receiver<Step>) {
    sync_channel(MAX_QUEUED_STEPS)
}

/// Turns one layer's tar entries into steps (runs on the layer's tar thread).
pub struct Producer {
    tx: SyncSender<Step>,
    budget: Arc<Budget>,
    claims: Arc<Claims>,
    layer: usize,
    name_prefix: String,
    /// Binaries of this layer sent so far (their place in tar order).
    sent: u64,
}

impl Producer {
    pub fn new(tx: SyncSender<Step>, budget: Arc<Budget>, rootfs: &Rootfs, layer: usize) -> Self {
        Producer {
            tx,
            budget,
            claims: rootfs.claims(),
            layer,
            name_prefix: rootfs.name_prefix().to_string(),
            sent: 0,
        }
    }

    fn send(&self, step: Step) -> anyhow::Result<()> {
        // A closed channel: the filesystem side stopped (its error is the one reported).
        self.tx
            .send(step)
            .map_err(|_| anyhow::anyhow!("the scan stopped"))
    }

    /// A tar entry's path (and symlink target): returns the path of a regular file to read
    /// next with [`Producer::file`], as [`Rootfs::entry`] would.
    pub fn entry(
        &mut self,
        raw: &[u8],
        regular: bool,
        link: Option<&[u8]>,
    ) -> anyhow::Result<Option<String>> {
        let path = readable_path(raw, regular);
        self.send(Step::Entry {
            raw: raw.to_vec(),
            regular,
            link: link.map(<[u8]>::to_vec),
        })?;
        Ok(path)
    }

    pub fn hard_link(&mut self, path: &[u8], target: &[u8]) -> anyhow::Result<()> {
        self.send(Step::HardLink {
            path: path.to_vec(),
            target: target.to_vec(),
        })
    }

    /// Reads a regular file (at a path [`Producer::entry`] returned) within the budget
    /// and, when it is a binary, sends it to the pool (to be hashed, and analysed if its
    /// content is new).
    pub fn file(&mut self, path: &str, size: u64, reader: &mut dyn Read) -> anyhow::Result<()> {
        let (budget, layer) = (&self.budget, self.layer);
        let mut bytes = None;
        let (step, candidate) = read_file(path, size, reader, &mut |n| {
            budget.acquire(layer, n)?;
            bytes = Some(n);
            Ok(())
        })?;
        let job = candidate.map(|c| self.analyse(path, c));
        self.send(Step::File { step, job, bytes })
    }

    fn analyse(
        &mut self,
        path: &str,
        mut candidate: super::rootfs::Candidate,
    ) -> Receiver<Analysed> {
        let (tx, rx) = sync_channel(1);
        let (path, layer) = (path.to_string(), self.layer);
        let name = format!("{}./{path}", self.name_prefix);
        let (claims, seq) = (self.claims.clone(), content::seq(layer, self.sent));
        self.sent += 1;
        let work = move || {
            let hashed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                candidate.checksums().sha256.clone()
            }));
            let Ok(sha256) = hashed else {
                let _ = tx.send(Err(format!("reading {path}: hashing panicked")));
                return;
            };
            let decided = claims.claim(&sha256, seq, layer);
            let digest = sha256.clone();
            // `analyse == false`: an earlier file has this content (applied as a copy).
            let answer = move |analyse: bool| {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let analysis = analyse
                        .then(|| candidate.analyse(&path, name, layer))
                        .flatten();
                    (sha256, analysis)
                }))
                .map_err(|_| format!("reading {path}: the analysis panicked"));
                let _ = tx.send(result);
            };
            match decided {
                Claim::Analyse => answer(true),
                Claim::Copy => answer(false),
                Claim::Park => {
                    let holder = claims.clone();
                    let later: Work = Box::new(move || answer(holder.holds(&digest, seq)));
                    if let Some(now) = claims.park(layer, later) {
                        now();
                    }
                }
            }
        };
        run(Box::new(work));
        rx
    }
}

/// Runs a file's work on the pool, or here when there is none.
fn run(work: Work) {
    match pool() {
        Some(pool) => pool.spawn(work),
        // No pool (asked for, or threads could not be started): on this thread.
        None => work(),
    }
}

/// `layer` is now the one being applied: the analyses parked for it start.
pub fn advance(rootfs: &Rootfs, layer: usize) {
    for work in rootfs.claims().advance(layer) {
        run(work);
    }
}

/// Applies one layer's steps to the filesystem in order until its producer is done (the
/// channel closes), waiting for each file's hash and analysis. On an error the budget is
/// cancelled, so no producer keeps waiting for room.
pub fn commit(
    rx: Receiver<Step>,
    rootfs: &mut Rootfs,
    budget: &Budget,
    layer: usize,
) -> anyhow::Result<()> {
    let applied = apply_all(rx, rootfs, budget, layer);
    if applied.is_err() {
        budget.cancel();
    }
    applied
}

fn apply_all(
    rx: Receiver<Step>,
    rootfs: &mut Rootfs,
    budget: &Budget,
    layer: usize,
) -> anyhow::Result<()> {
    for step in rx {
        match step {
            Step::Entry { raw, regular, link } => {
                rootfs.entry(&raw, regular, link.as_deref());
            }
            Step::HardLink { path, target } => rootfs.hard_link(&path, &target),
            Step::File { step, job, bytes } => {
                let hashed = match job {
                    Some(answer) => Some(
                        answer
                            .recv()
                            .map_err(|_| {
                                anyhow::anyhow!("an analysis worker stopped without an answer")
                            })?
                            .map_err(anyhow::Error::msg)?,
                    ),
                    None => None,
                };
                if let Some(bytes) = bytes {
                    budget.release(layer, bytes);
                }
                // The first file with a content is applied before later ones (tar order),
                // so a file that skipped its analysis finds the earlier one's and never
                // calls `fresh`.
                match hashed {
                    Some((sha256, analysis)) => {
                        rootfs.apply_file(step.hashed(sha256), move || analysis)
                    }
                    None => rootfs.apply_file(step, || None),
                }
            }
        }
    }
    Ok(())
}
