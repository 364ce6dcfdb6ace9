#!/usr/bin/env python3
"""Measures the bundled license-db offline on programs that are NOT generator inputs.

  python3 license-db/measure.py --go-binary BIN... --go-program PATH@V... --rust-program NAME@V...
                               --rust-binary BIN...

Packages per program: a Go binary's build info (`go version -m`, the oracle of what it links),
a Go program's go.mod build list, the Cargo.lock shipped inside a Rust program's .crate, or a
cargo-auditable binary's `.dep-v0` section (read with objcopy).
Answer: `assay license-db lookup` (offline: bundled db only). Truth: the package's own files at
that exact version (module zip root license files / the crate's Cargo.toml), classified by
`assay license-db classify`. coverage = answered / packages; accuracy = right / answered.
"""
import argparse, collections, json, os, subprocess, sys, tempfile, tomllib, io, tarfile, zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import crawl  # noqa: E402
from generate import write_tree  # noqa: E402


def go_binary_modules(path):
    out = subprocess.run(["go", "version", "-m", path], capture_output=True, text=True).stdout
    mods, last = [], None
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 3 and f[0] == "dep":
            last = (f[1], f[2])
            mods.append(last)
        elif len(f) >= 3 and f[0] == "=>" and last:
            mods[-1] = (f[1], f[2])  # the replacement is what is linked
    return [("go", m, v) for m, v in mods if v.startswith("v")]


def go_program_modules(spec):
    m, v = spec.rsplit("@", 1)
    text = crawl.go_mod(m, v)
    return [("go", p, pv) for p, pv in crawl.parse_requires(text)] if isinstance(text, str) else []


def rust_program_crates(spec):
    name, v = spec.rsplit("@", 1)
    data = crawl.http(f"{crawl.CRATES}/{name}/{name}-{v}.crate", timeout=120)[2]
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        lock = tomllib.loads(tar.extractfile(f"{name}-{v}/Cargo.lock").read().decode())
    return [("crate", p["name"], p["version"]) for p in lock.get("package", [])
            if "registry" in p.get("source", "")]


def rust_binary_crates(path):
    """The crates.io packages a cargo-auditable binary records (its `.dep-v0` section: zlib-
    compressed JSON), read with objcopy so that assay's own reader is not the oracle."""
    with tempfile.NamedTemporaryFile() as t:
        subprocess.run(["objcopy", "--dump-section", f".dep-v0={t.name}", path, "/dev/null"],
                       check=True, capture_output=True)
        data = json.loads(zlib.decompress(open(t.name, "rb").read()))
    return [("crate", p["name"], p["version"]) for p in data.get("packages", [])
            if p.get("source") == "crates.io"]


def truth(assay, pkgs):
    tmp = tempfile.mkdtemp(prefix="assay-measure-")
    dirs = {}
    for kind, name, v in pkgs:
        d = os.path.join(tmp, kind, f"{crawl.escape(name)}@{v}")
        if kind == "go":
            data = crawl.go_files(name, v)
            if "files" not in data:
                continue
            write_tree(d, data["files"])
        else:
            data = crawl.crate_license(name, v)
            if "error" in data:
                continue
            files = dict(data["files"])
            man = f"[package]\nname = {json.dumps(name)}\nversion = {json.dumps(v)}\n"
            if data.get("license"):
                man += f"license = {json.dumps(data['license'])}\n"
            if data.get("license_file"):
                man += f"license-file = {json.dumps(data['license_file'])}\n"
            files["Cargo.toml"] = man
            write_tree(d, files)
        dirs[d] = (kind, name, v)
    out = {}
    keys = sorted(dirs)
    for i in range(0, len(keys), 300):
        res = subprocess.run([assay, "license-db", "classify", *keys[i:i + 300]], capture_output=True, text=True)
        for line in res.stdout.splitlines():
            r = json.loads(line)
            if r.get("expression") and r.get("method") != "unclassified-text":
                out[dirs[r["dir"]]] = r["expression"]
    return out


def answers(assay, pkgs):
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        for kind, name, v in pkgs:
            f.write(f"{kind} {name}@{v}\n")
    res = subprocess.run([assay, "license-db", "lookup", "--list", f.name], capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if k != "ASSAY_LICENSE_DB"})
    out = {}
    for line in res.stdout.splitlines():
        r = json.loads(line)
        kind, rest = r["package"].split(" ", 1)
        name, v = rest.rsplit("@", 1)
        out[(kind, name, v)] = r
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--assay", default=os.path.join(HERE, "..", "target", "release", "assay"))
    ap.add_argument("--go-binary", nargs="*", default=[])
    ap.add_argument("--go-program", nargs="*", default=[])
    ap.add_argument("--rust-program", nargs="*", default=[])
    ap.add_argument("--rust-binary", nargs="*", default=[], help="cargo-auditable binaries")
    ap.add_argument("--held-out", action="store_true",
                    help="also measure every versioned program of license-db/held-out.txt")
    args = ap.parse_args()
    if args.held_out:
        for line in open(os.path.join(HERE, "held-out.txt")):
            f = line.split("#")[0].split()
            if len(f) == 2 and "@" in f[1]:
                (args.go_program if f[0] == "go" else args.rust_program).append(f[1])
    groups = collections.defaultdict(set)
    for b in args.go_binary:
        groups["go (binaries)"].update(go_binary_modules(b))
    for p in args.go_program:
        groups["go (go.mod build lists)"].update(go_program_modules(p))
    for b in args.rust_binary:
        groups["rust (cargo-auditable binaries)"].update(rust_binary_crates(b))
    for p in args.rust_program:
        groups["rust (Cargo.lock of published programs)"].update(rust_program_crates(p))
    for label, pkgs in groups.items():
        pkgs = sorted(pkgs)
        t, a = truth(args.assay, pkgs), answers(args.assay, pkgs)
        judged = [p for p in pkgs if p in t]  # packages whose own files give a license
        answered = [p for p in judged if a.get(p, {}).get("expression")]
        right = [p for p in answered if a[p]["expression"] == t[p]]
        methods = collections.Counter(a[p]["method"] for p in answered)
        print(f"{label}: {len(pkgs)} packages, {len(judged)} with a license in their own files; "
              f"coverage {len(answered)}/{len(judged)} = {len(answered) / max(1, len(judged)):.3f}, "
              f"accuracy {len(right)}/{len(answered)} = {len(right) / max(1, len(answered)):.3f}")
        print(f"  answered by: {dict(methods)}")
        for p in answered:
            if p not in right:
                print(f"  WRONG {p[1]}@{p[2]}: db {a[p]['expression']} ({a[p]['method']}), truth {t[p]}")
        for p in judged:
            if p not in answered:
                print(f"  MISSING {p[1]}@{p[2]}: truth {t[p]}")


if __name__ == "__main__":
    main()
