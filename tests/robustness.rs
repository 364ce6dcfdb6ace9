//! Hostile input: thousands of deterministic mutations of real fixtures (truncations, byte
//! flips in headers and around the build info blob) must never panic the analysis. The
//! same entry point as the fuzz targets, run on every CI build.

mod common;

use common::Rng;

const FIXTURES: &[&str] = &[
    "go/hello-linux-amd64",
    "go/hello-linux-386",
    "go/hello-linux-ppc64",
    "go/hello-windows-amd64.exe",
    "go/hello-darwin-universal",
    "go/hello-linux-amd64-nosections",
];

#[test]
fn mutated_fixtures_never_panic() {
    let mut runs = 0;
    for (index, fixture) in FIXTURES.iter().enumerate() {
        let original = std::fs::read(common::samples().join(fixture)).expect("fixture");
        let magic = original
            .windows(14)
            .position(|w| w == b"\xff Go buildinf:")
            .unwrap_or(0);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ index as u64);
        for round in 0..150 {
            let mut data = original.clone();
            match round % 3 {
                0 => data.truncate(rng.below(original.len())),
                1 => {
                    for _ in 0..8 {
                        let at = rng.below(8192.min(data.len()));
                        data[at] = rng.next() as u8;
                    }
                }
                _ => {
                    for _ in 0..4 {
                        let at = (magic + rng.below(256)).min(data.len() - 1);
                        data[at] = rng.next() as u8;
                    }
                }
            }
            let _ = assay::catalog::analyze::analyze(fixture, &data);
            runs += 1;
        }
    }
    eprintln!("{runs} mutated inputs analysed without a panic");
}

#[test]
fn tiny_and_degenerate_inputs() {
    for data in [
        &b""[..],
        b"\x7fELF",
        b"MZ",
        b"\xca\xfe\xba\xbe\0\0\0\x01",
        b"!<arch>\n",
        b"\xff Go buildinf:",
    ] {
        let _ = assay::catalog::analyze::analyze("x", data);
        let mut padded = data.to_vec();
        padded.resize(4096, 0);
        let _ = assay::catalog::analyze::analyze("x", &padded);
        padded.resize(4096, 0xff);
        let _ = assay::catalog::analyze::analyze("x", &padded);
    }
    let _ = assay::catalog::golang::modinfo::parse("=>\t\t\t\nbuild\t\"\nbuild\t\"\\\nbuild\t`\n");
}
