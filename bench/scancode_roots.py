#!/usr/bin/env python3
"""assay's license-file rule and classifier against ScanCode on the root files of real Go
modules, without building programs: for every PATH@VERSION in bench/scancode-roots.txt the
module zip's root license-like files (LICENSE*, COPYING*, NOTICE*, PATENTS*, ...) are read
from the module proxy with HTTP byte ranges (license-db/crawl.py's reader) and cached under
bench/out/scancode-roots/; ScanCode (`scancode -l`) and `assay license-db classify` (the rule
the resolver and the db generator share) then read the same directories. Agreement is on
each module's set of license ids, as in bench/scancode_compare.py.

    python3 bench/scancode_roots.py [SCANCODE]   # default bench/out/scancode-venv/bin/scancode
    ASSAY=path/to/assay python3 bench/scancode_roots.py   # another assay build
"""
import json, os, re, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "license-db"))
import crawl  # noqa: E402

scancode = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "out/scancode-venv/bin/scancode")
assay = os.environ.get("ASSAY", os.path.join(REPO, "target/release/assay"))
out = os.path.join(HERE, "out/scancode-roots")
roots = os.path.join(out, "roots")
LIKE = re.compile(r"^(licen[cs]e|copying|copyright|notice|patents|unlicense|mit-licen[cs]e)", re.I)
GRANTS = {"LicenseRef-scancode-google-patent-license-golang"}

mods = [l.strip() for l in open(os.path.join(HERE, "scancode-roots.txt")) if l.strip() and not l.startswith("#")]
for mv in mods:
    m, v = mv.rsplit("@", 1)
    d = os.path.join(roots, crawl.escape(m).replace("/", "%") + "@" + v)
    if os.path.isdir(d):
        continue
    files = crawl.zip_root_files(f"{crawl.PROXY}/{crawl.escape(m)}/@v/{crawl.escape(v)}.zip", f"{m}@{v}/")
    os.makedirs(d + ".part", exist_ok=True)
    for n, t in files.items():
        if LIKE.match(n) and not n.endswith((".go", ".c", ".h")):
            open(os.path.join(d + ".part", n), "w").write(t)
    os.rename(d + ".part", d)

sc_json = os.path.join(out, "scancode.json")
if not os.path.exists(sc_json):
    t, r0 = time.time(), os.times()
    subprocess.run([scancode, "-l", "-n", "2", "--quiet", "--json-pp", sc_json, roots], check=True)
    r1 = os.times()
    print(f"ScanCode: {time.time() - t:.1f} s wall, "
          f"{r1.children_user - r0.children_user + r1.children_system - r0.children_system:.1f} s CPU")
per = {}
for f in json.load(open(sc_json))["files"]:
    parts = f["path"].split("/")
    if f["type"] == "file" and f.get("detected_license_expression_spdx"):
        per.setdefault(parts[-2], []).append((parts[-1], f["detected_license_expression_spdx"]))

dirs = sorted(os.path.join(roots, d) for d in os.listdir(roots))
t, r0 = time.time(), os.times()
res = subprocess.run([assay, "license-db", "classify", *dirs], capture_output=True, text=True)
r1 = os.times()
print(f"assay license-db classify: {time.time() - t:.1f} s wall, "
      f"{r1.children_user - r0.children_user + r1.children_system - r0.children_system:.1f} s CPU")


def ids(e):
    return frozenset(t for t in re.split(r"[\s()]+", e or "") if t and t not in ("AND", "OR", "WITH"))


agree = compared = 0
for line in res.stdout.splitlines():
    d = json.loads(line)
    name = os.path.basename(d["dir"])
    s = per.get(name)
    if not s:
        continue
    compared += 1
    truth = frozenset().union(*[ids(e) for _, e in s]) - GRANTS
    if ids(d.get("expression")) == truth:
        agree += 1
        continue
    files = ", ".join(f"{x['file']}={x.get('expression')}" for x in d.get("files", []))
    print(f"{name}\n  ScanCode: {'; '.join(f'{f}={e}' for f, e in s)}\n  assay:    {d.get('expression')} [{d.get('method')}] ({files})")
print(f"{len(mods)} modules, {compared} where ScanCode found a license: same license ids {agree}/{compared}")
