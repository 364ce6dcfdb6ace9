//! The DWARF type reader and the type-following diff on arbitrary bytes: an object file's
//! debug sections (relocated for `.o`), type cycles, dangling references, absurd depths and
//! counts. Any panic or hang is a bug: bad DWARF must become `unknown` types and a note.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = assay::catalog::native::read_bytes(data) {
        let mut baseline = assay::abi::symbols::baseline_of(&file);
        assay::abi::baseline::attach(&mut baseline, data, None, &[]);
        let _ = assay::abi::symbols::diff(&baseline, &baseline);
    }
    if let Ok(file) = object::File::parse(data) {
        let _ = assay::abi::baseline::image_types(&file);
    }
});
