//! rpm header blobs, as every rpm database (SQLite `rpmdb.sqlite`, BDB `Packages`, NDB
//! `Packages.db`) stores one per installed package, and as a `.rpm` file carries its main
//! header after the magic: `il` and `dl` (big-endian u32), `il` index entries of 16 bytes
//! (tag, type, offset, count), then `dl` bytes of data. Every count and offset is checked
//! against the blob before use.

/// Header tags read here (rpmtag.h).
mod tag {
    pub const NAME: u32 = 1000;
    pub const VERSION: u32 = 1001;
    pub const RELEASE: u32 = 1002;
    pub const EPOCH: u32 = 1003;
    pub const LICENSE: u32 = 1014;
    pub const ARCH: u32 = 1022;
    pub const OLDFILENAMES: u32 = 1027;
    pub const SOURCERPM: u32 = 1044;
    pub const PROVIDENAME: u32 = 1047;
    pub const REQUIRENAME: u32 = 1049;
    pub const DIRINDEXES: u32 = 1116;
    pub const BASENAMES: u32 = 1117;
    pub const DIRNAMES: u32 = 1118;
}

/// Entry data types (rpmtag.h `rpmTagType`).
const INT32: u32 = 4;
const STRING: u32 = 6;
const STRING_ARRAY: u32 = 8;
const I18NSTRING: u32 = 9;

/// Far above real headers (a few hundred entries, a few MB), low enough to bound work.
const MAX_ENTRIES: usize = 1 << 16;
const MAX_DATA: usize = 256 << 20;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpmHeader {
    pub name: String,
    pub version: String,
    pub release: String,
    pub epoch: Option<u32>,
    pub arch: Option<String>,
    pub license: Option<String>,
    /// `curl-7.76.1-26.el9.src.rpm`.
    pub source_rpm: Option<String>,
    /// Installed paths, without the leading `/`.
    pub files: Vec<String>,
    /// Required capabilities, `rpmlib(…)` features left out.
    pub requires: Vec<String>,
    pub provides: Vec<String>,
}

struct Entry {
    tag: u32,
    kind: u32,
    offset: usize,
    count: usize,
}

/// Parses one header blob (no magic).
pub fn parse(blob: &[u8]) -> Result<RpmHeader, String> {
    let il = be32(blob, 0).ok_or("header shorter than 8 bytes")? as usize;
    let dl = be32(blob, 4).ok_or("header shorter than 8 bytes")? as usize;
    if il == 0 || il > MAX_ENTRIES || dl > MAX_DATA {
        return Err(format!("implausible header: {il} entries, {dl} data bytes"));
    }
    let data_start = 8 + il * 16;
    let data = blob
        .get(data_start..data_start + dl)
        .ok_or_else(|| format!("header truncated: {il} entries and {dl} data bytes announced"))?;
    let mut entries = Vec::with_capacity(il);
    for i in 0..il {
        let at = 8 + i * 16;
        let field = |k: usize| be32(blob, at + 4 * k).unwrap_or(0);
        entries.push(Entry {
            tag: field(0),
            kind: field(1),
            offset: field(2) as usize,
            count: field(3) as usize,
        });
    }
    let find = |t: u32| entries.iter().find(|e| e.tag == t);
    let string = |t: u32| -> Result<Option<String>, String> {
        match find(t) {
            Some(e) if matches!(e.kind, STRING | I18NSTRING | STRING_ARRAY) => {
                strings(data, e.offset, 1).map(|mut v| v.pop())
            }
            Some(e) => Err(format!("tag {t}: type {} is not a string", e.kind)),
            None => Ok(None),
        }
    };
    let array = |t: u32| -> Result<Vec<String>, String> {
        match find(t) {
            Some(e) if e.kind == STRING_ARRAY => strings(data, e.offset, e.count),
            Some(e) => Err(format!("tag {t}: type {} is not a string array", e.kind)),
            None => Ok(Vec::new()),
        }
    };
    let ints = |t: u32| -> Result<Vec<u32>, String> {
        match find(t) {
            Some(e) if e.kind == INT32 => (0..e.count)
                .map(|i| {
                    e.offset
                        .checked_add(i * 4)
                        .and_then(|at| be32(data, at))
                        .ok_or_else(|| format!("tag {t}: integers past the data"))
                })
                .collect(),
            Some(e) => Err(format!("tag {t}: type {} is not int32", e.kind)),
            None => Ok(Vec::new()),
        }
    };
    let name = string(tag::NAME)?.ok_or("no NAME tag")?;
    let basenames = array(tag::BASENAMES)?;
    let files = if basenames.is_empty() {
        array(tag::OLDFILENAMES)?
    } else {
        let dirs = array(tag::DIRNAMES)?;
        let indexes = ints(tag::DIRINDEXES)?;
        if indexes.len() != basenames.len() {
            return Err(format!(
                "{} basenames but {} directory indexes",
                basenames.len(),
                indexes.len()
            ));
        }
        basenames
            .iter()
            .zip(indexes)
            .map(|(base, i)| {
                dirs.get(i as usize)
                    .map(|d| format!("{d}{base}"))
                    .ok_or_else(|| format!("directory index {i} out of range"))
            })
            .collect::<Result<_, _>>()?
    };
    Ok(RpmHeader {
        name,
        version: string(tag::VERSION)?.unwrap_or_default(),
        release: string(tag::RELEASE)?.unwrap_or_default(),
        epoch: ints(tag::EPOCH)?.first().copied(),
        arch: string(tag::ARCH)?,
        license: string(tag::LICENSE)?,
        source_rpm: string(tag::SOURCERPM)?,
        files: files
            .into_iter()
            .map(|f| f.trim_start_matches('/').to_string())
            .collect(),
        requires: array(tag::REQUIRENAME)?
            .into_iter()
            .filter(|r| !r.starts_with("rpmlib("))
            .collect(),
        provides: array(tag::PROVIDENAME)?,
    })
}

