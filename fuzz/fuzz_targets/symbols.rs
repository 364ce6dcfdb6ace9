//! Symbol readers on arbitrary bytes: format detection, fat/archive slicing, linked
//! libraries, imports, exports (ELF version tables, Mach-O export trie, PE export
//! directory), DWARF signatures, Go plugin tables, and the ABI baseline built from them.
//! Any panic is a bug: malformed input must become a per-file error or a listed problem.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = assay::catalog::native::read_bytes(data) {
        let baseline = assay::catalog::native::abi::baseline_of(&file);
        let _ = assay::catalog::native::abi::diff(&baseline, &baseline);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = assay::catalog::native::abi::parse_baseline(text);
    }
});
