//! UPX-packed executables: detection (ELF, PE, Mach-O) and in-memory unpacking of ELF and
//! Mach-O files (NRV2B/NRV2D/NRV2E in their 8/16/32-bit forms, and LZMA; the x86 call/jump
//! filters), so every cataloger sees the program that was packed; for PE, the section image.
//!
//! Packed ELF layout (UPX 3/4): after the loader's program headers, `l_info` (checksum,
//! `UPX!`, loader size, version, format) and `p_info` (original file size, block size),
//! then blocks, each a `b_info` (uncompressed size, compressed size, method, filter id,
//! filter parameter, unused) followed by its bytes. The first block is the original ELF
//! header and program headers; the next ones fill the original `PT_LOAD` segments in
//! order; the bytes after the last segment follow the loader as one more block.
//!
//! Layer: input. Uses only [`crate::spill`] (bounded buffers, releasing pages behind the
//! decoder); bytes in, bytes out.

pub mod budget;
pub mod filter;
pub mod nrv;

use memchr::memmem;

/// Unpacked sizes beyond this are refused (a real program is far smaller; a header
/// claiming more is a decompression bomb or corrupt).
pub const MAX_UNPACKED: u64 = 512 << 20;
/// No real packed file expands more than this; more is a bomb.
pub const MAX_RATIO: u64 = 64;

/// What a packed file says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packed {
    /// `ELF`, `PE`, `Mach-O`.
    pub format: &'static str,
    /// UPX version from the `$Id: UPX x.yz` string, if present.
    pub upx_version: Option<String>,
    /// Compression method of the first block (`NRV2B_LE32`, `LZMA`, …).
    pub method: Option<&'static str>,
}

/// The compression methods by UPX's numbering.
fn method_name(m: u8) -> Option<&'static str> {
    Some(match m {
        2 => "NRV2B_LE32",
        3 => "NRV2B_8",
        4 => "NRV2B_LE16",
        5 => "NRV2D_LE32",
        6 => "NRV2D_8",
        7 => "NRV2D_LE16",
        8 => "NRV2E_LE32",
        9 => "NRV2E_8",
        10 => "NRV2E_LE16",
        14 => "LZMA",
        _ => return None,
    })
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        d.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// Detects a UPX-packed file: the `UPX!` magic near the start (ELF: after the program
/// headers; PE: in the first section header area; Mach-O: after the load commands) and
/// UPX's identification strings.
pub fn detect(data: &[u8]) -> Option<Packed> {
    let format = match data.get(..4)? {
        [0x7f, b'E', b'L', b'F'] => "ELF",
        [b'M', b'Z', ..] => "PE",
        [0xcf, 0xfa, 0xed, 0xfe] | [0xce, 0xfa, 0xed, 0xfe] => "Mach-O",
        _ => return None,
    };
    let head = &data[..data.len().min(4096)];
    let magic = memmem::find(head, b"UPX!")?;
    // ELF: `l_info` sits right after the program headers (holds in a truncated file too).
    let elf_l_info = format == "ELF" && {
        let (phoff, phnum, phentsize) = if data.get(4) == Some(&2) {
            (
                u64::from_le_bytes(data.get(32..40)?.try_into().ok()?),
                u16::from_le_bytes(data.get(56..58)?.try_into().ok()?),
                u16::from_le_bytes(data.get(54..56)?.try_into().ok()?),
            )
        } else {
            (
                u64::from(u32_at(data, 28)?),
                u16::from_le_bytes(data.get(44..46)?.try_into().ok()?),
                u16::from_le_bytes(data.get(42..44)?.try_into().ok()?),
            )
        };
        phoff + u64::from(phnum) * u64::from(phentsize) + 4 == magic as u64
    };
    let has_info = elf_l_info
        || memmem::find(data, b"This file is packed with the UPX").is_some()
        || memmem::find(data, b"$Id: UPX").is_some()
        || format == "PE" && memmem::find(head, b"UPX0").is_some();
    if !has_info {
        return None;
    }
    let upx_version = memmem::find(data, b"$Id: UPX ").map(|at| {
        String::from_utf8_lossy(
            &data[at + 9..]
                .iter()
                .take(16)
                .take_while(|b| b.is_ascii_digit() || **b == b'.')
                .copied()
                .collect::<Vec<u8>>(),
        )
        .into_owned()
    });
    // ELF: l_info at magic-4, p_info then the first b_info; its method byte at +28.
    // PE: the pack header at the magic has the method at +6, the version string before it.
    let method = match format {
        "ELF" | "Mach-O" => data.get(magic + 28).copied().and_then(method_name),
        "PE" => data.get(magic + 6).copied().and_then(method_name),
        _ => None,
    };
    let upx_version = upx_version.or_else(|| {
        let before = &data[magic.saturating_sub(16)..magic];
        let text = before.strip_suffix(b"\0")?;
        let start = text
            .iter()
            .rposition(|b| !(b.is_ascii_digit() || *b == b'.'))
            .map_or(0, |i| i + 1);
        let v = &text[start..];
        (format == "PE" && v.contains(&b'.')).then(|| String::from_utf8_lossy(v).into_owned())
    });
    Some(Packed {
        format,
        upx_version,
        method,
    })
}

