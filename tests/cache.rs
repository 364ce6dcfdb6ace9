//! The persistent caches never change output: the same SBOM with a cold cache, a warm one,
//! `--no-cache`, a damaged entry (rebuilt) and a cache directory that cannot be written.

mod common;

use std::path::{Path, PathBuf};

const BSD3: &str = "Copyright (c) 2026 Example Authors. All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are
met:

   * Redistributions of source code must retain the above copyright
notice, this list of conditions and the following disclaimer.
   * Redistributions in binary form must reproduce the above
copyright notice, this list of conditions and the following disclaimer
in the documentation and/or other materials provided with the
distribution.
   * Neither the name of Example Authors nor the names of its
contributors may be used to endorse or promote products derived from
this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS
\"AS IS\" AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT
LIMITED TO, THE IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR
A PARTICULAR PURPOSE ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT
OWNER OR CONTRIBUTORS BE LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL,
SPECIAL, EXEMPLARY, OR CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT
LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR SERVICES; LOSS OF USE,
DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER CAUSED AND ON ANY
THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY, OR TORT
(INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
";

fn entries(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(shards) = std::fs::read_dir(dir.join("license-classifications")) else {
        return out;
    };
    for shard in shards.flatten() {
        for f in std::fs::read_dir(shard.path()).unwrap().flatten() {
            out.push(f.path());
        }
    }
    out.sort();
    out
}

#[test]
fn same_sbom_cold_warm_without_and_with_a_damaged_or_unwritable_cache() {
    let tmp = tempfile::tempdir().unwrap();
    // A module cache whose license text is not one the bundled db knows verbatim, so the
    // text classifier runs (and its result is cached).
    let module = tmp.path().join("gomod/github.com/google/uuid@v1.6.0");
    std::fs::create_dir_all(&module).unwrap();
    std::fs::write(module.join("LICENSE"), BSD3).unwrap();
    let gomod = tmp.path().join("gomod");
    let cache = tmp.path().join("cache");
    let scan = |extra: &[&str], cache_dir: &Path| {
        let mut args = vec!["scan", "samples/go/hello-linux-amd64", "-o", "spdx-json"];
        args.extend_from_slice(extra);
        let out = common::assay_with(
            &args,
            &[("GOMODCACHE", &gomod), ("ASSAY_CACHE_DIR", cache_dir)],
        );
        assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
        out.stdout
    };

    let cold = scan(&[], &cache);
    let text = String::from_utf8_lossy(&cold);
    assert!(text.contains("BSD-3-Clause"), "classified: {text}");
    let stored = entries(&cache);
    assert_eq!(stored.len(), 1, "one classification stored");
    let entry = std::fs::read(&stored[0]).unwrap();

    assert_eq!(scan(&[], &cache), cold, "warm cache");
    assert_eq!(scan(&["--no-cache"], &cache), cold, "--no-cache");
    let elsewhere = tmp.path().join("other");
    assert_eq!(
        scan(&["--cache", elsewhere.to_str().unwrap()], &cache),
        cold,
        "--cache DIR"
    );
    assert_eq!(entries(&elsewhere).len(), 1, "--cache DIR is used");

    // Truncated, then corrupted in place: ignored, and rebuilt by the scan.
    std::fs::write(&stored[0], &entry[..entry.len() / 2]).unwrap();
    assert_eq!(scan(&[], &cache), cold, "truncated entry");
    assert_eq!(std::fs::read(&stored[0]).unwrap(), entry, "rebuilt");
    let mut flipped = entry.clone();
    let last = flipped.len() - 3;
    flipped[last] ^= 0x20;
    std::fs::write(&stored[0], &flipped).unwrap();
    assert_eq!(scan(&[], &cache), cold, "corrupted entry");
    assert_eq!(std::fs::read(&stored[0]).unwrap(), entry, "rebuilt");

    // A cache that cannot be created (a path under a regular file): scans go on uncached.
    let blocked = tmp.path().join("a-file");
    std::fs::write(&blocked, b"").unwrap();
    assert_eq!(scan(&[], &blocked.join("cache")), cold, "unwritable cache");
}
