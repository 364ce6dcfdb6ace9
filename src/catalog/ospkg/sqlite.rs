//! Just enough of the SQLite file format to read one table's rows: rpm's `rpmdb.sqlite`
//! keeps each package's header as `Packages(hnum INTEGER PRIMARY KEY, blob BLOB)`. Read-only,
//! from a buffer; every page number, offset and length is checked, and the page walk is
//! bounded, so a damaged file is an error. (A write-ahead log, `-wal`, is not applied: rpm
//! checkpoints on close.)

/// A column value of a row (only the types rpm's tables use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Blob(Vec<u8>),
}

pub struct Database<'a> {
    bytes: &'a [u8],
    page_size: usize,
    usable: usize,
}

impl<'a> Database<'a> {
    pub fn open(bytes: &'a [u8]) -> Result<Database<'a>, String> {
        if bytes.len() < 100 || &bytes[..16] != b"SQLite format 3\0" {
            return Err("not an SQLite 3 database".into());
        }
        let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
            1 => 65536,
            n if n >= 512 && n.is_power_of_two() => n as usize,
            n => return Err(format!("bad page size {n}")),
        };
        let usable = page_size - bytes[20] as usize;
        if usable < 480 {
            return Err("bad reserved space".into());
        }
        Ok(Database {
            bytes,
            page_size,
            usable,
        })
    }

    /// Rows of the table `name` (rowid, columns), in rowid order.
    pub fn table(&self, name: &str) -> Result<Vec<(i64, Vec<Value>)>, String> {
        let schema = self.rows(1)?;
        let root = schema
            .iter()
            .find(|(_, cols)| {
                cols.first() == Some(&Value::Text("table".into()))
                    && cols.get(1) == Some(&Value::Text(name.into()))
            })
            .and_then(|(_, cols)| match cols.get(3) {
                Some(Value::Int(p)) => Some(*p),
                _ => None,
            })
            .ok_or_else(|| format!("no table {name}"))?;
        self.rows(usize::try_from(root).map_err(|_| "bad root page")?)
    }

    fn page(&self, number: usize) -> Result<&'a [u8], String> {
        let start = number
            .checked_sub(1)
            .and_then(|n| n.checked_mul(self.page_size))
            .ok_or("page 0")?;
        self.bytes
            .get(start..start + self.page_size)
            .ok_or_else(|| format!("page {number} past the end of the file"))
    }

    /// Walks a table b-tree from its root page.
    fn rows(&self, root: usize) -> Result<Vec<(i64, Vec<Value>)>, String> {
        let mut out = Vec::new();
        let mut stack = vec![root];
        // Each page is visited at most once in a sound tree; more means a cycle.
        let mut budget = self.bytes.len() / self.page_size + 1;
        while let Some(number) = stack.pop() {
            budget = budget.checked_sub(1).ok_or("page cycle in the b-tree")?;
            let page = self.page(number)?;
            let base = if number == 1 { 100 } else { 0 };
            let kind = *page.get(base).ok_or("short page")?;
            let cells = be16(page, base + 3)? as usize;
            let header = if kind == 0x05 { 12 } else { 8 };
            let pointer = |i: usize| -> Result<usize, String> {
                Ok(be16(page, base + header + 2 * i)? as usize)
            };
            match kind {
                0x05 => {
                    // Interior: children in key order; pushed reversed so rows come sorted.
                    let right = be32(page, base + 8)? as usize;
                    stack.push(right);
                    for i in (0..cells).rev() {
                        stack.push(be32(page, pointer(i)?)? as usize);
                    }
                }
                0x0d => {
                    for i in 0..cells {
                        let mut at = pointer(i)?;
                        let payload = varint(page, &mut at)? as usize;
                        let rowid = varint(page, &mut at)? as i64;
                        let record = self.payload(page, at, payload)?;
                        out.push((rowid, decode_record(&record)?));
                    }
                }
                k => return Err(format!("page {number}: not a table b-tree page ({k:#x})")),
            }
        }
        Ok(out)
    }

    /// A cell's payload, following overflow pages.
    fn payload(&self, page: &[u8], at: usize, size: usize) -> Result<Vec<u8>, String> {
        if size > self.bytes.len() {
            return Err("payload larger than the file".into());
        }
        let u = self.usable;
        let max_local = u - 35;
        let local = if size <= max_local {
            size
        } else {
            let min = (u - 12) * 32 / 255 - 23;
            let k = min + (size - min) % (u - 4);
            if k <= max_local {
                k
            } else {
                min
            }
        };
        let mut out = Vec::with_capacity(size);
        out.extend_from_slice(page.get(at..at + local).ok_or("cell past the page")?);
        let mut next = if local < size {
            be32(page, at + local)? as usize
        } else {
            0
        };
        while out.len() < size {
            if next == 0 {
                return Err("overflow chain ends early".into());
            }
            let overflow = self.page(next)?;
            let take = (size - out.len()).min(u - 4);
            out.extend_from_slice(overflow.get(4..4 + take).ok_or("short overflow page")?);
            next = be32(overflow, 0)? as usize;
        }
        Ok(out)
    }
}

fn decode_record(record: &[u8]) -> Result<Vec<Value>, String> {
    let mut at = 0;
    let header_len = varint(record, &mut at)? as usize;
    let mut types = Vec::new();
    while at < header_len {
        types.push(varint(record, &mut at)?);
    }
    let mut body = header_len;
    let mut values = Vec::with_capacity(types.len());
    for t in types {
        let len = match t {
            0 | 8 | 9 => 0,
            1..=4 => t as usize,
            5 => 6,
            6 | 7 => 8,
            t if t >= 12 => ((t - 12) / 2) as usize,
            t => return Err(format!("bad serial type {t}")),
        };
        let bytes = record
            .get(body..body.checked_add(len).ok_or("overflow")?)
            .ok_or("record shorter than its header")?;
        values.push(match t {
            0 | 7 => Value::Null, // floats: rpm's tables have none
            8 => Value::Int(0),
            9 => Value::Int(1),
            1..=6 => int(bytes),
            t if t % 2 == 0 => Value::Blob(bytes.to_vec()),
            _ => Value::Text(String::from_utf8_lossy(bytes).into_owned()),
        });
        body += len;
    }
    Ok(values)
}

fn int(b: &[u8]) -> Value {
    let mut v: i64 = if b.first().is_some_and(|x| x & 0x80 != 0) {
        -1
    } else {
        0
    };
    for &x in b {
        v = (v << 8) | x as i64;
    }
    Value::Int(v)
}

fn varint(b: &[u8], at: &mut usize) -> Result<u64, String> {
    let mut v: u64 = 0;
    for i in 0..9 {
        let x = *b.get(*at).ok_or("varint past the end")?;
        *at += 1;
        if i == 8 {
            return Ok((v << 8) | x as u64);
        }
        v = (v << 7) | (x & 0x7f) as u64;
        if x & 0x80 == 0 {
            return Ok(v);
        }
    }
    Ok(v)
}

fn be16(b: &[u8], at: usize) -> Result<u16, String> {
    b.get(at..at + 2)
        .map(|s| u16::from_be_bytes([s[0], s[1]]))
        .ok_or_else(|| "short page".to_string())
}

fn be32(b: &[u8], at: usize) -> Result<u32, String> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| "short page".to_string())
}