struct Block<'a> {
    unpacked: usize,
    compressed: &'a [u8],
    method: u8,
    filter: u8,
    filter_param: u8,
}

fn block_at(data: &[u8], at: usize) -> Result<Option<(Block<'_>, usize)>, String> {
    let unpacked = u32_at(data, at).ok_or("block header past the end")? as usize;
    if unpacked == 0 {
        return Ok(None);
    }
    let packed = u32_at(data, at + 4).ok_or("block header past the end")? as usize;
    let h = data
        .get(at + 8..at + 12)
        .ok_or("block header past the end")?;
    let start = at + 12;
    let compressed = data
        .get(start..start.checked_add(packed).ok_or("block size overflows")?)
        .ok_or("block data past the end of the file")?;
    if packed > unpacked {
        return Err(format!(
            "block claims {packed} compressed bytes for {unpacked}"
        ));
    }
    Ok(Some((
        Block {
            unpacked,
            compressed,
            method: h[0],
            filter: h[1],
            filter_param: h[2],
        },
        start + packed,
    )))
}

fn decompress(b: &Block<'_>) -> Result<Vec<u8>, String> {
    let mut out = vec![0u8; b.unpacked];
    decompress_into(b, &mut out)?;
    Ok(out)
}

/// Decompresses a block into `out` (exactly its unpacked size) and undoes its filter.
/// Every method writes in place: no block-sized buffer beside the output.
///
/// Pages that are done with leave the resident set when they lie in a mapped file
/// ([`crate::spill::release`]; a no-op on the heap): the output written so far when `out`
/// is a spilled buffer (the bytes stay in its file), and the compressed input consumed so
/// far when the packed file is mapped (the scan's map of it).
fn decompress_into(b: &Block<'_>, out: &mut [u8]) -> Result<(), String> {
    if out.len() != b.unpacked {
        return Err("block does not fit its destination".into());
    }
    if b.compressed.len() == b.unpacked {
        // Stored (UPX keeps already-compressed data as it is: Go's DWARF, a third of a big
        // program). Copied a step at a time so the mapped input and a spilled output do not
        // both become resident at once.
        for (dst, src) in out
            .chunks_mut(LZMA_STEP)
            .zip(b.compressed.chunks(LZMA_STEP))
        {
            dst.copy_from_slice(src);
            crate::spill::release(dst);
            crate::spill::release(src);
        }
    } else {
        let nrv = |v, width, out: &mut [u8]| nrv_into(v, width, b, out);
        match b.method {
            2 => nrv(nrv::Variant::B, 32, out),
            3 => nrv(nrv::Variant::B, 8, out),
            4 => nrv(nrv::Variant::B, 16, out),
            5 => nrv(nrv::Variant::D, 32, out),
            6 => nrv(nrv::Variant::D, 8, out),
            7 => nrv(nrv::Variant::D, 16, out),
            8 => nrv(nrv::Variant::E, 32, out),
            9 => nrv(nrv::Variant::E, 8, out),
            10 => nrv(nrv::Variant::E, 16, out),
            14 => lzma_into(b.compressed, out),
            m => Err(format!("unsupported UPX compression method {m}")),
        }?;
    }
    crate::spill::release(b.compressed);
    filter::unfilter(b.filter, b.filter_param, out)
}

