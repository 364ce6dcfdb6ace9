//! The package license table: Go module or crate → SPDX expression, by version range.
//!
//! One format (license-db/FORMAT.md) for the bundled table (`license-db/packages.tsv`, compiled
//! in) and for site tables (`assay license-db build`, added with `--license-db FILE` or
//! `ASSAY_LICENSE_DB`). Rows are sorted lines looked up in place by binary search, so opening a
//! table costs only a scan of its short expression list: no start-up cost for a scan.

use std::cmp::Ordering;

use super::db::semver_cmp;

pub const MAGIC: &str = "assay-license-db 1";

/// What a row is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Go,
    Crate,
    /// A license file's SHA-256 (the verdict for those exact bytes).
    Text,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Go => "go",
            Kind::Crate => "crate",
            Kind::Text => "text",
        }
    }
}

/// A table over its text, held for the life of the process (the bundled one is static; a site
/// table is read once and leaked, as it is needed until exit).
pub struct Table {
    data: &'static str,
    expressions: Vec<&'static str>,
    /// Byte offset of the first row.
    rows: usize,
    /// Where the table came from, for `location`: "bundled" or the file's name.
    pub origin: String,
}

/// One row, borrowed from the table.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub name: &'a str,
    /// The oldest and newest version examined with this expression.
    pub first: &'a str,
    pub last: &'a str,
    pub expression: &'a str,
    pub confidence: f32,
    pub flags: &'a str,
    /// The files the expression was read from (comma-separated).
    pub evidence: &'a str,
}

/// How an answer relates to the version asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// The version is one that was examined.
    Exact,
    /// Between two examined versions that have the same license.
    InRange,
    /// Outside the examined versions (licenses rarely change, but sometimes do).
    OtherVersion,
    /// No row for the module: the parent module of the same repository, whose examined nested
    /// modules all share its license.
    ParentModule,
    /// No row for this major version: another major version, all examined ones agreeing.
    OtherMajor,
}

#[derive(Debug, Clone)]
pub struct Answer {
    pub expression: String,
    pub confidence: f32,
    pub fit: Fit,
    /// Human-readable: which table, which row.
    pub location: String,
    pub evidence: Vec<String>,
}

impl Fit {
    /// The `assay:license-method` value.
    pub fn method(self) -> &'static str {
        match self {
            Fit::Exact => "license-db",
            Fit::InRange => "license-db-range",
            Fit::OtherVersion => "license-db-other-version",
            Fit::ParentModule => "license-db-parent-module",
            Fit::OtherMajor => "license-db-other-major",
        }
    }

    /// The confidence ceiling for an answer of this kind: each step away from what was
    /// examined is less certain.
    fn ceiling(self) -> f32 {
        match self {
            Fit::Exact => 1.0,
            Fit::InRange => 0.95,
            Fit::OtherVersion => 0.85,
            Fit::ParentModule | Fit::OtherMajor => 0.7,
        }
    }
}

impl Table {
    /// Opens a table; checks the header and expression list, not the rows (each row is checked
    /// when read, and a malformed one is skipped).
    pub fn parse(data: &'static str, origin: &str) -> Result<Table, String> {
        let mut lines = LineIter { data, pos: 0 };
        let (_, first) = lines.next().ok_or("empty license table")?;
        if first.trim_end() != MAGIC {
            return Err(format!(
                "not a license table (first line must be `{MAGIC}`)"
            ));
        }
        let count = loop {
            let (_, line) = lines.next().ok_or("no `expressions N` line")?;
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let n = line
                .strip_prefix("expressions ")
                .and_then(|n| n.trim().parse::<usize>().ok())
                .ok_or_else(|| format!("expected `expressions N`, found `{line}`"))?;
            break n;
        };
        if count > 1 << 20 {
            return Err("too many expressions".into());
        }
        let mut expressions = Vec::with_capacity(count);
        for i in 0..count {
            let (_, line) = lines
                .next()
                .ok_or_else(|| format!("expression {i} missing"))?;
            expressions.push(line);
        }
        let (_, line) = lines.next().ok_or("no `rows` line")?;
        if !line.starts_with("rows") {
            return Err(format!("expected `rows N`, found `{line}`"));
        }
        Ok(Table {
            data,
            expressions,
            rows: lines.pos,
            origin: origin.to_string(),
        })
    }

