//! UPX's x86 branch filters, undone. Before compressing code UPX rewrites the targets of
//! `call`/`jmp` (and, in filter 0x49, `jcc`) from relative to absolute and big-endian,
//! marking each with a parameter byte, which compresses better; this reverses that.

/// Undoes filter `id` (0 = none) with parameter `param` over a block.
pub fn unfilter(id: u8, param: u8, buf: &mut [u8]) -> Result<(), String> {
    match id {
        0 => Ok(()),
        0x26 | 0x46 => {
            branch_targets(buf, param, false);
            Ok(())
        }
        0x49 => {
            branch_targets(buf, param, true);
            Ok(())
        }
        other => Err(format!("unsupported UPX filter {other:#x}")),
    }
}

/// For each `E8`/`E9` (and with `jcc`, `0F 80..8F`) whose operand starts with `param`,
/// the next three bytes are a big-endian absolute target: make it relative again.
fn branch_targets(buf: &mut [u8], param: u8, jcc: bool) {
    let mut i = 0usize;
    // Position right after the last rewritten operand: a `0F` there is operand data,
    // not an opcode prefix.
    let mut after_operand = usize::MAX;
    while i + 5 <= buf.len() {
        let op = buf[i];
        let pos = i + 1;
        let is_branch = op == 0xe8
            || op == 0xe9
            || (jcc
                && (0x80..=0x8f).contains(&op)
                && i > 0
                && buf[i - 1] == 0x0f
                && after_operand != i);
        if is_branch && buf[pos] == param {
            let target = (u32::from(buf[pos + 1]) << 16)
                | (u32::from(buf[pos + 2]) << 8)
                | u32::from(buf[pos + 3]);
            let rel = target.wrapping_sub(pos as u32);
            buf[pos..pos + 4].copy_from_slice(&rel.to_le_bytes());
            i = pos + 4;
            after_operand = i;
            continue;
        }
        i += 1;
    }
}
