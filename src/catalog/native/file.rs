//! Reading the linkage of a whole file: format detection and fat/archive slices come from
//! [`crate::binary`]; each slice is parsed and read with [`super::read`].

use serde::Serialize;

use super::Linkage;
use crate::binary::{self, Format};

/// The linkage of every object image in one file.
#[derive(Debug, Clone, Serialize)]
pub struct FileLinkage {
    pub format: Format,
    pub slices: Vec<SliceLinkage>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SliceLinkage {
    /// Architecture (Go vocabulary: `amd64`, `arm64`…), when the headers say.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Fat slice label or archive member name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(flatten)]
    pub linkage: Linkage,
}

/// Reads a file's bytes and the linkage of each image in it. Errors only when nothing could
/// be read (not a binary, unreadable, every slice malformed); problems with single tables
/// are inside each slice's `problems`.
pub fn read_path(path: &std::path::Path) -> Result<FileLinkage, String> {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    read_bytes(&data).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn read_bytes(data: &[u8]) -> Result<FileLinkage, String> {
    let head = &data[..data.len().min(binary::MAGIC_LEN)];
    let format = binary::detect(head).ok_or("not an ELF, Mach-O or PE file")?;
    let (slices, errors) = binary::slices(format, data);
    let mut out = FileLinkage {
        format,
        slices: Vec::new(),
    };
    let mut failures: Vec<String> = errors
        .into_iter()
        .map(|e| match e.label {
            Some(l) => format!("[{l}] {}", e.message),
            None => e.message,
        })
        .collect();
    for slice in slices {
        match object::File::parse(slice.data) {
            Ok(file) => out.slices.push(SliceLinkage {
                arch: Some(binary::describe(&file).arch),
                label: slice.label,
                linkage: super::read(&file),
            }),
            Err(e) => failures.push(match slice.label {
                Some(l) => format!("[{l}] malformed: {e}"),
                None => format!("malformed {}: {e}", format.as_str()),
            }),
        }
    }
    if out.slices.is_empty() {
        return Err(if failures.is_empty() {
            "no object images".to_string()
        } else {
            failures.join("; ")
        });
    }
    // A bad slice next to good ones is reported in the first good slice's problems.
    if let Some(first) = out.slices.first_mut() {
        first.linkage.problems.extend(failures);
    }
    Ok(out)
}