    /// Reads a site table from a file.
    pub fn load(path: &std::path::Path) -> Result<Table, String> {
        let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
        if meta.len() > 256 << 20 {
            return Err(format!("{}: larger than 256 MiB", path.display()));
        }
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let text =
            String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", path.display()))?;
        let name = path.display().to_string();
        Table::parse(Box::leak(text.into_boxed_str()), &name)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn expressions(&self) -> &[&'static str] {
        &self.expressions
    }

    /// Every row, in order (for tests and `license-db build --merge`).
    pub fn all_rows(&self) -> impl Iterator<Item = (&'static str, Row<'static>)> + '_ {
        let exprs = &self.expressions;
        LineIter {
            data: self.data,
            pos: self.rows,
        }
        .filter_map(move |(_, l)| {
            let (kind, rest) = l.split_once('\t')?;
            Some((kind, parse_row(rest, exprs)?))
        })
    }

    /// The rows of one key, oldest first.
    pub fn rows(&self, kind: Kind, name: &str) -> Vec<Row<'static>> {
        let key = format!("{}\t{name}", kind.as_str());
        let bytes = self.data.as_bytes();
        // lower bound over line starts: the first line whose key is >= `key`
        let (mut lo, mut hi) = (self.rows, bytes.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let start = bytes[lo..mid]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(lo, |i| lo + i + 1);
            let end = line_end(bytes, start);
            if line_key(&self.data[start..end]).cmp(key.as_str()) == Ordering::Less {
                lo = (end + 1).min(bytes.len());
            } else {
                hi = start;
            }
        }
        let mut out = Vec::new();
        for (_, line) in (LineIter {
            data: self.data,
            pos: lo,
        }) {
            if line_key(line) != key {
                break;
            }
            if let Some(row) = line
                .split_once('\t')
                .and_then(|(_, rest)| parse_row(rest, &self.expressions))
            {
                out.push(row);
            }
        }
        out
    }

    /// The answer for `name` at `version` from this table alone.
    pub fn lookup(&self, kind: Kind, name: &str, version: Option<&str>) -> Option<Answer> {
        let rows = self.rows(kind, name);
        if !rows.is_empty() {
            return self.answer_rows(&rows, version);
        }
        if kind != Kind::Go {
            return None;
        }
        // another major version whose examined majors all agree (flag `m`)
        let base = major_base(name);
        for candidate in std::iter::once(base.to_string())
            .chain((2..=12).map(|n| format!("{base}/v{n}")))
            .filter(|c| c != name)
        {
            if let Some(row) = self.rows(Kind::Go, &candidate).last() {
                if row.flags.contains('m') {
                    return Some(self.answer(row, Fit::OtherMajor));
                }
            }
        }
        if base != name {
            return None; // `…/v3` is its own module, not a nested one
        }
        // a nested module: the nearest parent module in the table answers if its row says the
        // nested modules examined under it all share its license (flag `n`)
        let mut path = name;
        while let Some((parent, _)) = path.rsplit_once('/') {
            path = parent;
            if let Some(row) = self.rows(Kind::Go, parent).last() {
                return row
                    .flags
                    .contains('n')
                    .then(|| self.answer(row, Fit::ParentModule));
            }
        }
        None
    }

    fn answer_rows(&self, rows: &[Row<'static>], version: Option<&str>) -> Option<Answer> {
        let (first, last) = (rows.first()?, rows.last()?);
        let Some(v) = version else {
            // no version: only when every examined version agrees
            return rows
                .iter()
                .all(|r| r.expression == first.expression)
                .then(|| self.answer(last, Fit::OtherVersion));
        };
        for r in rows {
            if v == r.first || v == r.last {
                return Some(self.answer(r, Fit::Exact));
            }
            if semver_cmp(v, r.first).is_ge() && semver_cmp(v, r.last).is_le() {
                return Some(self.answer(r, Fit::InRange));
            }
        }
        if semver_cmp(v, last.last).is_gt() {
            return Some(self.answer(last, Fit::OtherVersion));
        }
        if semver_cmp(v, first.first).is_lt() {
            return Some(self.answer(first, Fit::OtherVersion));
        }
        None // between two rows: the license changed somewhere in that gap
    }

    fn answer(&self, row: &Row<'_>, fit: Fit) -> Answer {
        let span = if row.first == row.last {
            row.first.to_string()
        } else {
            format!("{}..{}", row.first, row.last)
        };
        Answer {
            expression: row.expression.to_string(),
            confidence: row.confidence.min(fit.ceiling()),
            fit,
            location: format!("license-db {} {}@{span}", self.origin, row.name),
            evidence: row
                .evidence
                .split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        }
    }
}

