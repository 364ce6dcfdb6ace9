//! File checksums for the SBOMs. Streams the file through a fixed buffer (rather than the
//! memory map) so hashing a large binary does not grow the process's resident set.
//! sha1/sha2 pick the CPU's SHA extensions at run time when present.

use std::io::Read;

use sha1::Digest;

pub use crate::model::file::Checksums;

const BUFFER: usize = 1 << 20;

pub fn file_checksums(file: &mut std::fs::File) -> std::io::Result<Checksums> {
    let mut sha1 = sha1::Sha1::new();
    let mut sha256 = sha2::Sha256::new();
    let mut buf = vec![0u8; BUFFER];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        sha1.update(&buf[..n]);
        sha256.update(&buf[..n]);
    }
    Ok(Checksums {
        sha1: hex(&sha1.finalize()),
        sha256: hex(&sha256.finalize()),
    })
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&sha2::Sha256::digest(bytes))
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Checksums of bytes already in memory (files buffered from an image layer).
pub fn checksums(bytes: &[u8]) -> Checksums {
    Checksums {
        sha1: hex(&sha1::Sha1::digest(bytes)),
        sha256: sha256_hex(bytes),
    }
}
