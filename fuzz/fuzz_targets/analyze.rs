//! Whole-file analysis: format detection, slicing, every cataloger.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = assay::catalog::analyze::analyze("fuzz", data);
});