/// An NRV block, decoded in place.
fn nrv_into(v: nrv::Variant, width: u32, b: &Block<'_>, out: &mut [u8]) -> Result<(), String> {
    nrv::decompress_into(v, width, b.compressed, out)
}

/// UPX's LZMA blocks: two bytes of properties (`lc<<3 | pb`, `lp<<4 | lc`), then the raw
/// range-coded LZMA1 stream, decoded by liblzma's raw decoder straight into `out`
/// (measured several times faster than the pure-Rust lzma-rs, see docs/performance.md).
fn lzma_into(src: &[u8], out: &mut [u8]) -> Result<(), String> {
    let (p0, p1) = (
        *src.first().ok_or("empty LZMA block")?,
        *src.get(1).ok_or("short LZMA block")?,
    );
    let (pb, lc, lp) = (u32::from(p0 & 7), u32::from(p1 & 15), u32::from(p1 >> 4));
    if pb > 4 || lp > 4 || lc > 8 {
        return Err("bad LZMA properties".into());
    }
    // liblzma keeps its own dictionary beside the output. UPX's encoder uses a few MiB, so
    // try a bounded one first: a reference beyond it is a data error in liblzma (never a
    // silent wrong byte), and then the block is decoded again with a dictionary as large
    // as the block.
    let whole = u32::try_from(out.len()).unwrap_or(u32::MAX).max(4096);
    let bounded = whole.min(LZMA_FIRST_DICT);
    match lzma_raw(&src[2..], out, (lc, lp, pb), bounded) {
        Err(_) if bounded < whole => lzma_raw(&src[2..], out, (lc, lp, pb), whole),
        r => r,
    }
}

/// The dictionary tried first for an LZMA block: UPX 4's encoder used at most 4 MiB on the
/// 126 MB program measured (docs/performance.md); each decoding thread holds one.
const LZMA_FIRST_DICT: u32 = 8 << 20;
/// Output handed to liblzma per call; a spilled output's pages and a mapped input's pages
/// are released behind it in steps of this size.
const LZMA_STEP: usize = 8 << 20;

