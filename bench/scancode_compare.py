#!/usr/bin/env python3
"""assay's license per Go module against ScanCode's, on real Go binaries.

For every module a binary records (`go version -m`), ScanCode (scancode-toolkit, installed in
its own venv by bench/scancode_compare.sh) scans the module's own top-level license-like
files in the Go module cache (LICENSE*, LICENCE*, COPYING*, COPYRIGHT*, NOTICE*, PATENTS*,
UNLICENSE*, any case: a wider choice than assay's), and its per-file
`detected_license_expression_spdx` are joined with AND. assay answers twice: offline on a
clean machine (bundled license-db only) and with the filled module cache.

Agreement is judged on the set of license ids in each expression (AND/OR/WITH structure
aside, which ScanCode often renders differently for a dual-license file); exact string
equality is reported too. Prints a table of disagreements and writes bench/out/scancode/*.

    python3 bench/scancode_compare.py SCANCODE GOMODCACHE BIN...
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

scancode, gomodcache, bins = sys.argv[1], sys.argv[2], sys.argv[3:]
repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
assay = os.path.join(repo, "target/release/assay")
out_dir = os.path.join(repo, "bench/out/scancode")
os.makedirs(out_dir, exist_ok=True)
LICENSE_LIKE = re.compile(r"^(licen[cs]e|copying|copyright|notice|patents|unlicense|mit-licen[cs]e)", re.I)


def escape(path):
    return "".join("!" + c.lower() if c.isupper() else c for c in path)


def modules_of(binary):
    out = subprocess.run(["go", "version", "-m", binary], capture_output=True, text=True, check=True).stdout
    mods = {}
    last = None
    for line in out.splitlines():
        f = line.strip().split("\t")
        if f[0] == "dep" and len(f) >= 3:
            last = (f[1], f[2])
            mods[last] = last
        elif f[0] == "=>" and last and len(f) >= 3:
            mods[last] = (f[1], f[2])  # the replacement is what was built
    return mods


def ids(expr):
    if not expr:
        return frozenset()
    return frozenset(t for t in re.split(r"[\s()]+", expr) if t and t not in ("AND", "OR", "WITH"))


# Naming differences, not different terms (checked on the texts): Go's PATENTS file is an
# additional patent grant (not a license of the code: assay records it as evidence of the Go
# distribution only), and ScanCode's unversioned `unicode` key is the Unicode data files
# license that assay names by version.
SAME = {"LicenseRef-scancode-unicode": {"Unicode-DFS-2016", "Unicode-3.0", "Unicode-DFS-2015"}}
GRANTS = {"LicenseRef-scancode-google-patent-license-golang"}


def ids_normalised(expr, other):
    out = set(ids(expr)) - GRANTS
    for ref, names in SAME.items():
        if ref in out and other & names:
            out = (out - {ref}) | (other & names)
    return frozenset(out)


def assay_licenses(env_extra, *args):
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000", **env_extra)
    t = time.time()
    r = subprocess.run([assay, "licenses", *bins, "-o", "json", *args], capture_output=True, text=True, env=env)
    wall = time.time() - t
    doc = json.loads(r.stdout)
    res = {}
    for c in doc["components"]:
        if c["kind"] in ("go-module",) and c.get("license"):
            res[(c["name"], c["version"])] = c["license"].get("expression")
    return res, wall


# 1. the modules and their license-like files
mods = {}
for b in bins:
    for key, real in modules_of(b).items():
        mods[key] = real
work = tempfile.mkdtemp(prefix="scancode-in-")
missing = []
for (path, ver), (rpath, rver) in sorted(mods.items()):
    src = os.path.join(gomodcache, f"{escape(rpath)}@{escape(rver)}")
    if not os.path.isdir(src):
        missing.append(f"{rpath}@{rver}")
        continue
    dst = os.path.join(work, f"{escape(path)}@{ver}".replace("/", "%"))
    os.makedirs(dst, exist_ok=True)
    for name in os.listdir(src):
        p = os.path.join(src, name)
        if os.path.isfile(p) and LICENSE_LIKE.match(name) and not name.endswith((".go", ".c", ".h", ".s")):
            shutil.copy(p, os.path.join(dst, name))

# 2. ScanCode
sc_json = os.path.join(out_dir, "scancode.json")
t = time.time()
ru0 = os.times()
subprocess.run([scancode, "-l", "-n", "2", "--quiet", "--json-pp", sc_json, work], check=True)
ru1 = os.times()
sc_wall = time.time() - t
sc_cpu = (ru1.children_user - ru0.children_user) + (ru1.children_system - ru0.children_system)
per_module = {}
for f in json.load(open(sc_json))["files"]:
    if f["type"] != "file":
        continue
    parts = f["path"].split("/")
    mod = parts[-2]
    e = f.get("detected_license_expression_spdx")
    if e:
        per_module.setdefault(mod, []).append((parts[-1], e))
scan = {}
for (path, ver) in mods:
    key = f"{escape(path)}@{ver}".replace("/", "%")
    if os.path.isdir(os.path.join(work, key)):
        exprs = sorted({e for _, e in per_module.get(key, [])})
        scan[(path, ver)] = " AND ".join(f"({e})" if " " in e and len(exprs) > 1 else e for e in exprs) or None

# 3. assay, clean machine and filled cache
empty = tempfile.mkdtemp(prefix="empty-")
clean, clean_wall = assay_licenses({"HOME": empty, "GOMODCACHE": os.path.join(empty, "mod"), "CARGO_HOME": empty})
cached, cached_wall = assay_licenses({"HOME": empty, "GOMODCACHE": gomodcache, "CARGO_HOME": empty})
remote, remote_wall = assay_licenses({"HOME": empty, "GOMODCACHE": os.path.join(empty, "mod"), "CARGO_HOME": empty,
                                      "ASSAY_CACHE_DIR": os.path.join(empty, "assay-cache")}, "--licenses", "remote")

# 4. compare
rows = []
runs = (("clean", clean, clean_wall), ("cache", cached, cached_wall), ("remote", remote, remote_wall))
stats = {name: [0, 0, 0, 0, 0] for name, _, _ in runs}  # answered, id-agree, exact, compared, normalised
for key in sorted(scan):
    truth = scan[key]
    if truth is None:
        continue
    for name, res, _ in runs:
        got = res.get(key)
        st = stats[name]
        st[3] += 1
        if got:
            st[0] += 1
            st[1] += ids(got) == ids(truth)
            st[2] += got == truth
            st[4] += ids_normalised(truth, ids(got)) == ids(got)
    if any(ids(r.get(key)) != ids(truth) for _, r, _ in runs):
        rows.append((f"{key[0]}@{key[1]}", truth, cached.get(key), clean.get(key), remote.get(key)))
with open(os.path.join(out_dir, "comparison.json"), "w") as f:
    json.dump({"scancode": {f"{k[0]}@{k[1]}": v for k, v in scan.items()},
               "assay_clean": {f"{k[0]}@{k[1]}": v for k, v in clean.items()},
               "assay_cache": {f"{k[0]}@{k[1]}": v for k, v in cached.items()},
               "assay_remote": {f"{k[0]}@{k[1]}": v for k, v in remote.items()}}, f, indent=1, sort_keys=True)

no_truth = sum(1 for v in scan.values() if v is None)
print(f"modules: {len(mods)}; not in the module cache: {len(missing)}; ScanCode found nothing: {no_truth}")
print(f"ScanCode wall {sc_wall:.1f} s, CPU {sc_cpu:.1f} s")
for name, _, wall in runs:
    a, agree, exact, n, norm = stats[name]
    print(f"assay {name:6}: answered {a}/{n} ({a / n:.3f}); same license ids as ScanCode {agree}/{a} "
          f"({agree / max(a, 1):.3f}), after naming differences {norm}/{a} ({norm / max(a, 1):.3f}); "
          f"same string {exact}/{a}; wall {wall:.2f} s")
print("\ndisagreements: module | ScanCode | assay cache | assay clean | assay remote")
for r in rows:
    print(" | ".join(str(x) for x in r))
shutil.rmtree(work, ignore_errors=True)
