//! The Go build info reader on any object file `object` accepts.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(file) = object::File::parse(data) {
        let _ = assay::catalog::golang::buildinfo::read(&file);
    }
});
