//! A UPX-packed program larger than the heap limit: unpacked into a spilled (mapped)
//! buffer, its blocks decoded in parallel and in place (the bytes after the last segment
//! too), the written pages released behind the decoder — and still byte-identical to what
//! `upx -d` writes. The program is the `assay` binary under test (a real ~100 MB ELF with
//! line tables), packed here with `upx -1` (NRV: seconds; LZMA would take minutes).
//!
//! Each file is unpacked twice: from a heap copy, and from a releasable map as a directory
//! scan reads it (the decoder then drops consumed input pages behind itself).
//!
//! `ASSAY_UPX_ORACLE_FILES="a.upx b.upx"` adds packed ELF files of any method and size to
//! the comparison (docs/performance.md: the LZMA-packed programs of `bench/upx.sh`).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn upx(args: &[&str]) {
    let out = Command::new(common::require_tool("upx"))
        .args(args)
        .output()
        .expect("run upx");
    assert!(
        out.status.success(),
        "upx {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

#[test]
fn a_packed_program_beyond_the_heap_limit_unpacks_to_exactly_what_upx_d_gives() {
    let dir = tempfile::tempdir().expect("tempdir");
    let program = PathBuf::from(env!("CARGO_BIN_EXE_assay"));
    let size = std::fs::metadata(&program).expect("assay binary").len();
    assert!(
        size > assay::spill::IN_MEMORY_LIMIT,
        "the assay binary ({size} bytes) no longer exceeds the heap limit: pick a larger program"
    );
    let packed = dir.path().join("assay.upx");
    upx(&["-q", "-1", "-o", path(&packed), path(&program)]);
    let mut files = vec![packed];
    if let Some(extra) = std::env::var_os("ASSAY_UPX_ORACLE_FILES") {
        files.extend(
            extra
                .to_string_lossy()
                .split_whitespace()
                .map(PathBuf::from),
        );
    }
    for (i, file) in files.iter().enumerate() {
        let expected_path = dir.path().join(format!("{i}.unpacked"));
        upx(&["-q", "-d", "-o", path(&expected_path), path(file)]);
        let expected = std::fs::read(&expected_path).expect("upx -d output");
        std::fs::remove_file(&expected_path).expect("remove");
        let data = std::fs::read(file).expect("packed file");
        let info = assay::upx::detect(&data).expect("detected as UPX");
        assert_eq!(info.format, "ELF", "{}", file.display());
        let got =
            assay::upx::unpack_elf(&data).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert_eq!(got.len(), expected.len(), "{}: size", file.display());
        assert_eq!(
            got.is_spilled(),
            expected.len() as u64 > assay::spill::IN_MEMORY_LIMIT,
            "{}: spilled exactly when beyond the heap limit",
            file.display()
        );
        let first_diff = got.iter().zip(&expected).position(|(a, b)| a != b);
        assert_eq!(first_diff, None, "{}: first differing byte", file.display());
        drop(got);

        // As a directory scan reads it: mapped and marked releasable, so the decoder drops
        // the compressed input's pages behind itself. Same bytes, and the input intact.
        let handle = std::fs::File::open(file).expect("open packed file");
        let map = unsafe { memmap2::Mmap::map(&handle) }.expect("map packed file");
        let mark = unsafe { assay::spill::mark_releasable(&map) };
        let got = assay::upx::unpack_elf(&map)
            .unwrap_or_else(|e| panic!("{} (mapped): {e}", file.display()));
        let first_diff = got.iter().zip(&expected).position(|(a, b)| a != b);
        assert_eq!(
            (got.len(), first_diff),
            (expected.len(), None),
            "{} (mapped input): size, first differing byte",
            file.display()
        );
        assert!(
            map[..] == data[..],
            "released input pages read back unchanged"
        );
        drop(mark);
    }
}
