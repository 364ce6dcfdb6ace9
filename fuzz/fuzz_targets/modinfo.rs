//! The modinfo text parser, including Go string unquoting.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = assay::catalog::golang::modinfo::parse(text);
    }
});
