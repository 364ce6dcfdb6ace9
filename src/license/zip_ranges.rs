//! The root license files of a remote module zip, read with HTTP byte ranges: the tail (end of
//! central directory), the central directory, then each license entry's local header and
//! data. A module zip can be tens of MB (39 MB for klauspost/compress); this reads a few KB.
//! Every length and offset comes from the server, so each is bounded before it is used.

use std::io::Read;

use super::remote::LicenseFiles;

/// End of central directory record: 22 bytes plus a comment of at most 64 KiB.
const EOCD_MAX: u64 = 22 + 0xFFFF;
/// Largest central directory walked (a module zip holds at most 500 MB of files; one with
/// 150,000 files, github.com/sqlc-dev/doubleclick, has an 18 MB directory).
const MAX_CENTRAL_DIRECTORY: u64 = 64 << 20;
/// The central directory is fetched in windows of this size as its entries are walked, so
/// memory stays bounded whatever its size.
const DIRECTORY_WINDOW: u64 = 4 << 20;
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
    root_license_files_in_windows(get, prefix, DIRECTORY_WINDOW)
}

fn root_license_files_in_windows(
    get: &mut dyn FnMut(Option<u64>, u64) -> Result<RangeReply, String>,
    prefix: &str,
    window: u64,
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
    let tail_start = total.saturating_sub(tail.len() as u64);
    let Directory {
        entries,
        cd_size,
        cd_offset,
    } = match zip64_locator(get, &tail, tail_start, eocd)? {
        Some(record_at) => zip64_directory(get, &tail, tail_start, record_at, total)?,
        None => {
            let dir = Directory {
                entries: u16_at(e, 10)? as u64,
                cd_size: u32_at(e, 12)? as u64,
                cd_offset: u32_at(e, 16)? as u64,
            };
            if dir.cd_size == 0xFFFF_FFFF || dir.cd_offset == 0xFFFF_FFFF || dir.entries == 0xFFFF {
                return Err("zip64 values in the end record but no zip64 locator".into());
            }
            dir
        }
    };
    if cd_size > MAX_CENTRAL_DIRECTORY || cd_offset.saturating_add(cd_size) > total {
        return Err(format!(
            "central directory of {cd_size} bytes at {cd_offset} does not fit the bounds"
        ));
    }
    // Every entry takes at least 46 bytes: a count beyond that is a lie.
    if entries.saturating_mul(46) > cd_size {
        return Err(format!(
            "{entries} entries cannot fit a central directory of {cd_size} bytes"
        ));
    }
    // The central directory is often inside the tail already.
    let mut cd = if cd_offset >= tail_start {
        let s = (cd_offset - tail_start) as usize;
        let bytes = tail
            .get(s..s + cd_size as usize)
            .ok_or("central directory outside the file")?;
        DirectoryWindow::whole(bytes.to_vec(), cd_offset)
    } else {
        DirectoryWindow::fetched(cd_offset, cd_size, window)
    };
    let mut out = Vec::new();
    let mut pos = cd_offset;
    for _ in 0..entries {
        let fixed = cd.bytes(get, pos, 46)?;
        if !fixed.starts_with(&[0x50, 0x4b, 0x01, 0x02]) {
            return Err("bad central directory entry".into());
        }
        let method = u16_at(fixed, 10)?;
        let mut csize = u32_at(fixed, 20)? as u64;
        let mut usize_ = u32_at(fixed, 24)? as u64;
        let name_len = u16_at(fixed, 28)? as usize;
        let extra_len = u16_at(fixed, 30)? as usize;
        let comment_len = u16_at(fixed, 32)? as usize;
        let mut local = u32_at(fixed, 42)? as u64;
        let entry = cd.bytes(get, pos, 46 + name_len + extra_len)?;
        let name = String::from_utf8_lossy(&entry[46..46 + name_len]).into_owned();
        let extra = &entry[46 + name_len..];
        // zip64: the fields saturated in the entry are in its zip64 extra field, in order.
        if [usize_, csize, local].contains(&0xFFFF_FFFF) {
            let mut z = zip64_extra(extra).ok_or("zip64 entry without its zip64 extra field")?;
            for field in [&mut usize_, &mut csize, &mut local] {
                if *field == 0xFFFF_FFFF {
                    *field = z.next().ok_or("zip64 extra field too short")?;
                }
            }
        }
        pos += (46 + name_len + extra_len + comment_len) as u64;
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

/// The part of the central directory in memory: all of it when it came with the tail,
/// else one window at a time, fetched forward as the entries are walked.
struct DirectoryWindow {
    /// File offset of `buf[0]`.
    start: u64,
    buf: Vec<u8>,
    /// File offset just past the central directory.
    end: u64,
    window: u64,
}

impl DirectoryWindow {
    fn whole(bytes: Vec<u8>, start: u64) -> Self {
        let end = start + bytes.len() as u64;
        DirectoryWindow {
            start,
            buf: bytes,
            end,
            window: 0,
        }
    }

    fn fetched(start: u64, size: u64, window: u64) -> Self {
        DirectoryWindow {
            start,
            buf: Vec::new(),
            end: start + size,
            window,
        }
    }

    /// `len` bytes of the central directory from file offset `at` (never before the window:
    /// entries are walked forward), fetching the window that starts there when needed.
    fn bytes(
        &mut self,
        get: &mut dyn FnMut(Option<u64>, u64) -> Result<RangeReply, String>,
        at: u64,
        len: usize,
    ) -> Result<&[u8], String> {
        let want_end = at.saturating_add(len as u64);
        if want_end > self.end {
            return Err("truncated central directory".into());
        }
        let have_end = self.start + self.buf.len() as u64;
        if at < self.start || want_end > have_end {
            // An entry is at most 46 + 3 x 64 KiB bytes, so one window always holds it.
            let size = (len as u64).max(self.window).min(self.end - at);
            self.buf = partial(get(Some(at), size)?, size)?;
            self.start = at;
        }
        let s = (at - self.start) as usize;
        Ok(&self.buf[s..s + len])
    }
}

/// Where the central directory is and how many entries it has.
struct Directory {
    entries: u64,
    cd_size: u64,
    cd_offset: u64,
}

/// The zip64 end of central directory locator, 20 bytes right before the end record: the
/// offset of the zip64 end record, or `None` for a plain zip. It lies before the tail only
/// when the archive comment is nearly 64 KiB long; it is then fetched.
fn zip64_locator(
    get: &mut dyn FnMut(Option<u64>, u64) -> Result<RangeReply, String>,
    tail: &[u8],
    tail_start: u64,
    eocd: usize,
) -> Result<Option<u64>, String> {
    let locator = match eocd.checked_sub(20) {
        Some(at) => tail[at..at + 20].to_vec(),
        None => match (tail_start + eocd as u64).checked_sub(20) {
            Some(at) => partial(get(Some(at), 20)?, 20)?,
            None => return Ok(None),
        },
    };
    if !locator.starts_with(&[0x50, 0x4b, 0x06, 0x07]) {
        return Ok(None);
    }
    Ok(Some(u64_at(&locator, 8)?))
}

/// The zip64 end of central directory record (56 bytes before its extensible data), from the
/// tail when it lies there, else with one more range.
fn zip64_directory(
    get: &mut dyn FnMut(Option<u64>, u64) -> Result<RangeReply, String>,
    tail: &[u8],
    tail_start: u64,
    record_at: u64,
    total: u64,
) -> Result<Directory, String> {
    if record_at.saturating_add(56) > total {
        return Err(format!(
            "zip64 end record at {record_at} lies outside the file"
        ));
    }
    let record = if record_at >= tail_start {
        let s = (record_at - tail_start) as usize;
        tail.get(s..s + 56)
            .ok_or("zip64 end record outside the file")?
            .to_vec()
    } else {
        partial(get(Some(record_at), 56)?, 56)?
    };
    if !record.starts_with(&[0x50, 0x4b, 0x06, 0x06]) {
        return Err("bad zip64 end of central directory record".into());
    }
    Ok(Directory {
        entries: u64_at(&record, 32)?,
        cd_size: u64_at(&record, 40)?,
        cd_offset: u64_at(&record, 48)?,
    })
}

/// The 64-bit values of an entry's zip64 extended information field (header id 1), if any.
fn zip64_extra(mut extra: &[u8]) -> Option<impl Iterator<Item = u64> + '_> {
    while extra.len() >= 4 {
        let id = u16::from_le_bytes([extra[0], extra[1]]);
        let len = u16::from_le_bytes([extra[2], extra[3]]) as usize;
        let data = extra.get(4..4 + len)?;
        if id == 1 {
            return Some(
                data.chunks_exact(8)
                    .map(|c| u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])),
            );
        }
        extra = &extra[4 + len..];
    }
    None
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

