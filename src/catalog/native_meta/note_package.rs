//! The ELF `.note.package` note: JSON package metadata written by Fedora's and systemd's
//! builds (`ld --package-metadata`). Spec: <https://systemd.io/ELF_PACKAGE_METADATA/>.

use object::{Object, ObjectSection};

/// Note owner and type of the package-metadata note.
const OWNER: &[u8] = b"FDO";
const NT_FDO_PACKAGING_METADATA: u32 = 0xcafe_1a7e;
/// The JSON is a few hundred bytes; bound it anyway.
const MAX_JSON: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageNote {
    /// `rpm`, `deb`, …
    pub kind: String,
    pub name: String,
    pub version: Option<String>,
    pub os: Option<String>,
    pub architecture: Option<String>,
    /// The other string fields (`osCpe`, `osVersion`, `debugInfoUrl`, …), sorted.
    pub extra: Vec<(String, String)>,
}

impl PackageNote {
    /// `pkg:rpm/fedora/name@1.0-1.fc39?arch=x86_64`, `pkg:deb/debian/…`, else `pkg:generic/…`.
    pub fn purl(&self) -> String {
        let enc = crate::purl::encode_segment;
        let mut p = match (self.kind.as_str(), &self.os) {
            ("rpm" | "deb" | "apk" | "alpm", Some(os)) => {
                format!(
                    "pkg:{}/{}/{}",
                    self.kind,
                    enc(&os.to_lowercase()),
                    enc(&self.name)
                )
            }
            _ => format!("pkg:generic/{}", enc(&self.name)),
        };
        if let Some(v) = &self.version {
            p.push('@');
            p.push_str(&enc(v));
        }
        if let Some(a) = &self.architecture {
            p.push_str("?arch=");
            p.push_str(&enc(a));
        }
        p
    }
}

/// Reads the note; `Ok(None)` when absent, `Err` when present but unreadable.
pub fn read(file: &object::File<'_>) -> Result<Option<PackageNote>, String> {
    if !matches!(file, object::File::Elf32(_) | object::File::Elf64(_)) {
        return Ok(None);
    }
    let Some(data) = file
        .section_by_name(".note.package")
        .and_then(|s| s.data().ok())
    else {
        return Ok(None);
    };
    let little = file.is_little_endian();
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = data.get(at..at + 4)?.try_into().ok()?;
        Some(if little {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let align4 = |n: usize| n.checked_add(3).map(|n| n & !3);
    let mut at = 0usize;
    while at + 12 <= data.len() {
        let bad = || ".note.package: truncated note".to_string();
        let namesz = u32_at(at).ok_or_else(bad)? as usize;
        let descsz = u32_at(at + 4).ok_or_else(bad)? as usize;
        let kind = u32_at(at + 8).ok_or_else(bad)?;
        let name_start = at + 12;
        let desc_start = align4(name_start.checked_add(namesz).ok_or_else(bad)?).ok_or_else(bad)?;
        let desc_end = desc_start.checked_add(descsz).ok_or_else(bad)?;
        let name = data.get(name_start..name_start + namesz).ok_or_else(bad)?;
        let desc = data.get(desc_start..desc_end).ok_or_else(bad)?;
        if kind == NT_FDO_PACKAGING_METADATA && name.strip_suffix(b"\0").unwrap_or(name) == OWNER {
            // The JSON is NUL-terminated and the note padded with more NULs.
            let json = &desc[..desc.iter().position(|&b| b == 0).unwrap_or(desc.len())];
            if json.len() > MAX_JSON {
                return Err(format!(".note.package: JSON larger than {MAX_JSON} bytes"));
            }
            return parse(json).map(Some);
        }
        at = align4(desc_end).ok_or_else(bad)?;
    }
    Ok(None)
}

fn parse(json: &[u8]) -> Result<PackageNote, String> {
    let value: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| format!(".note.package: malformed JSON: {e}"))?;
    let obj = value
        .as_object()
        .ok_or(".note.package: JSON is not an object")?;
    let get = |k: &str| obj.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let name = get("name").ok_or(".note.package: no \"name\"")?;
    let known = ["type", "name", "version", "os", "architecture"];
    let extra = obj
        .iter()
        .filter(|(k, _)| !known.contains(&k.as_str()))
        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
        .collect();
    Ok(PackageNote {
        kind: get("type").unwrap_or_else(|| "unknown".into()),
        name,
        version: get("version"),
        os: get("os"),
        architecture: get("architecture"),
        extra,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn purls_by_type() {
        let n = super::parse(br#"{"type":"rpm","os":"fedora","name":"systemd","version":"254-1.fc39","architecture":"x86_64","osCpe":"cpe:/o:fedoraproject:fedora:39"}"#).unwrap();
        assert_eq!(n.purl(), "pkg:rpm/fedora/systemd@254-1.fc39?arch=x86_64");
        assert_eq!(
            n.extra,
            vec![("osCpe".into(), "cpe:/o:fedoraproject:fedora:39".into())]
        );
    }
}
