//! The root license files of a remote module zip, read with HTTP byte ranges: the tail (end of
//! central directory), the central directory, then each license entry's local header and
//! data. A module zip can be tens of MB (39 MB for klauspost/compress); this reads a few KB.
//! Every length and offset comes from the server, so each is bounded before it is used.

use std::io::Read;

use super::remote::LicenseFiles;

/// End of central directory record: 22 bytes plus a comment of at most 64 KiB.
const EOCD_MAX: u64 = 22 + 0xFFFF;
/// Largest central directory read (a module zip holds at most ~500 MB of files).
const MAX_CENTRAL_DIRECTORY: u64 = 16 << 20;
/// Largest license file, compressed or not (a zip bomb stops here).
const MAX_LICENSE_FILE: u64 = 1 << 20;
/// Most license entries read from one zip.
const MAX_LICENSE_ENTRIES: usize = 16;

/// What a ranged GET returned.
pub enum RangeReply {
    /// 206: the bytes asked for, and the whole file's size.
    Partial { bytes: Vec<u8>, total: u64 },
    /// 200: the server ignored the range; the whole file (bounded by the caller).
    Whole(Vec<u8>),
}

/// Reads the root license files of the zip behind `get` (`get(start, len)` fetches `len`
/// bytes from `start`; `start = None` means the last `len` bytes). `Ok(None)` when the server
/// ignored ranges and sent the whole zip, which the caller then reads as a whole.
pub fn root_license_files(
    get: &mut dyn FnMut(Option<u64>, u64) -> Result<RangeReply, String>,
    prefix: &str,
) -> Result<Result<LicenseFiles, Vec<u8>>, String> {
    let (tail, total) = match get(None, EOCD_MAX)? {
        RangeReply::Whole(b) => return Ok(Err(b)),
        RangeReply::Partial { bytes, total } => (bytes, total),
    };
    let eocd = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..].starts_with(&[0x50, 0x4b, 0x05, 0x06]))
        .ok_or("no end of central directory (not a zip)")?;
    let e = &tail[eocd..];
    let entries = u16_at(e, 10)? as usize;
    let cd_size = u32_at(e, 12)? as u64;
    let cd_offset = u32_at(e, 16)? as u64;
    if cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF || entries == 0xFFFF {
        return Err("zip64 archive: not read with ranges".into());
    }
    if cd_size > MAX_CENTRAL_DIRECTORY || cd_offset.saturating_add(cd_size) > total {
        return Err(format!(
            "central directory of {cd_size} bytes at {cd_offset} does not fit the bounds"
        ));
    }
    // The central directory is often inside the tail already.
    let tail_start = total - tail.len() as u64;
    let cd = if cd_offset >= tail_start {
        let s = (cd_offset - tail_start) as usize;
        tail.get(s..s + cd_size as usize)
            .ok_or("central directory outside the file")?
            .to_vec()
    } else {
        partial(get(Some(cd_offset), cd_size)?, cd_size)?
    };
    let mut out = Vec::new();
    let mut pos = 0usize;
    for _ in 0..entries {
        if cd.get(pos..pos + 4) != Some(&[0x50, 0x4b, 0x01, 0x02]) {
            return Err("bad central directory entry".into());
        }
        let method = u16_at(&cd, pos + 10)?;
        let csize = u32_at(&cd, pos + 20)? as u64;
        let usize_ = u32_at(&cd, pos + 24)? as u64;
        let name_len = u16_at(&cd, pos + 28)? as usize;
        let extra_len = u16_at(&cd, pos + 30)? as usize;
        let comment_len = u16_at(&cd, pos + 32)? as usize;
        let local = u32_at(&cd, pos + 42)? as u64;
        let name = cd
            .get(pos + 46..pos + 46 + name_len)
            .ok_or("truncated central directory")?;
        pos += 46 + name_len + extra_len + comment_len;
        let name = String::from_utf8_lossy(name);
        let Some(rel) = name.strip_prefix(prefix) else {
            continue;
        };
        if rel.contains('/')
            || !super::classify::is_license_file_name(rel)
            || csize > MAX_LICENSE_FILE
            || usize_ > MAX_LICENSE_FILE
        {
            continue;
        }
        if out.len() >= MAX_LICENSE_ENTRIES {
            break;
        }
        let header = partial(get(Some(local), 30)?, 30)?;
        if !header.starts_with(&[0x50, 0x4b, 0x03, 0x04]) {
            return Err(format!("bad local header for {rel}"));
        }
        let skip = 30 + u16_at(&header, 26)? as u64 + u16_at(&header, 28)? as u64;
        let data_start = local.saturating_add(skip);
        if data_start.saturating_add(csize) > total {
            return Err(format!("{rel} lies outside the file"));
        }
        let data = if csize == 0 {
            Vec::new()
        } else {
            partial(get(Some(data_start), csize)?, csize)?
        };
        let text = match method {
            0 => data,
            8 => {
                let mut text = Vec::new();
                flate2::read::DeflateDecoder::new(&data[..])
                    .take(MAX_LICENSE_FILE + 1)
                    .read_to_end(&mut text)
                    .map_err(|e| format!("{rel}: {e}"))?;
                if text.len() as u64 > MAX_LICENSE_FILE {
                    return Err(format!("{rel} inflates beyond {MAX_LICENSE_FILE} bytes"));
                }
                text
            }
            m => return Err(format!("{rel}: compression method {m} not supported")),
        };
        out.push((rel.to_string(), text));
    }
    out.sort();
    Ok(Ok(out))
}

/// The bytes of a 206 reply, checked to be as long as asked.
fn partial(reply: RangeReply, len: u64) -> Result<Vec<u8>, String> {
    match reply {
        RangeReply::Partial { bytes, .. } if bytes.len() as u64 == len => Ok(bytes),
        RangeReply::Partial { bytes, .. } => Err(format!(
            "range reply of {} bytes, {len} asked for",
            bytes.len()
        )),
        RangeReply::Whole(_) => Err("the server stopped honouring ranges".into()),
    }
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, String> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or_else(|| "truncated zip record".into())
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, String> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| "truncated zip record".into())
}