/// The main header of a `.rpm` file (lead, signature header, then the header with magic).
pub fn main_header_of_package(rpm: &[u8]) -> Result<&[u8], String> {
    const LEAD: usize = 96;
    const MAGIC: [u8; 3] = [0x8e, 0xad, 0xe8];
    let section_len = |at: usize| -> Result<usize, String> {
        if rpm.get(at..at + 3) != Some(&MAGIC[..]) {
            return Err(format!("no header magic at byte {at}"));
        }
        let il = be32(rpm, at + 8).ok_or("truncated")? as usize;
        let dl = be32(rpm, at + 12).ok_or("truncated")? as usize;
        if il > MAX_ENTRIES || dl > MAX_DATA {
            return Err("implausible signature header".into());
        }
        Ok(16 + il * 16 + dl)
    };
    let signature = section_len(LEAD)?;
    // The signature header is padded to a multiple of 8 bytes.
    let main = LEAD + signature.div_ceil(8) * 8;
    let len = section_len(main)?;
    rpm.get(main + 8..main + len)
        .ok_or_else(|| "main header truncated".to_string())
}

/// `curl-7.76.1-26.el9.src.rpm` → `curl`.
pub fn source_name(source_rpm: &str) -> Option<String> {
    let stem = source_rpm
        .strip_suffix(".src.rpm")
        .or_else(|| source_rpm.strip_suffix(".nosrc.rpm"))?;
    let (rest, _release) = stem.rsplit_once('-')?;
    let (name, _version) = rest.rsplit_once('-')?;
    (!name.is_empty()).then(|| name.to_string())
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at.checked_add(4)?)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// `count` NUL-terminated strings starting at `offset`.
fn strings(data: &[u8], offset: usize, count: usize) -> Result<Vec<String>, String> {
    let mut out = Vec::with_capacity(count.min(4096));
    let mut at = offset;
    for _ in 0..count {
        let rest = data
            .get(at..)
            .ok_or_else(|| format!("string offset {at} past the data"))?;
        let end = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or("unterminated string")?;
        out.push(String::from_utf8_lossy(&rest[..end]).into_owned());
        at += end + 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A header built by hand: NAME, VERSION, EPOCH and three files in two directories.
    fn sample() -> Vec<u8> {
        let mut data = Vec::new();
        let mut entries = Vec::new();
        let mut put = |tag: u32, kind: u32, count: u32, bytes: &[u8], data: &mut Vec<u8>| {
            if kind == INT32 {
                while !data.len().is_multiple_of(4) {
                    data.push(0);
                }
            }
            entries.push((tag, kind, data.len() as u32, count));
            data.extend_from_slice(bytes);
        };
        put(tag::NAME, STRING, 1, b"hello\0", &mut data);
        put(tag::VERSION, STRING, 1, b"1.0\0", &mut data);
        put(tag::EPOCH, INT32, 1, &2u32.to_be_bytes(), &mut data);
        put(
            tag::BASENAMES,
            STRING_ARRAY,
            3,
            b"hello\0libh.so.1\0x\0",
            &mut data,
        );
        put(
            tag::DIRNAMES,
            STRING_ARRAY,
            2,
            b"/usr/bin/\0/usr/lib64/\0",
            &mut data,
        );
        let idx: Vec<u8> = [0u32, 1, 1].iter().flat_map(|i| i.to_be_bytes()).collect();
        put(tag::DIRINDEXES, INT32, 3, &idx, &mut data);
        put(
            tag::REQUIRENAME,
            STRING_ARRAY,
            2,
            b"rpmlib(X)\0libc.so.6()(64bit)\0",
            &mut data,
        );
        let mut blob = Vec::new();
        blob.extend_from_slice(&(entries.len() as u32).to_be_bytes());
        blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
        for (t, k, o, c) in entries {
            for v in [t, k, o, c] {
                blob.extend_from_slice(&v.to_be_bytes());
            }
        }
        blob.extend_from_slice(&data);
        blob
    }

    #[test]
    fn reads_names_files_and_requires() {
        let h = parse(&sample()).unwrap();
        assert_eq!(
            (h.name.as_str(), h.version.as_str(), h.epoch),
            ("hello", "1.0", Some(2))
        );
        assert_eq!(
            h.files,
            ["usr/bin/hello", "usr/lib64/libh.so.1", "usr/lib64/x"]
        );
        assert_eq!(h.requires, ["libc.so.6()(64bit)"]);
        assert_eq!(
            source_name("curl-7.76.1-26.el9.src.rpm").as_deref(),
            Some("curl")
        );
    }

    #[test]
    fn damaged_headers_are_errors_not_panics() {
        let blob = sample();
        for cut in 0..blob.len() {
            let _ = parse(&blob[..cut]);
        }
        let mut bad = blob.clone();
        // Point the DIRINDEXES offset far past the data.
        let entry = 8 + 5 * 16 + 8;
        bad[entry..entry + 4].copy_from_slice(&0xffff_fff0u32.to_be_bytes());
        assert!(parse(&bad).is_err());
        assert!(parse(&[0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]).is_err());
    }
}
