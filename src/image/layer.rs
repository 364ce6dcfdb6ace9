//! Streams one layer (gzip, zstd or plain tar, told apart by magic bytes) into steps for
//! the [`super::rootfs::Rootfs`], verifying the blob as it goes: one thread reads and
//! inflates, another verifies the tar stream and reads (buffers) each candidate file, and a
//! pool hashes and analyses them ([`super::in_order`]). Nothing is written to disk (except
//! files over 64 MiB, see crate::spill).

use std::io::{self, BufRead, BufReader, Read};

use super::digest::{Digest, VerifyingReader};
use super::in_order::Producer;

/// What a layer's bytes are checked against.
pub struct LayerCheck {
    /// The manifest's digest and size of the blob as stored (compressed).
    pub blob: Option<(Digest, u64)>,
    /// The config's `diff_id`: digest of the uncompressed tar (docker-archive, where the
    /// archive's layer files carry no manifest digest).
    pub diff_id: Option<Digest>,
}

pub fn stream(
    raw: &mut dyn Read,
    check: LayerCheck,
    what: &str,
    steps: Producer,
) -> anyhow::Result<()> {
    let (blob_digest, blob_size) = match check.blob {
        Some((d, s)) => (Some(d), Some(s)),
        None => (None, None),
    };
    let mut blob = Verifying::new(raw, what, blob_digest, blob_size);
    {
        let mut buffered = BufReader::with_capacity(256 << 10, &mut blob);
        let head = buffered
            .fill_buf()
            .map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
        let decoded: Box<dyn Read + '_> = if head.starts_with(&[0x1f, 0x8b]) {
            Box::new(flate2::bufread::MultiGzDecoder::new(buffered))
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Box::new(ZstdFrames::new(buffered))
        } else {
            Box::new(buffered)
        };
        pipelined(decoded, check.diff_id, what, steps)?;
    }
    blob.finish()
}

/// Chunks of the uncompressed tar in flight between the two threads (1 MiB each).
const CHUNKS_IN_FLIGHT: usize = 4;

/// A bounded pipeline: this thread reads and inflates the layer, a second one verifies the
/// tar stream and buffers the files, so decompression overlaps the reading of the tar.
/// At most [`CHUNKS_IN_FLIGHT`] chunks are buffered between them.
fn pipelined(
    mut decoded: Box<dyn Read + '_>,
    diff_id: Option<Digest>,
    what: &str,
    steps: Producer,
) -> anyhow::Result<()> {
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(CHUNKS_IN_FLIGHT);
        let worker = scope.spawn(move || -> anyhow::Result<()> {
            let mut tar_stream = Verifying::new(
                ChannelReader {
                    rx,
                    chunk: Vec::new(),
                    at: 0,
                },
                &format!("{what} (uncompressed)"),
                diff_id,
                None,
            );
            read_tar(&mut tar_stream, what, steps)?;
            tar_stream.finish()
        });
        loop {
            let mut chunk = vec![0u8; 1 << 20];
            let n = match decoded.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    break;
                }
            };
            if n == 0 {
                break;
            }
            chunk.truncate(n);
            // A closed channel: the worker stopped early (its error is returned below).
            if tx.send(Ok(chunk)).is_err() {
                break;
            }
        }
        drop(tx);
        worker
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("{what}: the layer reader panicked")))
    })
}

/// The receiving end of the pipeline as a reader; end of stream when the sender is done.
struct ChannelReader {
    rx: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        while self.at >= self.chunk.len() {
            match self.rx.recv() {
                Ok(Ok(chunk)) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn read_tar(stream: &mut dyn Read, what: &str, mut fs: Producer) -> anyhow::Result<()> {
    let mut archive = tar::Archive::new(stream);
    let entries = archive
        .entries()
        .map_err(|e| anyhow::anyhow!("{what}: not a tar stream: {e}"))?;
    // Binaries are analysed on a pool while the stream is read; steps apply in tar order.
    for entry in entries {
        let mut entry = entry.map_err(|e| anyhow::anyhow!("{what}: damaged tar stream: {e}"))?;
        let kind = entry.header().entry_type();
        let is_regular = kind.is_file() || kind == tar::EntryType::Continuous;
        // PAX extended names are applied by the tar crate; GNU long names too.
        let path = entry.path_bytes().into_owned();
        if kind == tar::EntryType::Link {
            if let Some(target) = entry.link_name_bytes() {
                fs.hard_link(&path, &target)
                    .map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
                continue;
            }
        }
        let link = (kind == tar::EntryType::Symlink)
            .then(|| entry.link_name_bytes().map(|l| l.into_owned()))
            .flatten();
        let Some(path) = fs
            .entry(&path, is_regular, link.as_deref())
            .map_err(|e| anyhow::anyhow!("{what}: {e}"))?
        else {
            continue;
        };
        let size = entry.size();
        fs.file(&path, size, &mut entry)
            .map_err(|e| anyhow::anyhow!("{what}: reading {path}: {e}"))?;
    }
    // Every step is sent: the filesystem side finishes the layer.
    drop(fs);
    // Drain the tar trailer so the verifier sees every byte.
    io::copy(&mut archive.into_inner(), &mut io::sink())
        .map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    Ok(())
}

/// A verifier when there is something to verify against, a pass-through otherwise.
enum Verifying<R: Read> {
    Checked(Box<VerifyingReader<R>>),
    Unchecked(R),
}

impl<R: Read> Verifying<R> {
    fn new(inner: R, what: &str, digest: Option<Digest>, size: Option<u64>) -> Self {
        match digest {
            Some(d) => Verifying::Checked(Box::new(VerifyingReader::new(
                inner,
                what.to_string(),
                d,
                size,
            ))),
            None => Verifying::Unchecked(inner),
        }
    }

    fn finish(self) -> anyhow::Result<()> {
        match self {
            Verifying::Checked(v) => v.finish(),
            Verifying::Unchecked(mut r) => {
                io::copy(&mut r, &mut io::sink())?;
                Ok(())
            }
        }
    }
}

impl<R: Read> Read for Verifying<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Verifying::Checked(v) => v.read(buf),
            Verifying::Unchecked(r) => r.read(buf),
        }
    }
}

/// zstd streams may hold several frames (zstd:chunked layers do); ruzstd's decoder reads
/// one, so start a new one while input remains.
struct ZstdFrames<R: BufRead> {
    input: Option<R>,
    decoder: Option<ruzstd::decoding::StreamingDecoder<R, ruzstd::decoding::FrameDecoder>>,
}

impl<R: BufRead> ZstdFrames<R> {
    fn new(input: R) -> Self {
        ZstdFrames {
            input: Some(input),
            decoder: None,
        }
    }
}

impl<R: BufRead> Read for ZstdFrames<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if let Some(mut d) = self.decoder.take() {
                // Keep the decoder on an error, so a later read does not look like a clean end.
                let n = match d.read(buf) {
                    Ok(n) => n,
                    Err(e) => {
                        self.decoder = Some(d);
                        return Err(e);
                    }
                };
                if n > 0 || buf.is_empty() {
                    self.decoder = Some(d);
                    return Ok(n);
                }
                // This frame is done; the next one (if any) starts in the remaining input.
                self.input = Some(d.into_inner());
            }
            let Some(mut input) = self.input.take() else {
                return Ok(0);
            };
            if input.fill_buf()?.is_empty() {
                return Ok(0);
            }
            let d = ruzstd::decoding::StreamingDecoder::new(input)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("zstd: {e}")))?;
            self.decoder = Some(d);
        }
    }
}