/// `github.com/a/b/v3` → `github.com/a/b`; `gopkg.in/yaml.v3` stays (its major is in the name).
fn major_base(path: &str) -> &str {
    match path.rsplit_once('/') {
        Some((base, last))
            if last.len() >= 2
                && last.starts_with('v')
                && last[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            base
        }
        _ => path,
    }
}

fn line_end(bytes: &[u8], start: usize) -> usize {
    memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i)
}

/// `kind<TAB>name`: the line up to its second tab.
fn line_key(line: &str) -> &str {
    let mut tabs = line.match_indices('\t').map(|(i, _)| i);
    let _ = tabs.next();
    match tabs.next() {
        Some(i) => &line[..i],
        None => line,
    }
}

fn parse_row<'a>(rest: &'a str, exprs: &[&'a str]) -> Option<Row<'a>> {
    let mut f = rest.split('\t');
    let name = f.next()?;
    let first = f.next()?;
    let last = f.next()?;
    let expression = exprs.get(f.next()?.parse::<usize>().ok()?)?;
    let confidence = f.next()?.parse::<f32>().ok()?.clamp(0.0, 1.0);
    let flags = f.next().unwrap_or("");
    let evidence = f.next().unwrap_or("");
    Some(Row {
        name,
        first,
        last,
        expression,
        confidence,
        flags,
        evidence,
    })
}

struct LineIter {
    data: &'static str,
    pos: usize,
}

impl Iterator for LineIter {
    type Item = (usize, &'static str);
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.data.len() {
            return None;
        }
        let start = self.pos;
        let end = line_end(self.data.as_bytes(), start);
        self.pos = end + 1;
        Some((start, self.data[start..end].trim_end_matches('\r')))
    }
}

/// A row to write (`assay license-db build`).
#[derive(Debug, Clone, PartialEq)]
pub struct NewRow {
    pub kind: Kind,
    pub name: String,
    pub first: String,
    pub last: String,
    pub expression: String,
    pub confidence: f32,
    pub flags: String,
    pub evidence: Vec<String>,
}

/// Writes rows in the table format: one row per examined version is merged with its
/// neighbours (same module, same expression, versions in order) into a range; the expression
/// list is sorted and deduplicated; rows are sorted by key, then version.
pub fn write(mut rows: Vec<NewRow>, comments: &[String]) -> String {
    rows.retain(|r| !r.name.contains(['\t', '\n']) && !r.expression.contains(['\t', '\n']));
    rows.sort_by(|a, b| {
        (a.kind.as_str(), a.name.as_str())
            .cmp(&(b.kind.as_str(), b.name.as_str()))
            .then_with(|| semver_cmp(&a.first, &b.first))
    });
    let mut merged: Vec<NewRow> = Vec::new();
    for r in rows {
        match merged.last_mut() {
            Some(m) if m.kind == r.kind && m.name == r.name && m.expression == r.expression => {
                if semver_cmp(&r.last, &m.last).is_gt() {
                    m.last = r.last;
                }
                m.confidence = m.confidence.min(r.confidence);
                for e in r.evidence {
                    if !m.evidence.contains(&e) {
                        m.evidence.push(e);
                    }
                }
            }
            _ => merged.push(r),
        }
    }
    let mut exprs: Vec<&str> = merged.iter().map(|r| r.expression.as_str()).collect();
    exprs.sort_unstable();
    exprs.dedup();
    let mut out = format!("{MAGIC}\n");
    for c in comments {
        for line in c.lines() {
            out.push_str(&format!("# {line}\n"));
        }
    }
    out.push_str(&format!("expressions {}\n", exprs.len()));
    for e in &exprs {
        out.push_str(e);
        out.push('\n');
    }
    out.push_str(&format!("rows {}\n", merged.len()));
    for r in &merged {
        let idx = exprs.binary_search(&r.expression.as_str()).unwrap_or(0);
        let evidence: Vec<String> = r
            .evidence
            .iter()
            .map(|e| e.replace([',', '\t', '\n'], "_"))
            .collect();
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{idx}\t{:.2}\t{}\t{}\n",
            r.kind.as_str(),
            r.name,
            r.first,
            r.last,
            r.confidence,
            r.flags,
            evidence.join(",")
        ));
    }
    out
}

