//! Berkeley DB hash databases, read-only, as rpm's `Packages` (RHEL 7/8) is one: a meta page,
//! bucket pages chained by `next_pgno`, and overflow pages for items too big for a bucket
//! page (rpm header blobs usually are). Layout from Berkeley DB's `db_page.h` (the same one
//! rpm's own `bdb_ro` backend reads): both byte orders, page sizes 512..64K, hash versions
//! 8..10. Every page number, offset and length is checked against the file; each page of a
//! bucket chain is visited once, and all overflow chains together may visit no more pages
//! than the file holds (each overflow page belongs to one item), so damage costs at most
//! a pass over the file.

use std::borrow::Cow;
use std::cell::Cell;

/// Page types (`db_page.h`).
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
/// Hash item types.
const H_KEYDATA: u8 = 1;
const H_OFFPAGE: u8 = 3;
const HASH_MAGIC: u32 = 0x0006_1561;
const BTREE_MAGIC: u32 = 0x0005_3162;
/// Size of the generic page header; the item offsets (`inp[]`) follow it.
const PAGE_HEADER: usize = 26;

/// An opened hash database (borrows the file's bytes).
pub struct HashDb<'a> {
    bytes: &'a [u8],
    page_size: usize,
    /// Pages the file holds: the meta page's `last_pgno + 1`, or fewer when truncated.
    pages: u32,
    big_endian: bool,
    max_bucket: u32,
    spares: [u32; 32],
    /// Overflow page visits left (starts at the page count).
    overflow_budget: Cell<u32>,
}

/// One key/value pair; values over a page long are reassembled from overflow pages.
pub type Pair<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

impl<'a> HashDb<'a> {
    pub fn open(bytes: &'a [u8]) -> Result<HashDb<'a>, String> {
        let meta = bytes
            .get(..512)
            .ok_or("shorter than a Berkeley DB meta page")?;
        let magic_le = u32::from_le_bytes([meta[12], meta[13], meta[14], meta[15]]);
        let big_endian = match magic_le {
            HASH_MAGIC => false,
            m if m.swap_bytes() == HASH_MAGIC => true,
            m if m == BTREE_MAGIC || m.swap_bytes() == BTREE_MAGIC => {
                return Err("a Berkeley DB btree, not a hash database".into())
            }
            _ => return Err("not a Berkeley DB hash database (bad magic)".into()),
        };
        let u32_at = |at: usize| read_u32(meta, at, big_endian).unwrap_or(0);
        let version = u32_at(16);
        if !(8..=10).contains(&version) {
            return Err(format!("unsupported Berkeley DB hash version {version}"));
        }
        let page_size = u32_at(20) as usize;
        if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(format!("implausible Berkeley DB page size {page_size}"));
        }
        if meta[24] != 0 {
            return Err("encrypted Berkeley DB database".into());
        }
        let last_pgno = u32_at(32);
        let in_file = (bytes.len() / page_size) as u64;
        let pages = (u64::from(last_pgno) + 1).min(in_file) as u32;
        let max_bucket = u32_at(72);
        // Every bucket has a page of its own, so more buckets than pages is damage.
        if max_bucket >= last_pgno.max(1) {
            return Err(format!(
                "{max_bucket} hash buckets announced, more than the {last_pgno} pages"
            ));
        }
        let mut spares = [0u32; 32];
        for (i, s) in spares.iter_mut().enumerate() {
            *s = u32_at(96 + 4 * i);
        }
        Ok(HashDb {
            bytes,
            page_size,
            pages,
            big_endian,
            max_bucket,
            spares,
            overflow_budget: Cell::new(pages),
        })
    }

    /// Every pair of every bucket. A damaged bucket chain or item is reported in the second
    /// list (one message each) and the other buckets are still read.
    pub fn pairs(&self) -> (Vec<Pair<'a>>, Vec<String>) {
        let mut pairs = Vec::new();
        let mut errors = Vec::new();
        let mut seen = vec![false; self.pages as usize];
        self.overflow_budget.set(self.pages);
        for bucket in 0..=self.max_bucket {
            if let Err(e) = self.bucket(bucket, &mut seen, &mut pairs, &mut errors) {
                errors.push(format!("bucket {bucket}: {e}"));
            }
        }
        (pairs, errors)
    }

    /// `BUCKET_TO_PAGE`: the bucket's number plus the spare pages of its doubling.
    fn bucket_page(&self, bucket: u32) -> u32 {
        let doubling = (u32::BITS - bucket.leading_zeros()) as usize;
        bucket.wrapping_add(self.spares[doubling.min(31)])
    }

