//! A small reader for XML property lists (what xbps writes): dict, array, string, integer,
//! true/false, data, date. Bounded nesting; malformed input is an error, never a panic.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Dict(BTreeMap<String, Value>),
    Array(Vec<Value>),
    String(String),
    Other,
}

impl Value {
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Dict(d) => d.get(key),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

const MAX_DEPTH: usize = 32;

pub fn parse(text: &str) -> Result<Value, String> {
    let mut p = Parser { s: text, pos: 0 };
    loop {
        let tag = p.next_tag().ok_or("no <plist> element")?;
        if tag.starts_with("plist") {
            break;
        }
    }
    p.value(0)
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    /// The next element tag's inside (`dict`, `/dict`, `true/`), skipping `<?…?>`, `<!…>`.
    fn next_tag(&mut self) -> Option<&'a str> {
        loop {
            let start = self.pos + self.s.get(self.pos..)?.find('<')?;
            let end = start + self.s.get(start..)?.find('>')?;
            self.pos = end + 1;
            let inner = self.s.get(start + 1..end)?.trim();
            if !inner.starts_with('?') && !inner.starts_with('!') {
                return Some(inner);
            }
        }
    }

    /// Text up to the closing `</name>`.
    fn text_until(&mut self, name: &str) -> Result<String, String> {
        let close = format!("</{name}>");
        let rest = self.s.get(self.pos..).ok_or("truncated")?;
        let end = rest
            .find(&close)
            .ok_or_else(|| format!("unclosed <{name}>"))?;
        let text = unescape(&rest[..end]);
        self.pos += end + close.len();
        Ok(text)
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        let tag = self.next_tag().ok_or("truncated plist")?;
        self.value_for(tag, depth)
    }

    fn value_for(&mut self, tag: &str, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("plist nested too deeply".into());
        }
        match tag {
            "dict" => {
                let mut map = BTreeMap::new();
                loop {
                    match self.next_tag().ok_or("unclosed <dict>")? {
                        "/dict" => return Ok(Value::Dict(map)),
                        "key" => {
                            let key = self.text_until("key")?;
                            let v = self.value(depth + 1)?;
                            map.insert(key, v);
                        }
                        other => return Err(format!("unexpected <{other}> in <dict>")),
                    }
                }
            }
            "array" => {
                let mut items = Vec::new();
                loop {
                    match self.next_tag().ok_or("unclosed <array>")? {
                        "/array" => return Ok(Value::Array(items)),
                        t => items.push(self.value_for(t, depth + 1)?),
                    }
                }
            }
            "dict/" => Ok(Value::Dict(BTreeMap::new())),
            "array/" => Ok(Value::Array(Vec::new())),
            "string/" => Ok(Value::String(String::new())),
            "string" => Ok(Value::String(self.text_until("string")?)),
            "true/" | "false/" => Ok(Value::Other),
            "integer" | "real" | "data" | "date" => {
                self.text_until(tag)?;
                Ok(Value::Other)
            }
            other => Err(format!("unexpected <{other}>")),
        }
    }
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_nested() {
        let v = super::parse("<?xml version=\"1.0\"?><!DOCTYPE plist><plist version=\"1.0\"><dict><key>a</key><dict><key>b</key><string>x &amp; y</string><key>n</key><integer>3</integer><key>l</key><array><string>1</string><true/></array></dict></dict></plist>").unwrap();
        assert_eq!(
            v.get("a").and_then(|a| a.get("b")).and_then(|b| b.as_str()),
            Some("x & y")
        );
        assert!(super::parse("<plist><dict><key>a</key>").is_err());
    }
}