impl Answer {
    /// As a resolver result: `LicenseDb` when the examined version matches or lies inside a
    /// range, `LicenseDbOtherVersion` otherwise.
    pub fn into_component_license(self) -> super::ComponentLicense {
        let source = match self.fit {
            Fit::Exact | Fit::InRange => super::LicenseSource::LicenseDb,
            _ => super::LicenseSource::LicenseDbOtherVersion,
        };
        super::ComponentLicense {
            source,
            location: Some(self.location),
            confidence: self.confidence,
            method: self.fit.method().into(),
            evidence: self
                .evidence
                .into_iter()
                .map(|file| super::LicenseEvidence {
                    file,
                    sha256: None,
                    expression: Some(self.expression.clone()),
                })
                .collect(),
            expression: Some(self.expression),
            extracted: Vec::new(),
            file_texts: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str =
        "assay-license-db 1\n# test\nexpressions 3\nMIT\nBUSL-1.1\nMPL-2.0\nrows 7\n\
crate\tserde\t0.1.0\t1.0.200\t0\t1.00\t\tCargo.toml\n\
go\tgithub.com/a/b\tv1.0.0\tv1.1.0\t0\t0.98\tnm\tLICENSE\n\
go\tgithub.com/a/b/v2\tv2.0.0\tv2.0.0\t0\t0.98\tm\tLICENSE\n\
go\tgithub.com/h/t\tv1.0.0\tv1.5.7\t2\t1.00\t\tLICENSE\n\
go\tgithub.com/h/t\tv1.6.0\tv1.9.0\t1\t1.00\t\tLICENSE\n\
go\tgithub.com/h/t-x\tv0.1.0\tv0.1.0\t0\t1.00\t\tLICENSE\n\
go\tgithub.com/h/v\tv1.0.0\tv1.0.0\t2\t1.00\t\tLICENSE\n";

    fn table() -> Table {
        Table::parse(SAMPLE, "test").unwrap()
    }

    #[test]
    fn ranges_answer_only_where_they_hold() {
        let t = table();
        let at = |v: &str| t.lookup(Kind::Go, "github.com/h/t", Some(v));
        assert_eq!(at("v1.5.7").unwrap().expression, "MPL-2.0");
        assert_eq!(at("v1.5.7").unwrap().fit, Fit::Exact);
        assert_eq!(at("v1.2.0").unwrap().fit, Fit::InRange);
        assert_eq!(at("v1.7.0").unwrap().expression, "BUSL-1.1");
        assert_eq!(at("v2.0.0").unwrap().fit, Fit::OtherVersion);
        assert!(at("v1.5.9").is_none(), "the license changed in this gap");
        assert!(t.lookup(Kind::Go, "github.com/h/t", None).is_none());
        assert_eq!(
            t.lookup(Kind::Crate, "serde", Some("1.0.100"))
                .unwrap()
                .confidence,
            0.95
        );
        assert!(t.lookup(Kind::Crate, "serde_json", Some("1.0.0")).is_none());
    }

    #[test]
    fn nested_and_other_majors_need_evidence() {
        let t = table();
        let nested = t
            .lookup(Kind::Go, "github.com/a/b/sub/pkg", Some("v0.1.0"))
            .unwrap();
        assert_eq!((nested.fit, nested.confidence), (Fit::ParentModule, 0.7));
        // github.com/h/t has no `n` flag: nothing for its nested modules
        assert!(t
            .lookup(Kind::Go, "github.com/h/t/api", Some("v1.0.0"))
            .is_none());
        let major = t.lookup(Kind::Go, "github.com/a/b/v3", Some("v3.0.0"));
        assert_eq!(major.unwrap().fit, Fit::OtherMajor);
        assert!(t
            .lookup(Kind::Go, "github.com/h/v/v2", Some("v2.0.0"))
            .is_none());
        assert!(t
            .lookup(Kind::Go, "github.com/zzz", Some("v1.0.0"))
            .is_none());
        assert!(t.lookup(Kind::Go, "a", Some("v1.0.0")).is_none());
    }

    #[test]
    fn written_tables_read_back_with_ranges() {
        let row = |name: &str, v: &str, e: &str| NewRow {
            kind: Kind::Go,
            name: name.into(),
            first: v.into(),
            last: v.into(),
            expression: e.into(),
            confidence: 1.0,
            flags: String::new(),
            evidence: vec!["LICENSE".into()],
        };
        let text = write(
            vec![
                row("example.com/m", "v1.10.0", "BUSL-1.1"),
                row("example.com/m", "v1.2.0", "MPL-2.0"),
                row("example.com/m", "v1.0.0", "MPL-2.0"),
                row("example.com/a", "v0.1.0", "MIT"),
            ],
            &["test".into()],
        );
        let t = Table::parse(Box::leak(text.into_boxed_str()), "site").unwrap();
        assert_eq!(t.expressions(), ["BUSL-1.1", "MIT", "MPL-2.0"]);
        let rows = t.rows(Kind::Go, "example.com/m");
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].first, rows[0].last), ("v1.0.0", "v1.2.0"));
        let a = t.lookup(Kind::Go, "example.com/m", Some("v1.1.0")).unwrap();
        assert_eq!((a.expression.as_str(), a.fit), ("MPL-2.0", Fit::InRange));
        assert!(t
            .lookup(Kind::Go, "example.com/m", Some("v1.5.0"))
            .is_none());
        assert_eq!(
            t.lookup(Kind::Go, "example.com/a", Some("v0.1.0"))
                .unwrap()
                .fit,
            Fit::Exact
        );
    }

    #[test]
    fn bad_tables_are_errors() {
        assert!(Table::parse("", "x").is_err());
        assert!(Table::parse("something else\n", "x").is_err());
        assert!(Table::parse("assay-license-db 1\nexpressions 5\nMIT\n", "x").is_err());
        // a malformed row is skipped, not a panic
        let t = Table::parse(
            "assay-license-db 1\nexpressions 1\nMIT\nrows 2\ngo\tx\tv1\tv1\t9\t1\n\ngo\ty\n",
            "x",
        )
        .unwrap();
        assert!(t.lookup(Kind::Go, "x", Some("v1")).is_none());
        assert!(t.lookup(Kind::Go, "y", Some("v1")).is_none());
    }
}