    fn bucket(
        &self,
        bucket: u32,
        seen: &mut [bool],
        pairs: &mut Vec<Pair<'a>>,
        errors: &mut Vec<String>,
    ) -> Result<(), String> {
        let mut pgno = self.bucket_page(bucket);
        let mut first = true;
        loop {
            let page = self.page(pgno)?;
            // A bucket page that was never written (a sparse or zero-filled file): an empty
            // bucket. Further down a chain, a zero page is damage.
            if first && page[PAGE_HEADER - 1] == 0 && self.u32(page, 8) == 0 {
                return Ok(());
            }
            first = false;
            self.check_number(page, pgno)?;
            let seen_before = std::mem::replace(&mut seen[pgno as usize], true);
            if seen_before {
                return Err(format!("page {pgno} reached twice (a cycle)"));
            }
            let kind = page[PAGE_HEADER - 1];
            if kind != P_HASH && kind != P_HASH_UNSORTED {
                return Err(format!("page {pgno} has type {kind}, not a hash page"));
            }
            let entries = usize::from(self.u16(page, 20));
            if entries > (self.page_size - PAGE_HEADER) / 2 {
                return Err(format!("page {pgno}: {entries} items do not fit"));
            }
            let offset = |i: usize| usize::from(self.u16(page, PAGE_HEADER + 2 * i));
            // Items are packed from the page's end: item i ends where item i-1 starts.
            let item = |i: usize| -> Result<&'a [u8], String> {
                let start = offset(i);
                let end = if i == 0 {
                    self.page_size
                } else {
                    offset(i - 1)
                };
                if start < PAGE_HEADER + 2 * entries || start >= end || end > self.page_size {
                    return Err(format!("page {pgno}: item {i} out of bounds"));
                }
                Ok(&page[start..end])
            };
            for i in (0..entries.saturating_sub(1)).step_by(2) {
                let pair = item(i)
                    .and_then(|k| self.value(k))
                    .and_then(|k| Ok((k, item(i + 1).and_then(|v| self.value(v))?)));
                match pair {
                    Ok(p) => pairs.push(p),
                    Err(e) => errors.push(format!("page {pgno}, item {i}: {e}")),
                }
            }
            match self.u32(page, 16) {
                0 => return Ok(()),
                next => pgno = next,
            }
        }
    }

    /// An item's bytes: inline (`H_KEYDATA`) or on overflow pages (`H_OFFPAGE`).
    fn value(&self, item: &'a [u8]) -> Result<Cow<'a, [u8]>, String> {
        match item.first() {
            Some(&H_KEYDATA) => Ok(Cow::Borrowed(&item[1..])),
            Some(&H_OFFPAGE) if item.len() == 12 => {
                let first = self.u32(item, 4);
                let len = self.u32(item, 8) as usize;
                self.overflow(first, len).map(Cow::Owned)
            }
            Some(kind) => Err(format!(
                "item type {kind} ({} bytes) is not read",
                item.len()
            )),
            None => Err("empty item".into()),
        }
    }

    /// Follows an overflow chain for `len` bytes. Each page must add bytes and uses up one
    /// of the budget's visits, so a cyclic chain ends in an error.
    fn overflow(&self, mut pgno: u32, len: usize) -> Result<Vec<u8>, String> {
        if len == 0 || len > self.bytes.len() {
            return Err(format!("overflow item of {len} bytes in a smaller file"));
        }
        // Grown as pages arrive: `len` is only a claim.
        let mut out = Vec::with_capacity(len.min(1 << 20));
        while out.len() < len {
            let left = self.overflow_budget.get();
            if left == 0 {
                return Err("overflow chains visit more pages than the file holds".into());
            }
            self.overflow_budget.set(left - 1);
            let page = self.page(pgno)?;
            self.check_number(page, pgno)?;
            if page[PAGE_HEADER - 1] != P_OVERFLOW {
                return Err(format!("page {pgno} is not an overflow page"));
            }
            let here = usize::from(self.u16(page, 22));
            if here == 0 || PAGE_HEADER + here > self.page_size || out.len() + here > len {
                return Err(format!("overflow page {pgno}: bad length {here}"));
            }
            out.extend_from_slice(&page[PAGE_HEADER..PAGE_HEADER + here]);
            pgno = self.u32(page, 16);
        }
        Ok(out)
    }

    fn page(&self, pgno: u32) -> Result<&'a [u8], String> {
        if pgno == 0 || pgno >= self.pages {
            return Err(format!(
                "page {pgno} is past the end ({} pages in the file)",
                self.pages
            ));
        }
        let start = pgno as usize * self.page_size;
        self.bytes
            .get(start..start + self.page_size)
            .ok_or_else(|| format!("page {pgno} is past the end"))
    }

    fn check_number(&self, page: &[u8], pgno: u32) -> Result<(), String> {
        match self.u32(page, 8) {
            n if n == pgno => Ok(()),
            n => Err(format!("page {pgno} says it is page {n}")),
        }
    }

    fn u32(&self, bytes: &[u8], at: usize) -> u32 {
        read_u32(bytes, at, self.big_endian).unwrap_or(0)
    }

    fn u16(&self, bytes: &[u8], at: usize) -> u16 {
        let b = [
            bytes.get(at).copied().unwrap_or(0),
            bytes.get(at + 1).copied().unwrap_or(0),
        ];
        if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }
    }

    /// Whether the file was written big-endian (rpm stores its keys in that order too).
    pub fn big_endian(&self) -> bool {
        self.big_endian
    }
}