fn u64_at(b: &[u8], at: usize) -> Result<u64, String> {
    b.get(at..at + 8)
        .map(|s| u64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]))
        .ok_or_else(|| "truncated zip record".into())
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, String> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| "truncated zip record".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serves byte ranges of `zip` as an HTTP server honouring `Range` would, counting them.
    fn read(zip: &[u8], prefix: &str) -> (Result<LicenseFiles, String>, usize) {
        let mut requests = 0;
        let total = zip.len() as u64;
        let mut get = |start: Option<u64>, len: u64| {
            requests += 1;
            let start = start.unwrap_or(total.saturating_sub(len));
            let end = start.saturating_add(len).min(total);
            Ok(RangeReply::Partial {
                bytes: zip[start.min(total) as usize..end as usize].to_vec(),
                total,
            })
        };
        let files = root_license_files(&mut get, prefix).map(|r| r.unwrap_or_default());
        (files, requests)
    }

    fn text(files: &LicenseFiles) -> Vec<(&str, &str)> {
        files
            .iter()
            .map(|(n, b)| (n.as_str(), std::str::from_utf8(b).unwrap()))
            .collect()
    }

    /// Both zip64 fixtures (samples/zip64/build.sh: Info-ZIP `zip -fz`, and CPython's zipfile
    /// with every size, offset and count in zip64 records) read like a plain zip: the root
    /// license files only, not sub/LICENSE.
    #[test]
    fn zip64_module_zips_by_two_writers() {
        let want = vec![
            ("COPYING.LESSER", "SPDX-License-Identifier: LGPL-3.0-only\n"),
            ("LICENSE", "SPDX-License-Identifier: MIT\n"),
        ];
        for zip in [
            &include_bytes!("../../samples/zip64/info-zip-fz.zip")[..],
            &include_bytes!("../../samples/zip64/python-zip64.zip")[..],
        ] {
            let (files, requests) = read(zip, "example.com/zip64@v1.0.0/");
            assert_eq!(text(&files.unwrap()), want);
            // tail, then local header + data of each license file
            assert_eq!(requests, 5);
        }
        // The same answer as the zip crate's own reader of the whole file.
        let whole = super::super::remote::root_license_files(
            include_bytes!("../../samples/zip64/python-zip64.zip"),
            "example.com/zip64",
            "v1.0.0",
        )
        .unwrap();
        assert_eq!(text(&whole), want);
    }

    /// With a 64 KiB archive comment the locator, the zip64 end record and the central
    /// directory all lie before the tail: each is fetched with a range of its own.
    #[test]
    fn zip64_records_before_the_tail() {
        let mut zip = include_bytes!("../../samples/zip64/python-zip64.zip").to_vec();
        let eocd = zip.len() - 22;
        zip[eocd + 20..eocd + 22].copy_from_slice(&0xFFFFu16.to_le_bytes());
        zip.extend(std::iter::repeat_n(b'c', 0xFFFF));
        let (files, requests) = read(&zip, "example.com/zip64@v1.0.0/");
        assert_eq!(files.unwrap().len(), 2);
        // tail, locator, zip64 record, central directory, 2 x (header, data)
        assert_eq!(requests, 8);
    }

    /// A module with thousands of files (github.com/sqlc-dev/doubleclick has 150,000 and an
    /// 18 MB central directory): the directory is walked window by window, and the root
    /// license listed after all the other entries is still found.
    #[test]
    fn a_large_central_directory_is_read_in_windows() {
        use std::io::Write;
        let prefix = "example.com/many@v1.0.0/";
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for i in 0..3000 {
            w.start_file(format!("{prefix}testdata/queries/case-{i:05}.sql"), opts)
                .unwrap();
            w.write_all(b"select 1;\n").unwrap();
        }
        w.start_file(format!("{prefix}LICENSE"), opts).unwrap();
        w.write_all(b"SPDX-License-Identifier: MIT\n").unwrap();
        let zip = w.finish().unwrap().into_inner();
        let total = zip.len() as u64;
        let mut requests = 0;
        let mut get = |start: Option<u64>, len: u64| {
            requests += 1;
            let start = start.unwrap_or(total.saturating_sub(len));
            let end = start.saturating_add(len).min(total);
            Ok(RangeReply::Partial {
                bytes: zip[start as usize..end as usize].to_vec(),
                total,
            })
        };
        // A tail of 64 KiB holds the end of the directory; the rest comes in 16 KiB windows.
        let files = root_license_files_in_windows(&mut get, prefix, 16 << 10)
            .unwrap()
            .unwrap();
        assert_eq!(
            text(&files),
            vec![("LICENSE", "SPDX-License-Identifier: MIT\n")]
        );
        let cd_size = 3001 * (46 + prefix.len() + "testdata/queries/case-00000.sql".len()) as u64;
        assert!(cd_size > 4 * (16 << 10), "{cd_size}");
        // tail, the windows, LICENSE's local header and data
        let windows = cd_size.div_ceil(16 << 10) as usize;
        assert!(
            (windows..=windows + 1).contains(&(requests - 3)),
            "{requests} requests for {windows} windows"
        );
    }

    #[test]
    fn broken_zip64_records_are_errors() {
        let zip = include_bytes!("../../samples/zip64/python-zip64.zip").to_vec();
        let rec = zip.windows(4).rposition(|w| w == b"PK\x06\x06").unwrap();
        let loc = zip.windows(4).rposition(|w| w == b"PK\x06\x07").unwrap();
        let damaged = |at: usize, v: u64| {
            let mut z = zip.clone();
            z[at..at + 8].copy_from_slice(&v.to_le_bytes());
            read(&z, "example.com/zip64@v1.0.0/").0.unwrap_err()
        };
        assert!(damaged(loc + 8, u64::MAX).contains("outside the file"));
        assert!(damaged(loc + 8, 0).contains("bad zip64 end"));
        assert!(damaged(rec + 32, u64::MAX).contains("cannot fit"));
        assert!(damaged(rec + 40, 1 << 40).contains("does not fit the bounds"));
        assert!(damaged(rec + 48, u64::MAX - 10).contains("does not fit the bounds"));
        // An entry whose zip64 extra field is cut short.
        let mut z = zip.clone();
        let lic = z
            .windows(b"zip64@v1.0.0/LICENSE".len())
            .rposition(|w| w == b"zip64@v1.0.0/LICENSE")
            .unwrap();
        // extra header of the central entry: id 1, length 24 -> 8
        let extra = lic + b"zip64@v1.0.0/LICENSE".len();
        assert_eq!(&z[extra..extra + 4], &[1, 0, 24, 0]);
        z[extra + 2] = 8;
        let err = read(&z, "example.com/zip64@v1.0.0/").0.unwrap_err();
        assert!(
            err.contains("zip64 extra field too short") || err.contains("central directory"),
            "{err}"
        );
        // A saturated end record without a locator.
        let mut z = zip.clone();
        z[loc..loc + 4].copy_from_slice(b"XXXX");
        let eocd = z.len() - 22;
        z[eocd + 16..eocd + 20].copy_from_slice(&u32::MAX.to_le_bytes());
        let err = read(&z, "example.com/zip64@v1.0.0/").0.unwrap_err();
        assert!(err.contains("no zip64 locator"), "{err}");
    }
}