fn lzma_raw(
    input: &[u8],
    out: &mut [u8],
    (lc, lp, pb): (u32, u32, u32),
    dict: u32,
) -> Result<(), String> {
    let lzma_err = |e: xz2::stream::Error| format!("LZMA: {e}");
    // liblzma's `.lzma` (LZMA_Alone) decoder, fed a rebuilt 13-byte header (properties,
    // dictionary size, unpacked size) before the raw stream: it stops at that size.
    let mut header = Vec::with_capacity(13);
    header.push(((pb * 5 + lp) * 9 + lc) as u8);
    header.extend_from_slice(&dict.to_le_bytes());
    header.extend_from_slice(&(out.len() as u64).to_le_bytes());
    let mut stream = xz2::stream::Stream::new_lzma_decoder(u64::MAX).map_err(lzma_err)?;
    // The decoder reads the header, then the stream: one virtual input, fed in two slices.
    // liblzma reads back from its own dictionary, never from `out`, and never reads input
    // twice, so written output and consumed input can leave the resident set.
    let (mut released, mut released_in) = (0, 0);
    loop {
        let (read, written) = (stream.total_in() as usize, stream.total_out() as usize);
        if written - released >= LZMA_STEP {
            crate::spill::release(&out[released..written]);
            released = written;
        }
        let consumed = read.saturating_sub(header.len()).min(input.len());
        if consumed - released_in >= LZMA_STEP {
            crate::spill::release(&input[released_in..consumed]);
            released_in = consumed;
        }
        if written == out.len() {
            crate::spill::release(&out[released..]);
            return Ok(());
        }
        let next_in = match read.checked_sub(header.len()) {
            None => &header[read..],
            Some(at) => input.get(at..).unwrap_or(&[]),
        };
        let step = out.len().min(written + LZMA_STEP);
        let status = stream
            .process(next_in, &mut out[written..step], xz2::stream::Action::Run)
            .map_err(lzma_err)?;
        let progressed =
            stream.total_in() as usize != read || stream.total_out() as usize != written;
        if matches!(status, xz2::stream::Status::StreamEnd) || !progressed {
            let got = stream.total_out() as usize;
            if got != out.len() {
                return Err(format!(
                    "LZMA decompressed to {got} bytes, {} declared",
                    out.len()
                ));
            }
            return Ok(());
        }
    }
}

/// An unpacked program: on the heap, or in a mapped temporary file when large, holding
/// its share of the process-wide [`budget`] until dropped.
#[derive(Debug)]
pub struct Unpacked {
    bytes: crate::spill::Buffer,
    _permit: budget::Permit,
}

