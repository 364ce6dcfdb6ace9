//! Go string quoting, as far as build settings need it: `strconv.QuotedPrefix`,
//! `strconv.Unquote` for double-quoted and back-quoted strings, and the rules that decide
//! when the linker must quote a key or value (`runtime/debug`'s `quoteKey`/`quoteValue`).

/// A key must be quoted if empty or containing `=`, space, tab, CR, LF, `"` or backquote.
pub fn key_needs_quoting(key: &str) -> bool {
    key.is_empty() || key.contains(['=', ' ', '\t', '\r', '\n', '"', '`'])
}

/// A value must be quoted if it contains space, tab, CR, LF, `"` or backquote.
pub fn value_needs_quoting(value: &str) -> bool {
    value.contains([' ', '\t', '\r', '\n', '"', '`'])
}

/// The quoted string at the start of `s` (including its quotes), as `strconv.QuotedPrefix`.
pub fn quoted_prefix(s: &str) -> Option<&str> {
    let bytes = s.as_bytes();
    match bytes.first()? {
        b'`' => {
            let end = s[1..].find('`')? + 2;
            Some(&s[..end])
        }
        b'"' => {
            let mut i = 1;
            while i < bytes.len() {
                match bytes[i] {
                    b'"' => return Some(&s[..=i]),
                    b'\\' => i += 2,
                    b'\n' => return None,
                    _ => i += 1,
                }
            }
            None
        }
        _ => None,
    }
}

/// Decodes a complete Go string literal; `None` when it is not exactly one valid literal.
pub fn unquote(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    if bytes.len() < 2 {
        return None;
    }
    let (first, last) = (bytes[0], bytes[bytes.len() - 1]);
    let inner = &s[1..s.len() - 1];
    match (first, last) {
        (b'`', b'`') => (!inner.contains('`')).then(|| inner.replace('\r', "")),
        (b'"', b'"') => unquote_double(inner),
        _ => None,
    }
}

fn unquote_double(inner: &str) -> Option<String> {
    if inner.contains('\n') {
        return None;
    }
    // Escapes may produce arbitrary bytes (`\xff`): build bytes, then convert lossily, as
    // the SBOM needs text.
    let mut out: Vec<u8> = Vec::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return None, // an unescaped quote inside
            '\\' => {
                let e = chars.next()?;
                match e {
                    'a' => out.push(0x07),
                    'b' => out.push(0x08),
                    'f' => out.push(0x0c),
                    'n' => out.push(b'\n'),
                    'r' => out.push(b'\r'),
                    't' => out.push(b'\t'),
                    'v' => out.push(0x0b),
                    '\\' => out.push(b'\\'),
                    '"' => out.push(b'"'),
                    'x' => out.push(hex_digits(&mut chars, 2)? as u8),
                    'u' | 'U' => {
                        let n = if e == 'u' { 4 } else { 8 };
                        let ch = char::from_u32(hex_digits(&mut chars, n)?)?;
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                    }
                    '0'..='7' => {
                        let mut v = e.to_digit(8)?;
                        for _ in 0..2 {
                            v = v * 8 + chars.next()?.to_digit(8)?;
                        }
                        out.push(u8::try_from(v).ok()?);
                    }
                    _ => return None,
                }
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

fn hex_digits(chars: &mut std::str::Chars<'_>, n: usize) -> Option<u32> {
    let mut v = 0u32;
    for _ in 0..n {
        v = v.checked_mul(16)? + chars.next()?.to_digit(16)?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquotes_like_strconv() {
        assert_eq!(unquote(r#""a b""#).as_deref(), Some("a b"));
        assert_eq!(
            unquote(r#""tab\there \"q\" \x41\u00e9\101""#).as_deref(),
            Some("tab\there \"q\" AéA")
        );
        assert_eq!(unquote("`raw \\n`").as_deref(), Some("raw \\n"));
        assert_eq!(unquote(r#""bad\q""#), None);
        assert_eq!(unquote(r#""open"#), None);
        assert_eq!(unquote(r#""a"b""#), None);
        assert_eq!(unquote(r#""\400""#), None);
    }

    #[test]
    fn quoted_prefix_stops_at_closing_quote() {
        assert_eq!(quoted_prefix(r#""k\"x"=v"#), Some(r#""k\"x""#));
        assert_eq!(quoted_prefix(r#""unterminated"#), None);
        assert_eq!(quoted_prefix("`a`=b"), Some("`a`"));
    }
}