fn read_u32(bytes: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let b: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-made little-endian database of 512-byte pages: meta, one bucket page holding
    /// an inline pair and an off-page pair, and two overflow pages.
    fn tiny() -> Vec<u8> {
        let ps = 512;
        let mut db = vec![0u8; ps * 4];
        let put32 =
            |db: &mut Vec<u8>, at: usize, v: u32| db[at..at + 4].copy_from_slice(&v.to_le_bytes());
        let put16 =
            |db: &mut Vec<u8>, at: usize, v: u16| db[at..at + 2].copy_from_slice(&v.to_le_bytes());
        put32(&mut db, 12, HASH_MAGIC);
        put32(&mut db, 16, 9);
        put32(&mut db, 20, ps as u32);
        db[25] = 8;
        put32(&mut db, 32, 3); // last_pgno
        put32(&mut db, 72, 0); // max_bucket
        put32(&mut db, 96, 1); // spares[0]: bucket 0 is page 1
                               // Page 1: four items, packed from the end.
        let p = ps;
        put32(&mut db, p + 8, 1);
        put16(&mut db, p + 20, 4);
        db[p + 25] = P_HASH;
        let items: [&[u8]; 4] = [
            &[H_KEYDATA, b'k', b'1'],
            &[H_KEYDATA, b'v', b'1'],
            &[H_KEYDATA, b'k', b'2'],
            &[H_OFFPAGE, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0],
        ];
        let mut end = ps;
        for (i, it) in items.iter().enumerate() {
            let start = end - it.len();
            db[p + start..p + end].copy_from_slice(it);
            put16(&mut db, p + PAGE_HEADER + 2 * i, start as u16);
            end = start;
        }
        // The off-page value: 600 bytes over pages 2 and 3.
        let off = p + ps - items.iter().map(|i| i.len()).sum::<usize>();
        put32(&mut db, off + 8, 600);
        for (pg, (len, next)) in [(2usize, (400u16, 3u32)), (3, (200, 0))] {
            let at = pg * ps;
            put32(&mut db, at + 8, pg as u32);
            put32(&mut db, at + 16, next);
            put16(&mut db, at + 22, len);
            db[at + 25] = P_OVERFLOW;
            db[at + PAGE_HEADER..at + PAGE_HEADER + len as usize].fill(pg as u8);
        }
        db
    }

    #[test]
    fn reads_inline_and_overflow_pairs() {
        let db = tiny();
        let h = HashDb::open(&db).unwrap();
        let (pairs, errors) = h.pairs();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(pairs.len(), 2);
        assert_eq!(&*pairs[0].0, b"k1");
        assert_eq!(&*pairs[0].1, b"v1");
        assert_eq!(pairs[1].1.len(), 600);
        assert_eq!(pairs[1].1[399], 2);
        assert_eq!(pairs[1].1[400], 3);
    }

    #[test]
    fn cyclic_overflow_chain_is_an_error_for_that_item() {
        let mut db = tiny();
        // Page 3 points back at page 2, and the item claims more bytes than exist.
        db[3 * 512 + 16..3 * 512 + 20].copy_from_slice(&2u32.to_le_bytes());
        let off = 512 + 512 - 20;
        db[off + 8..off + 12].copy_from_slice(&1900u32.to_le_bytes());
        let h = HashDb::open(&db).unwrap();
        let (pairs, errors) = h.pairs();
        assert_eq!(pairs.len(), 1);
        assert_eq!(errors.len(), 1, "{errors:?}");
    }

    #[test]
    fn cyclic_bucket_chain_and_bad_counts() {
        let mut db = tiny();
        db[512 + 16..512 + 20].copy_from_slice(&1u32.to_le_bytes());
        let (_, errors) = HashDb::open(&db).unwrap().pairs();
        assert!(errors.iter().any(|e| e.contains("cycle")), "{errors:?}");

        let mut db = tiny();
        db[512 + 20..512 + 22].copy_from_slice(&60000u16.to_le_bytes());
        let (pairs, errors) = HashDb::open(&db).unwrap().pairs();
        assert!(pairs.is_empty() && errors.len() == 1, "{errors:?}");

        let mut db = tiny();
        db[72..76].copy_from_slice(&1000u32.to_le_bytes());
        assert!(HashDb::open(&db).is_err());
    }

    #[test]
    fn truncated_and_garbage_files() {
        let db = tiny();
        for cut in [0, 100, 511, 512, 1000, 1024, 1500] {
            if let Ok(h) = HashDb::open(&db[..cut]) {
                let (pairs, errors) = h.pairs();
                assert!(pairs.len() < 2 && !errors.is_empty(), "{cut}");
            }
        }
        assert!(HashDb::open(&[0u8; 4096]).is_err());
    }

    /// Deterministic byte mutations (xorshift64*): never a panic, never an endless walk.
    #[test]
    fn mutations_do_not_panic() {
        super::super::for_each_mutation(&tiny(), 3000, |db| {
            if let Ok(h) = HashDb::open(db) {
                let _ = h.pairs();
            }
        });
    }
}