impl std::ops::Deref for Unpacked {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

impl Unpacked {
    /// Held in a mapped temporary file rather than on the heap.
    pub fn is_spilled(&self) -> bool {
        self.bytes.is_mapped()
    }
}

/// Unpacks a UPX-packed ELF into the original file's bytes.
pub fn unpack_elf(data: &[u8]) -> Result<Unpacked, String> {
    unpack_segments(data, Kind::Elf)
}

/// Unpacks a UPX-packed Mach-O (same block layout as ELF: the first block is the original
/// header and load commands, then one extent per segment).
pub fn unpack_macho(data: &[u8]) -> Result<Unpacked, String> {
    unpack_segments(data, Kind::MachO)
}

#[derive(Clone, Copy)]
enum Kind {
    Elf,
    MachO,
}

fn unpack_segments(data: &[u8], kind: Kind) -> Result<Unpacked, String> {
    let head = &data[..data.len().min(4096)];
    let magic = memmem::find(head, b"UPX!").ok_or("no UPX! header")?;
    let p_info = magic + 8;
    let file_size = u64::from(u32_at(data, p_info + 4).ok_or("truncated p_info")?);
    let limit = MAX_UNPACKED.min((data.len() as u64).saturating_mul(MAX_RATIO));
    if file_size > limit {
        return Err(format!(
            "refused: claims to unpack to {file_size} bytes (limit {limit})"
        ));
    }
    let permit = budget::acquire(budget::charge(file_size, crate::spill::IN_MEMORY_LIMIT));
    let mut out = crate::spill::Buffer::zeroed(file_size)
        .map_err(|e| format!("no room for the unpacked program: {e}"))?;
    let file_size = file_size as usize;

    // First block: the original ELF header and program headers.
    let mut at = p_info + 12;
    let (first, next) = block_at(data, at)?.ok_or("no blocks")?;
    at = next;
    let ehdr = decompress(&first)?;
    let loads = match kind {
        Kind::Elf if ehdr.get(..4) == Some(b"\x7fELF") => load_extents(&ehdr)?,
        Kind::MachO => macho_extents(&ehdr)?,
        Kind::Elf => return Err("first block is not an ELF header".into()),
    };
    out.get_mut(..ehdr.len())
        .ok_or("ELF header larger than the file")?
        .copy_from_slice(&ehdr);
    let mut cursor = ehdr.len();

    let mut pending: Vec<u8> = Vec::new();
    // Blocks that lie inside one segment are independent: decoded in place, in parallel.
    let mut in_place: Vec<(Block<'_>, usize)> = Vec::new();
    for (offset, size) in loads {
        let end = offset.checked_add(size).ok_or("segment overflows")?;
        if end > file_size {
            return Err("segment past the end of the original file".into());
        }
        let mut pos = offset.max(cursor);
        while pos < end {
            if pending.is_empty() {
                let (b, next) = block_at(data, at)?.ok_or("blocks end before the segments do")?;
                at = next;
                if b.unpacked <= end - pos {
                    // The usual case: the block lies inside the segment.
                    let unpacked = b.unpacked;
                    in_place.push((b, pos));
                    pos += unpacked;
                    continue;
                }
                pending = decompress(&b)?;
            }
            let n = pending.len().min(end - pos);
            out[pos..pos + n].copy_from_slice(&pending[..n]);
            pending.drain(..n);
            pos += n;
        }
        cursor = cursor.max(end);
    }
    // The bytes after the last segment (non-loaded sections, section headers) are one
    // more block, stored after the loader: found by its exact size. In a big program it is
    // as large as a segment (symbols, DWARF), so it is decoded in place with the others.
    let tail = if cursor < file_size {
        let want = u32::try_from(file_size - cursor)
            .map_err(|_| "the bytes after the last segment exceed a block")?;
        let candidates = tail_candidates(data, at, want);
        let first = *candidates
            .first()
            .ok_or("the block holding the bytes after the last segment was not found")?;
        let (b, _) = block_at(data, first)?.ok_or("tail block vanished")?;
        in_place.push((b, cursor));
        Some(candidates)
    } else {
        None
    };
    let tail_job = tail.as_ref().map(|_| in_place.len() - 1);
    let failed = decode_in_parallel(&mut out, in_place)?;
    if let Some((_, e)) = failed.iter().find(|(job, _)| Some(*job) != tail_job) {
        return Err(e.clone());
    }
    if let (Some(candidates), true) = (&tail, !failed.is_empty()) {
        // The first block of the right size did not decode: the next ones, in order.
        let found = candidates[1..].iter().any(|&c| {
            matches!(block_at(data, c), Ok(Some((b, _))) if decompress_into(&b, &mut out[cursor..]).is_ok())
        });
        if !found {
            return Err("the block holding the bytes after the last segment was not found".into());
        }
    }
    // The catalogers fault in only what they read.
    out.release_pages();
    Ok(Unpacked {
        bytes: out,
        _permit: permit,
    })
}

/// Decodes blocks into their (ascending, disjoint) places in `out` on up to one thread per
/// core; returns the blocks (by position in `jobs`) that failed to decode, with why. Plain
/// threads, not the scan's rayon pool: a rayon worker waiting here could pick up another
/// packed file and wait on the unpack budget this file holds.
fn decode_in_parallel(
    out: &mut [u8],
    jobs: Vec<(Block<'_>, usize)>,
) -> Result<Vec<(usize, String)>, String> {
    let mut work: Vec<Job<'_, '_>> = Vec::with_capacity(jobs.len());
    let mut rest = out;
    let mut base = 0;
    for (job, (b, pos)) in jobs.into_iter().enumerate() {
        let gap = pos.checked_sub(base).ok_or("overlapping blocks")?;
        let after_gap = std::mem::take(&mut rest)
            .get_mut(gap..)
            .ok_or("block past the end of the file")?;
        if after_gap.len() < b.unpacked {
            return Err("block past the end of the file".into());
        }
        let (mine, tail) = after_gap.split_at_mut(b.unpacked);
        base = pos + b.unpacked;
        rest = tail;
        work.push((job, b, mine));
    }
    // Largest first, so the last block to finish is a small one.
    work.sort_by_key(|(_, b, _)| std::cmp::Reverse(b.unpacked));
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(work.len());
    let queue = std::sync::Mutex::new(work.into_iter());
    if threads <= 1 {
        return Ok(drain(&queue));
    }
    let mut failed = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| scope.spawn(|| drain(&queue)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().map_err(|_| "block decoder panicked".to_string()))
            .collect::<Result<Vec<_>, String>>()
    })?
    .concat();
    failed.sort_by_key(|(job, _)| *job);
    Ok(failed)
}

type Job<'a, 'b> = (usize, Block<'a>, &'b mut [u8]);

/// Decodes queued blocks until the queue is empty; the ones that failed, with why.
fn drain(queue: &std::sync::Mutex<std::vec::IntoIter<Job<'_, '_>>>) -> Vec<(usize, String)> {
    let mut failed = Vec::new();
    loop {
        let item = match queue.lock() {
            Ok(mut q) => q.next(),
            Err(_) => None,
        };
        let Some((job, b, dst)) = item else {
            return failed;
        };
        if let Err(e) = decompress_into(&b, dst) {
            failed.push((job, e));
        }
    }
}

/// Offsets after `from` of well-formed block headers declaring `want` unpacked bytes, in
/// file order: the tail block is the first of them that decodes.
fn tail_candidates(data: &[u8], from: usize, want: u32) -> Vec<usize> {
    // Each failing candidate costs a decompression: a real file has the block first.
    const MAX_CANDIDATES: usize = 16;
    let pattern = want.to_le_bytes();
    let Some(rest) = data.get(from..) else {
        return Vec::new();
    };
    memmem::find_iter(rest, &pattern)
        .map(|at| from + at)
        .filter(|&at| {
            matches!(block_at(data, at), Ok(Some((b, _)))
                if method_name(b.method).is_some() || b.compressed.len() == b.unpacked)
        })
        .take(MAX_CANDIDATES)
        .collect()
}

/// (file offset, file size) of each segment of a little-endian Mach-O header, sorted.
fn macho_extents(h: &[u8]) -> Result<Vec<(usize, usize)>, String> {
    let bad = || "restored Mach-O header is malformed".to_string();
    let is64 = match h.get(..4) {
        Some([0xcf, 0xfa, 0xed, 0xfe]) => true,
        Some([0xce, 0xfa, 0xed, 0xfe]) => false,
        _ => return Err("first block is not a little-endian Mach-O header".into()),
    };
    let ncmds = u32_at(h, 16).ok_or_else(bad)? as usize;
    let mut at = if is64 { 32 } else { 28 };
    let mut v = Vec::new();
    for _ in 0..ncmds.min(4096) {
        let cmd = u32_at(h, at).ok_or_else(bad)?;
        let size = u32_at(h, at + 4).ok_or_else(bad)? as usize;
        let u64_at = |o: usize| -> Option<u64> {
            Some(u64::from_le_bytes(h.get(o..o + 8)?.try_into().ok()?))
        };
        match cmd {
            0x19 => v.push((
                u64_at(at + 40).ok_or_else(bad)? as usize,
                u64_at(at + 48).ok_or_else(bad)? as usize,
            )),
            0x1 => v.push((
                u32_at(h, at + 32).ok_or_else(bad)? as usize,
                u32_at(h, at + 36).ok_or_else(bad)? as usize,
            )),
            _ => {}
        }
        if size < 8 {
            return Err(bad());
        }
        at += size;
    }
    v.retain(|(_, s)| *s > 0);
    v.sort_unstable();
    Ok(v)
}

/// (file offset, file size) of each `PT_LOAD`, sorted by offset.
fn load_extents(ehdr: &[u8]) -> Result<Vec<(usize, usize)>, String> {
    use object::read::elf::{FileHeader, ProgramHeader};
    fn extents<E: FileHeader>(ehdr: &[u8]) -> Result<Vec<(usize, usize)>, String> {
        let h = E::parse(ehdr).map_err(|e| format!("restored ELF header: {e}"))?;
        let endian = h
            .endian()
            .map_err(|e| format!("restored ELF header: {e}"))?;
        let phdrs = h
            .program_headers(endian, ehdr)
            .map_err(|e| format!("restored program headers: {e}"))?;
        let mut v: Vec<(usize, usize)> = phdrs
            .iter()
            .filter(|p| p.p_type(endian) == object::elf::PT_LOAD)
            .map(|p| {
                (
                    p.p_offset(endian).into() as usize,
                    p.p_filesz(endian).into() as usize,
                )
            })
            .filter(|(_, s)| *s > 0)
            .collect();
        v.sort_unstable();
        Ok(v)
    }
    match ehdr.get(4) {
        Some(2) => extents::<object::elf::FileHeader64<object::Endianness>>(ehdr),
        Some(1) => extents::<object::elf::FileHeader32<object::Endianness>>(ehdr),
        _ => Err("restored ELF header has a bad class".into()),
    }
}

/// Decompresses the image of a UPX-packed PE: the original sections as mapped in memory
/// (from the first section's address on), not rebuilt into a PE file. Catalogers that work
/// on raw bytes (Go build info, version strings, panic paths) can read it.
///
/// The pack header (`UPX!`, version, format, method, level, two Adler-32s, unpacked and
/// packed lengths, original file size, filter, filter parameter, …; 32 bytes) sits at the
/// start of the `UPX1` section's raw data, after the version string; the compressed stream
/// follows it.
pub fn unpack_pe_image(data: &[u8]) -> Result<Unpacked, String> {
    use object::{Object, ObjectSection};
    let head = &data[..data.len().min(4096)];
    let at = memmem::find(head, b"UPX!").ok_or("no UPX! pack header")?;
    let h = data.get(at..at + 32).ok_or("truncated pack header")?;
    let method = h[6];
    let unpacked = u32_at(h, 16).ok_or("truncated pack header")? as u64;
    let packed = u32_at(h, 20).ok_or("truncated pack header")? as usize;
    let (filter, filter_param) = (h[28], h[29]);
    let limit = MAX_UNPACKED.min((data.len() as u64).saturating_mul(MAX_RATIO));
    if unpacked > limit {
        return Err(format!(
            "refused: claims to unpack to {unpacked} bytes (limit {limit})"
        ));
    }
    let file = object::File::parse(data).map_err(|e| format!("packed PE: {e}"))?;
    let upx1 = file
        .section_by_name("UPX1")
        .ok_or("packed PE has no UPX1 section")?;
    let (start, size) = upx1.file_range().ok_or("UPX1 has no file data")?;
    if (at as u64) < start || (at as u64) >= start + size {
        return Err("pack header is not in the UPX1 section".into());
    }
    let offset = at + 32;
    let compressed = data
        .get(offset..offset.checked_add(packed).ok_or("size overflows")?)
        .ok_or("compressed data past the end of the file")?;
    // The filter covers the code section only, whose extent is in the original headers
    // this image does not rebuild: leave code bytes filtered so data bytes stay exact.
    let _ = (filter, filter_param);
    // Same bounds as ELF and Mach-O: a share of the unpack budget, and a mapped temporary
    // file beyond the heap limit.
    let permit = budget::acquire(budget::charge(unpacked, crate::spill::IN_MEMORY_LIMIT));
    let mut out = crate::spill::Buffer::zeroed(unpacked)
        .map_err(|e| format!("no room for the unpacked image: {e}"))?;
    decompress_into(
        &Block {
            unpacked: unpacked as usize,
            compressed,
            method,
            filter: 0,
            filter_param: 0,
        },
        &mut out,
    )?;
    out.release_pages();
    Ok(Unpacked {
        bytes: out,
        _permit: permit,
    })
}
