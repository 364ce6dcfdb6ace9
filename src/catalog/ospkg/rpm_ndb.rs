//! rpm's own NDB package database, `Packages.db` (SUSE; rpm's `lib/backend/ndb/rpmpkg.c`).
//! All little-endian: a 32-byte file header (`RpmP`, version 0, generation, slot pages,
//! next package index), then `slotnpages` pages of 4096 bytes holding 16-byte slots
//! (`Slot`, package index, block offset, block count; the first two slots are the file
//! header), and the blobs, in 16-byte blocks: `BlbS`, package index, generation, length,
//! the header blob, padding, then adler32, length and `BlbE`. `Index.db` beside it only
//! speeds up look-ups and is not needed to list packages.

const FILE_MAGIC: &[u8; 4] = b"RpmP";
const SLOT_MAGIC: &[u8; 4] = b"Slot";
const BLOB_HEAD: &[u8; 4] = b"BlbS";
const BLOB_TAIL: &[u8; 4] = b"BlbE";
const PAGE: usize = 4096;
const SLOT: usize = 16;
const BLOCK: usize = 16;
const HEAD_LEN: usize = 16;
const TAIL_LEN: usize = 12;

/// One package record: its index (rpm's header number) and its header blob.
#[derive(Debug, PartialEq, Eq)]
pub struct Record<'a> {
    pub index: u32,
    pub blob: &'a [u8],
}

/// Every package blob in slot order. The file header and slot pages must be sound (an
/// error otherwise); a damaged blob is one message in the second list and the others are
/// still returned.
pub fn records(bytes: &[u8]) -> Result<(Vec<Record<'_>>, Vec<String>), String> {
    let header = bytes.get(..32).ok_or("shorter than the NDB file header")?;
    if &header[..4] != FILE_MAGIC {
        return Err("not an rpm NDB database (bad magic)".into());
    }
    match le32(header, 4) {
        0 => {}
        v => return Err(format!("unsupported NDB version {v}")),
    }
    let slot_pages = le32(header, 12) as usize;
    let slot_end = slot_pages
        .checked_mul(PAGE)
        .filter(|&end| slot_pages > 0 && end <= bytes.len())
        .ok_or_else(|| format!("{slot_pages} slot pages announced, past the end of the file"))?;
    let first_blob_block = slot_end / BLOCK;
    let blocks = bytes.len() / BLOCK;
    let mut records = Vec::new();
    let mut errors = Vec::new();
    // The first two 16-byte slots are the file header.
    for (n, slot) in bytes[32..slot_end].chunks_exact(SLOT).enumerate() {
        let slot_no = n + 2;
        if &slot[..4] != SLOT_MAGIC {
            return Err(format!("slot {slot_no}: bad magic (damaged slot page)"));
        }
        let index = le32(slot, 4);
        let offset = le32(slot, 8) as usize;
        let count = le32(slot, 12) as usize;
        if offset == 0 {
            continue; // a free slot
        }
        if index == 0 || count == 0 || offset < first_blob_block {
            errors.push(format!("slot {slot_no}: bad entry"));
            continue;
        }
        if offset.saturating_add(count) > blocks {
            errors.push(format!(
                "slot {slot_no}: package {index} lies past the end of the file"
            ));
            continue;
        }
        let area = &bytes[offset * BLOCK..(offset + count) * BLOCK];
        match blob(area, index) {
            Ok(blob) => records.push(Record { index, blob }),
            Err(e) => errors.push(format!("package {index}: {e}")),
        }
    }
    Ok((records, errors))
}

/// Checks a blob's head, tail and adler32 (as `rpmpkgVerifyblob` does) and returns its data.
fn blob(area: &[u8], index: u32) -> Result<&[u8], String> {
    if area.len() < HEAD_LEN + TAIL_LEN || &area[..4] != BLOB_HEAD {
        return Err("bad blob head".into());
    }
    if le32(area, 4) != index {
        return Err(format!("blob belongs to package {}", le32(area, 4)));
    }
    let len = le32(area, 12) as usize;
    if (HEAD_LEN + len + TAIL_LEN).div_ceil(BLOCK) * BLOCK != area.len() {
        return Err(format!(
            "blob length {len} does not match its {} blocks",
            area.len() / BLOCK
        ));
    }
    let tail = &area[area.len() - TAIL_LEN..];
    if le32(tail, 4) as usize != len || &tail[8..] != BLOB_TAIL {
        return Err("bad blob tail".into());
    }
    let sum = adler32(&area[..area.len() - TAIL_LEN]);
    if sum != le32(tail, 0) {
        return Err(format!(
            "checksum mismatch (adler32 {sum:08x}, recorded {:08x})",
            le32(tail, 0)
        ));
    }
    Ok(&area[HEAD_LEN..HEAD_LEN + len])
}

