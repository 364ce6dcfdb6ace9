//! A tiny Rust wasm module with one crates.io dependency: the wasm cargo-auditable fixture.

/// Writes the decimal digits of `n` at `out` (at least 20 bytes) and returns their count.
///
/// # Safety
/// `out` must point to 20 writable bytes.
#[no_mangle]
pub unsafe extern "C" fn format_u64(n: u64, out: *mut u8) -> usize {
    let mut buf = itoa::Buffer::new();
    let s = buf.format(n);
    std::ptr::copy_nonoverlapping(s.as_ptr(), out, s.len());
    s.len()
}
