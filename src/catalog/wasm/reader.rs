//! A minimal, bounds-checked reader of the wasm binary format: custom sections, imports,
//! exports and data segments. Everything else is skipped by its length prefix.

pub struct Module<'data> {
    pub customs: Vec<(String, &'data [u8])>,
    pub imports: Vec<Import>,
    pub exports: Vec<Export>,
    /// Data segments with their linear-memory offset (`None` for passive segments or
    /// offsets that are not constants).
    pub data: Vec<(Option<u64>, &'data [u8])>,
    pub memory64: bool,
}

pub struct Import {
    pub module: String,
    pub name: String,
    /// `func`, `table`, `memory`, `global`, `tag`.
    pub kind: &'static str,
}

pub struct Export {
    pub name: String,
    pub kind: &'static str,
}

impl<'data> Module<'data> {
    pub fn custom(&self, name: &str) -> Option<&'data [u8]> {
        self.customs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| *b)
    }
}

/// Far more entries than any real module has; counts beyond are corrupt.
const MAX_ENTRIES: u64 = 1_000_000;

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn byte(&mut self) -> Result<u8, String> {
        let b = *self.bytes.get(self.at).ok_or("unexpected end")?;
        self.at += 1;
        Ok(b)
    }

    fn leb(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for i in 0..10 {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                return Ok(v);
            }
        }
        Err("LEB128 too long".into())
    }

    fn take(&mut self, n: u64) -> Result<&'a [u8], String> {
        let n = usize::try_from(n).map_err(|_| "length too large")?;
        let end = self.at.checked_add(n).ok_or("length overflow")?;
        let s = self.bytes.get(self.at..end).ok_or("length past the end")?;
        self.at = end;
        Ok(s)
    }

    fn name(&mut self) -> Result<String, String> {
        let n = self.leb()?;
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }

    fn count(&mut self) -> Result<u64, String> {
        let n = self.leb()?;
        if n > MAX_ENTRIES {
            return Err(format!("count {n} is not plausible"));
        }
        Ok(n)
    }

    fn limits(&mut self) -> Result<bool, String> {
        let flags = self.byte()?;
        self.leb()?;
        if flags & 1 != 0 {
            self.leb()?;
        }
        Ok(flags & 4 != 0)
    }

    /// A constant expression: one instruction with one immediate, then `end`. Returns the
    /// value of an `i32.const`/`i64.const` (as unsigned: memory offsets are).
    fn const_expr(&mut self) -> Result<Option<u64>, String> {
        let op = self.byte()?;
        let v = self.leb()?;
        if self.byte()? != 0x0b {
            return Err("unsupported constant expression".into());
        }
        Ok(matches!(op, 0x41 | 0x42).then_some(v))
    }
}

pub fn parse(bytes: &[u8]) -> Result<Module<'_>, String> {
    if bytes.get(..4) != Some(b"\0asm") {
        return Err("no \\0asm magic".into());
    }
    if bytes.get(4..8) != Some(&[1, 0, 0, 0][..]) {
        return Err("not a core wasm module (version 1)".into());
    }
    let mut m = Module {
        customs: Vec::new(),
        imports: Vec::new(),
        exports: Vec::new(),
        data: Vec::new(),
        memory64: false,
    };
    let mut c = Cursor { bytes, at: 8 };
    while c.at < bytes.len() {
        let id = c.byte()?;
        let len = c.leb()?;
        let body = c.take(len)?;
        let mut s = Cursor { bytes: body, at: 0 };
        match id {
            0 => {
                let name = s.name()?;
                m.customs.push((name, &body[s.at..]));
            }
            2 => {
                for _ in 0..s.count()? {
                    let module = s.name()?;
                    let name = s.name()?;
                    let kind = match s.byte()? {
                        0 => {
                            s.leb()?;
                            "func"
                        }
                        1 => {
                            s.byte()?;
                            s.limits()?;
                            "table"
                        }
                        2 => {
                            m.memory64 |= s.limits()?;
                            "memory"
                        }
                        3 => {
                            s.byte()?;
                            s.byte()?;
                            "global"
                        }
                        4 => {
                            s.byte()?;
                            s.leb()?;
                            "tag"
                        }
                        k => return Err(format!("unknown import kind {k}")),
                    };
                    m.imports.push(Import { module, name, kind });
                }
            }
            5 => {
                for _ in 0..s.count()? {
                    m.memory64 |= s.limits()?;
                }
            }
            7 => {
                for _ in 0..s.count()? {
                    let name = s.name()?;
                    let kind = match s.byte()? {
                        0 => "func",
                        1 => "table",
                        2 => "memory",
                        3 => "global",
                        4 => "tag",
                        k => return Err(format!("unknown export kind {k}")),
                    };
                    s.leb()?;
                    m.exports.push(Export { name, kind });
                }
            }
            11 => {
                for _ in 0..s.count()? {
                    let offset = match s.leb()? {
                        0 => s.const_expr()?,
                        1 => None,
                        2 => {
                            s.leb()?;
                            s.const_expr()?
                        }
                        f => return Err(format!("unknown data segment flags {f}")),
                    };
                    let n = s.leb()?;
                    m.data.push((offset, s.take(n)?));
                }
            }
            _ => {}
        }
    }
    Ok(m)
}

/// Linear-memory bytes laid out from the active data segments (zeros in the gaps), so
/// structures split across segments (Go's linker splits at runs of zeros) are whole again.
/// `None` when the layout would exceed `max` bytes.
pub fn memory_image(m: &Module<'_>, max: u64) -> Option<Vec<u8>> {
    let mut end = 0u64;
    for (offset, bytes) in &m.data {
        end = end.max(offset.unwrap_or(0).checked_add(bytes.len() as u64)?);
    }
    if end > max {
        return None;
    }
    let mut image = vec![0u8; usize::try_from(end).ok()?];
    for (offset, bytes) in &m.data {
        if let Some(o) = offset {
            let o = usize::try_from(*o).ok()?;
            image.get_mut(o..o + bytes.len())?.copy_from_slice(bytes);
        }
    }
    Some(image)
}

/// One `producers` field (`language`, `processed-by`, `sdk`) and its (name, version) pairs.
pub type ProducerField = (String, Vec<(String, String)>);

/// The `producers` custom section.
pub fn producers(bytes: &[u8]) -> Result<Vec<ProducerField>, String> {
    let mut c = Cursor { bytes, at: 0 };
    let mut fields = Vec::new();
    for _ in 0..c.count()? {
        let field = c.name()?;
        let mut values = Vec::new();
        for _ in 0..c.count()? {
            values.push((c.name()?, c.name()?));
        }
        fields.push((field, values));
    }
    Ok(fields)
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_custom_sections_and_refuses_garbage() {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        // custom "producers": 1 field "language" with ("Rust", "")
        let mut body = vec![9];
        body.extend_from_slice(b"producers");
        body.extend_from_slice(&[1, 8]);
        body.extend_from_slice(b"language");
        body.extend_from_slice(&[1, 4]);
        body.extend_from_slice(b"Rust");
        body.push(0);
        m.push(0);
        m.push(body.len() as u8);
        m.extend_from_slice(&body);
        let module = super::parse(&m).unwrap();
        let p = super::producers(module.custom("producers").unwrap()).unwrap();
        assert_eq!(p[0].0, "language");
        assert_eq!(p[0].1[0].0, "Rust");
        let mut bad = m.clone();
        bad.extend_from_slice(&[7, 0xff, 0xff, 0xff, 0x7f]);
        assert!(super::parse(&bad).is_err());
    }
}
