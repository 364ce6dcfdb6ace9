//! rpm package databases: Berkeley DB hash `Packages`, NDB `Packages.db`, and the header
//! blobs they hold.
#![no_main]
use assay::catalog::ospkg::{bdb, rpm_header, rpm_ndb};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(db) = bdb::HashDb::open(data) {
        for (_, value) in db.pairs().0 {
            let _ = rpm_header::parse(&value);
        }
    }
    if let Ok((records, _)) = rpm_ndb::records(data) {
        for r in records {
            let _ = rpm_header::parse(r.blob);
        }
    }
});
