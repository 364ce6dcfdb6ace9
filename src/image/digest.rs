//! Content digests (`sha256:<hex>`, `sha512:<hex>`) and a reader that checks one while the
//! bytes stream through it, so no blob is trusted before its digest and size are confirmed.

use std::io::{self, Read};

use sha2::Digest as _;

/// A validated digest. Validation also makes it safe as a file name (`blobs/<alg>/<hex>`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Digest {
    pub algorithm: &'static str,
    pub hex: String,
}

impl Digest {
    pub fn parse(s: &str) -> anyhow::Result<Digest> {
        let (alg, hex) = s
            .split_once(':')
            .ok_or_else(|| anyhow::anyhow!("malformed digest {s:?}: expected ALGORITHM:HEX"))?;
        let (algorithm, len) = match alg {
            "sha256" => ("sha256", 64),
            "sha512" => ("sha512", 128),
            _ => anyhow::bail!("unsupported digest algorithm in {s:?} (sha256 and sha512 are)"),
        };
        if hex.len() != len
            || !hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        {
            anyhow::bail!("malformed digest {s:?}: expected {len} lower-case hex digits");
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_string(),
        })
    }

    pub fn sha256_of(bytes: &[u8]) -> Digest {
        Digest {
            algorithm: "sha256",
            hex: crate::hash::sha256_hex(bytes),
        }
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.algorithm, self.hex)
    }
}

enum Hasher {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

/// Wraps a blob's byte stream: counts and hashes what passes, fails as soon as the stream
/// is longer than expected, and [`VerifyingReader::finish`] checks size and digest.
pub struct VerifyingReader<R> {
    inner: R,
    what: String,
    expected: Digest,
    expected_size: Option<u64>,
    seen: u64,
    hasher: Hasher,
}

impl<R: Read> VerifyingReader<R> {
    /// `what` names the blob in errors (e.g. `layer sha256:…`).
    pub fn new(inner: R, what: String, expected: Digest, expected_size: Option<u64>) -> Self {
        let hasher = match expected.algorithm {
            "sha512" => Hasher::Sha512(sha2::Sha512::new()),
            _ => Hasher::Sha256(sha2::Sha256::new()),
        };
        VerifyingReader {
            inner,
            what,
            expected,
            expected_size,
            seen: 0,
            hasher,
        }
    }

    /// Reads whatever is left, then checks size and digest.
    pub fn finish(mut self) -> anyhow::Result<()> {
        io::copy(&mut self, &mut io::sink()).map_err(|e| anyhow::anyhow!("{}: {e}", self.what))?;
        if let Some(size) = self.expected_size {
            if self.seen != size {
                anyhow::bail!(
                    "{}: size mismatch: the manifest says {size} bytes, the blob has {} (truncated or corrupted); nothing from this image is reported",
                    self.what,
                    self.seen
                );
            }
        }
        let actual = match self.hasher {
            Hasher::Sha256(h) => crate::hash::hex(&h.finalize()),
            Hasher::Sha512(h) => crate::hash::hex(&h.finalize()),
        };
        if actual != self.expected.hex {
            anyhow::bail!(
                "{}: digest mismatch: content hashes to {}:{actual}; the blob is corrupted or was tampered with; nothing from this image is reported",
                self.what,
                self.expected.algorithm
            );
        }
        Ok(())
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.seen += n as u64;
        if let Some(size) = self.expected_size {
            if self.seen > size {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("longer than the {size} bytes the manifest declares"),
                ));
            }
        }
        match &mut self.hasher {
            Hasher::Sha256(h) => h.update(&buf[..n]),
            Hasher::Sha512(h) => h.update(&buf[..n]),
        }
        Ok(n)
    }
}

/// Reads a small blob (manifest, index, config) completely and verifies it; `max` bounds
/// what is read whatever the descriptor claims.
pub fn read_verified(
    reader: impl Read,
    what: &str,
    expected: &Digest,
    size: Option<u64>,
    max: u64,
) -> anyhow::Result<Vec<u8>> {
    if let Some(s) = size {
        if s > max {
            anyhow::bail!(
                "{what}: declared size {s} exceeds the {max}-byte limit for this kind of blob"
            );
        }
    }
    let mut bytes = Vec::new();
    let mut v = VerifyingReader::new(reader, what.to_string(), expected.clone(), size);
    (&mut v)
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    if bytes.len() as u64 > max {
        anyhow::bail!("{what}: larger than the {max}-byte limit for this kind of blob");
    }
    v.finish()?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_checked() {
        let d = Digest::sha256_of(b"abc");
        assert!(read_verified(&b"abc"[..], "x", &d, Some(3), 10).is_ok());
        let e = read_verified(&b"abd"[..], "x", &d, Some(3), 10).unwrap_err();
        assert!(e.to_string().contains("digest mismatch"), "{e}");
        let e = read_verified(&b"ab"[..], "x", &d, Some(3), 10).unwrap_err();
        assert!(e.to_string().contains("size mismatch"), "{e}");
        assert!(Digest::parse("sha256:../../etc").is_err());
        assert!(Digest::parse("md5:00").is_err());
    }
}
