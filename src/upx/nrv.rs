//! The NRV2B, NRV2D and NRV2E decompressors (UCL's LZ77 variants that UPX uses), written
//! from the published format: literals and matches chosen by single bits read MSB-first
//! from little-endian words of 8, 16 or 32 bits; offsets as gamma codes plus one byte.

/// Which NRV variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    B,
    D,
    E,
}

struct Bits<'a> {
    src: &'a [u8],
    at: usize,
    word: u32,
    left: u32,
    /// Width of one refill in bits (8, 16 or 32).
    width: u32,
}

impl Bits<'_> {
    fn bit(&mut self) -> Result<u32, String> {
        if self.left == 0 {
            let n = (self.width / 8) as usize;
            let bytes = self
                .src
                .get(self.at..self.at + n)
                .ok_or("compressed data ends early")?;
            self.word = bytes
                .iter()
                .rev()
                .fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
            self.at += n;
            self.left = self.width;
        }
        self.left -= 1;
        Ok((self.word >> self.left) & 1)
    }

    fn byte(&mut self) -> Result<u32, String> {
        let b = *self.src.get(self.at).ok_or("compressed data ends early")?;
        self.at += 1;
        Ok(u32::from(b))
    }

    /// A gamma-coded number: `v = v*2 + bit` until a terminating 1 bit.
    fn gamma(&mut self, start: u32) -> Result<u32, String> {
        let mut v = start;
        loop {
            v = v
                .checked_mul(2)
                .and_then(|v| v.checked_add(self.bit().ok()?))
                .ok_or("gamma code overflows")?;
            if self.bit()? == 1 {
                return Ok(v);
            }
        }
    }
}

/// Decompresses `src` into exactly `out_len` bytes.
pub fn decompress(
    variant: Variant,
    width: u32,
    src: &[u8],
    out_len: usize,
) -> Result<Vec<u8>, String> {
    let mut out = vec![0u8; out_len];
    decompress_into(variant, width, src, &mut out)?;
    Ok(out)
}

/// Output (and input) this far behind the decoder is released from the resident set when
/// it lies in a mapped file ([`crate::spill::release`]), in steps of the same size. NRV
/// reads matches back from the output; one reaching further back faults its page in again
/// from the file, so this bounds the resident pages, not what the decoder may read.
const RELEASE_BEHIND: usize = 8 << 20;

/// Decompresses `src` into `out`, which must be filled exactly: the unpacked program is
/// written in place, with no block-sized buffer beside it.
pub fn decompress_into(
    variant: Variant,
    width: u32,
    src: &[u8],
    out: &mut [u8],
) -> Result<(), String> {
    let out_len = out.len();
    // Bytes written so far.
    let mut n = 0usize;
    let mut bits = Bits {
        src,
        at: 0,
        word: 0,
        left: 0,
        width,
    };
    let mut last_off: u32 = 1;
    let (mut released, mut released_in) = (0usize, 0usize);
    loop {
        if n - released >= 2 * RELEASE_BEHIND {
            crate::spill::release(&out[released..n - RELEASE_BEHIND]);
            released = n - RELEASE_BEHIND;
        }
        if bits.at - released_in >= RELEASE_BEHIND {
            crate::spill::release(&src[released_in..bits.at]);
            released_in = bits.at;
        }
        while bits.bit()? == 1 {
            if n >= out_len {
                return Err("output larger than declared".into());
            }
            out[n] = bits.byte()? as u8;
            n += 1;
        }
        // Offset high part.
        let mut off: u32 = 1;
        match variant {
            Variant::B => off = bits.gamma(off)?,
            Variant::D | Variant::E => loop {
                off = off
                    .checked_mul(2)
                    .and_then(|o| o.checked_add(bits.bit().ok()?))
                    .ok_or("offset overflows")?;
                if bits.bit()? == 1 {
                    break;
                }
                off = (off - 1)
                    .checked_mul(2)
                    .and_then(|o| o.checked_add(bits.bit().ok()?))
                    .ok_or("offset overflows")?;
            },
        }
        let mut len: u32;
        if off == 2 {
            off = last_off;
            len = match variant {
                Variant::B => 0,
                _ => bits.bit()?,
            };
        } else {
            let raw = (off - 3).wrapping_mul(256).wrapping_add(bits.byte()?);
            if raw == u32::MAX {
                break; // end marker
            }
            match variant {
                Variant::B => {
                    off = raw + 1;
                    len = 0;
                }
                _ => {
                    len = (raw ^ u32::MAX) & 1;
                    off = (raw >> 1) + 1;
                }
            }
            last_off = off;
        }
        // Match length.
        match variant {
            Variant::B | Variant::D => {
                // B reads two fresh bits; D appends one to the bit it already has.
                if variant == Variant::B {
                    len = bits.bit()?;
                }
                len = len * 2 + bits.bit()?;
                if len == 0 {
                    len = bits.gamma(1)? + 2;
                }
            }
            Variant::E => {
                if len != 0 {
                    len = 1 + bits.bit()?;
                } else if bits.bit()? == 1 {
                    len = 3 + bits.bit()?;
                } else {
                    len = bits.gamma(1)? + 3;
                }
            }
        }
        let threshold = if variant == Variant::B { 0xd00 } else { 0x500 };
        if off > threshold {
            len += 1;
        }
        let total = len as usize + 1;
        let off = off as usize;
        if off > n {
            return Err("match reaches before the start of the output".into());
        }
        if n + total > out_len {
            return Err("output larger than declared".into());
        }
        // Byte by byte: a match may overlap the bytes it produces (offset < length).
        let from = n - off;
        for i in 0..total {
            out[n + i] = out[from + i];
        }
        n += total;
    }
    if n != out_len {
        return Err(format!("decompressed to {n} bytes, {out_len} declared"));
    }
    crate::spill::release(&out[released..]);
    Ok(())
}
