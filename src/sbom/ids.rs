//! Identifiers derived from content, so the same input always gives the same documents.

use crate::hash;

/// A name-based UUID (RFC 4122 layout, version 5 bits) from the SHA-256 of `content`.
pub fn content_uuid(content: &[u8]) -> String {
    let digest = hash::sha256_hex(content);
    let mut b: Vec<u8> = (0..16)
        .map(|i| u8::from_str_radix(&digest[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect();
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hash::hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// An SPDX element id: `SPDXRef-<kind>-<readable part>-<8 hex of the internal id>`. Only
/// letters, digits, `.` and `-` are allowed; the hash keeps ids unique after sanitising.
pub fn spdx_id(kind: &str, readable: &str, internal_id: &str) -> String {
    let mut clean: String = readable
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    clean.truncate(80);
    let clean = clean.trim_matches('-');
    let h = &hash::sha256_hex(internal_id.as_bytes())[..8];
    format!("SPDXRef-{kind}-{clean}-{h}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_stable_and_clean() {
        let a = super::spdx_id("File", "./bin/my tool", "file:./bin/my tool");
        assert!(a.starts_with("SPDXRef-File-.-bin-my-tool-"), "{a}");
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'));
        assert_eq!(super::content_uuid(b"x"), super::content_uuid(b"x"));
        assert_eq!(super::content_uuid(b"x").len(), 36);
    }
}