/// RFC 1950's adler32, as rpmpkg.c computes it over the head, data and padding.
fn adler32(bytes: &[u8]) -> u32 {
    const MOD: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes is the most that can be summed before `b` could overflow.
    for chunk in bytes.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= MOD;
        b %= MOD;
    }
    (b << 16) | a
}

fn le32(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One slot page, two packages ("hello", 5 bytes; 40 bytes of 7s).
    fn tiny() -> Vec<u8> {
        let mut db = vec![0u8; PAGE];
        db[..4].copy_from_slice(FILE_MAGIC);
        db[12..16].copy_from_slice(&1u32.to_le_bytes());
        db[16..20].copy_from_slice(&3u32.to_le_bytes());
        for slot in db[32..PAGE].chunks_exact_mut(SLOT) {
            slot[..4].copy_from_slice(SLOT_MAGIC);
        }
        let blobs: [(u32, Vec<u8>); 2] = [(1, b"hello".to_vec()), (2, vec![7u8; 40])];
        for (i, (index, data)) in blobs.iter().enumerate() {
            let offset = db.len() / BLOCK;
            let mut area = Vec::new();
            area.extend_from_slice(BLOB_HEAD);
            area.extend_from_slice(&index.to_le_bytes());
            area.extend_from_slice(&0u32.to_le_bytes());
            area.extend_from_slice(&(data.len() as u32).to_le_bytes());
            area.extend_from_slice(data);
            let padded = (area.len() + TAIL_LEN).div_ceil(BLOCK) * BLOCK - TAIL_LEN;
            area.resize(padded, 0);
            let sum = adler32(&area);
            area.extend_from_slice(&sum.to_le_bytes());
            area.extend_from_slice(&(data.len() as u32).to_le_bytes());
            area.extend_from_slice(BLOB_TAIL);
            let slot = 32 + SLOT * i;
            db[slot + 4..slot + 8].copy_from_slice(&index.to_le_bytes());
            db[slot + 8..slot + 12].copy_from_slice(&(offset as u32).to_le_bytes());
            db[slot + 12..slot + 16].copy_from_slice(&((area.len() / BLOCK) as u32).to_le_bytes());
            db.extend_from_slice(&area);
        }
        db
    }

    #[test]
    fn reads_records() {
        let db = tiny();
        let (found, errors) = records(&db).unwrap();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].blob, b"hello");
        assert_eq!(found[1].blob, &[7u8; 40][..]);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn damage_is_reported_per_blob() {
        let mut db = tiny();
        db[PAGE + 16] ^= 1; // a data byte of the first blob
        let (found, errors) = records(&db).unwrap();
        assert_eq!(found.len(), 1);
        assert!(errors[0].contains("checksum"), "{errors:?}");

        let db = tiny();
        let cut = db.len() - 8;
        let (found, errors) = records(&db[..cut]).unwrap();
        assert_eq!(found.len(), 1);
        assert!(errors[0].contains("past the end"), "{errors:?}");

        let mut db = tiny();
        db[32 + 12..32 + 16].copy_from_slice(&u32::MAX.to_le_bytes());
        let (found, errors) = records(&db).unwrap();
        assert_eq!((found.len(), errors.len()), (1, 1));
    }

    #[test]
    fn bad_headers_are_errors() {
        let db = tiny();
        assert!(records(&db[..100]).is_err());
        assert!(records(&[0u8; 64]).is_err());
        let mut big = db.clone();
        big[12..16].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(records(&big).is_err());
        let mut bad_slot = db;
        bad_slot[96] = b'x';
        assert!(records(&bad_slot).is_err());
    }

    /// Deterministic byte mutations (xorshift64*): never a panic, never an endless walk.
    #[test]
    fn mutations_do_not_panic() {
        super::super::for_each_mutation(&tiny(), 3000, |db| {
            let _ = records(db);
        });
    }
}
