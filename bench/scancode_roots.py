#!/usr/bin/env python3
"""assay's license-file rule and classifier against ScanCode on the root files of real Go
modules, without building programs. For every module the zip's root license-like files
(LICENSE*, COPYING*, NOTICE*, PATENTS*, ...) are read from the module proxy with HTTP byte
ranges (license-db/crawl.py's cached reader: $ASSAY_CACHE_DIR/license-db-crawl or
license-db/.cache); ScanCode (`scancode -l`, run once over all the directories) and `assay
license-db classify` (the rule the resolver and the db generator share) then read the same
directories. Agreement is on each module's set of license ids.

    python3 bench/scancode_roots.py                  # bench/scancode-roots.txt (252 modules
                                                     # chosen by hand for variety)
    python3 bench/scancode_roots.py --held-out       # the go.mod build lists of the held-out Go
                                                     # programs (license-db/held-out.txt) and of
                                                     # the earlier held-out set (EARLIER below)
    python3 bench/scancode_roots.py --list FILE      # PATH@VERSION a line
    --scancode PATH   (default bench/out/scancode-venv/bin/scancode, see scancode_compare.sh)
    ASSAY=path/to/assay python3 bench/scancode_roots.py   # another assay build

Two figures are printed: the raw one (the same ids as written) and the one after the naming
map (NAMING below: ScanCode's own names for licenses SPDX names otherwise, and ScanCode's
reference markers, which name no license). Every remaining disagreement is looked up in
bench/scancode-judged.tsv, where a person who read the files recorded who is right:
`naming` (the same license named two ways, or terms SPDX has no id for that each tool names
with its own LicenseRef), `scancode-wrong` (ScanCode over- or under-reads), `assay-wrong`
(including both wrong), `scope` (a documented rule of assay's, such as LGPL-3.0's companion
GPL text not being a second license). A judgement holds for the exact module, version and
assay answer it was made on; anything else is reported as `unjudged`. Results and the
per-module table are written to the output directory.
"""
import argparse, collections, json, os, re, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "license-db"))
import crawl  # noqa: E402

LIKE = re.compile(r"^(licen[cs]e|copying|copyright|notice|patents|unlicense|mit-licen[cs]e)", re.I)
# The earlier held-out Go programs (their versions as measured in docs/licenses.md).
EARLIER = ["github.com/mikefarah/yq/v4@v4.54.3", "github.com/junegunn/fzf@v0.65.2",
           "github.com/schollz/croc/v10@v10.7.0", "github.com/charmbracelet/gum@v0.17.0",
           "github.com/nektos/act@v0.2.89", "go.k6.io/k6@v1.8.1"]

# ScanCode ids that name no license: its marker for a reference to a license stated elsewhere
# ("see LICENSE"), and Google's Go patent grant (assay keeps it as evidence: it only adds
# rights, see docs/licenses.md).
NO_LICENSE = {
    "LicenseRef-scancode-unknown-license-reference",
    "LicenseRef-scancode-google-patent-license-golang",
}
# ScanCode's name -> the SPDX id assay writes for the same license text (checked on the texts:
# ScanCode keeps its own key where SPDX has an id it does not map to).
NAMING = {
    # OpenSSL's dual text: SPDX 3.23 split it into OpenSSL-standalone + SSLeay-standalone for
    # the two halves; ScanCode 32.5.0 (license list 3.27) still reports the combined `OpenSSL`.
    "OpenSSL": {"OpenSSL-standalone", "SSLeay-standalone"},
    # ScanCode's key for protobuf's license: the BSD-3-Clause text (plus a sentence on the
    # ownership of generated code), which SPDX and assay name BSD-3-Clause.
    "LicenseRef-scancode-protobuf": {"BSD-3-Clause"},
}
# Documentation-only license files: assay keeps them as evidence, not in the expression.
DOCS = re.compile(r"^licen[cs]e[._-](docs?|documentation|content)(\.(md|txt))?$", re.I)


def ids(e):
    return frozenset(t for t in re.split(r"[\s()]+", e or "") if t and t not in ("AND", "OR", "WITH"))


def normalised(idset):
    out = set()
    for i in idset - NO_LICENSE:
        out |= NAMING.get(i, {i})
    return frozenset(out)


def spdx_only(idset):
    """The ids SPDX lists: every LicenseRef- dropped (ScanCode's own keys for terms SPDX has no
    id for -- public-domain dedications, "other-permissive" -- and assay's LicenseRef-assay-
    for texts it carries unclassified)."""
    return frozenset(i for i in normalised(idset) if not i.startswith("LicenseRef-"))


def module_list(args):
    if args.list:
        return [l.split()[0] for l in open(args.list) if l.strip() and not l.startswith("#")]
    if args.held_out:
        import measure  # license-db/measure.py: go.mod build lists through the cached reader
        progs = []
        for line in open(os.path.join(REPO, "license-db", "held-out.txt")):
            f = line.split("#")[0].split()
            if len(f) == 2 and f[0] == "go" and "@" in f[1]:
                progs.append(f[1])
        mods = set()
        for p in progs + EARLIER:
            mods.update(f"{m}@{v}" for _, m, v in measure.go_program_modules(p))
        return sorted(mods)
    path = os.path.join(HERE, "scancode-roots.txt")
    return [l.strip() for l in open(path) if l.strip() and not l.startswith("#")]


def fetch(mods, roots):
    """Root license-like files of each module into roots/<escaped path>@<version>/."""
    import concurrent.futures as cf
    missing = 0

    def one(mv):
        m, v = mv.rsplit("@", 1)
        d = os.path.join(roots, crawl.escape(m).replace("/", "%") + "@" + v)
        if os.path.isdir(d):
            return True
        data = crawl.go_files(m, v)
        if "files" not in data:
            return False
        os.makedirs(d + ".part", exist_ok=True)
        for n, t in data["files"].items():
            if "/" not in n and LIKE.match(n) and not n.endswith((".go", ".c", ".h")):
                with open(os.path.join(d + ".part", n), "w") as f:
                    f.write(t)
        os.rename(d + ".part", d)
        return True

    with cf.ThreadPoolExecutor(crawl.WORKERS) as ex:
        for ok in ex.map(one, mods):
            missing += not ok
    return missing


def cpu(r0, r1):
    return r1.children_user - r0.children_user + r1.children_system - r0.children_system


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--list")
    ap.add_argument("--held-out", action="store_true")
    ap.add_argument("--scancode", default=os.path.join(HERE, "out/scancode-venv/bin/scancode"))
    ap.add_argument("--out")
    ap.add_argument("--judged", default=os.path.join(HERE, "scancode-judged.tsv"))
    args = ap.parse_args()
    assay = os.environ.get("ASSAY", os.path.join(REPO, "target/release/assay"))
    name = "scancode-held-out" if args.held_out else (
        "scancode-" + os.path.splitext(os.path.basename(args.list))[0] if args.list else "scancode-roots")
    out = args.out or os.path.join(HERE, "out", name)
    roots = os.path.join(out, "roots")
    os.makedirs(roots, exist_ok=True)

    mods = module_list(args)
    missing = fetch(mods, roots)
    wanted = {crawl.escape(mv.rsplit("@", 1)[0]).replace("/", "%") + "@" + mv.rsplit("@", 1)[1] for mv in mods}

    sc_json = os.path.join(out, "scancode.json")
    if not os.path.exists(sc_json):
        t, r0 = time.time(), os.times()
        subprocess.run([args.scancode, "-l", "-n", "2", "--quiet", "--json-pp", sc_json + ".part", roots],
                       check=True)
        os.rename(sc_json + ".part", sc_json)
        r1 = os.times()
        print(f"ScanCode: {time.time() - t:.1f} s wall, {cpu(r0, r1):.1f} s CPU (user+sys)")
    per = collections.defaultdict(list)
    docs_dropped = 0
    for f in json.load(open(sc_json))["files"]:
        parts = f["path"].split("/")
        if f["type"] == "file" and f.get("detected_license_expression_spdx") and parts[-2] in wanted:
            if DOCS.match(parts[-1]):
                docs_dropped += 1
                continue
            per[parts[-2]].append((parts[-1], f["detected_license_expression_spdx"]))

    dirs = sorted(os.path.join(roots, d) for d in wanted if os.path.isdir(os.path.join(roots, d)))
    # A fresh cache for assay: its remembered classifications would make the timing a warm
    # one (and $ASSAY_CACHE_DIR, where crawl.py's files are, may be shared).
    import tempfile
    env = dict(os.environ, ASSAY_CACHE_DIR=tempfile.mkdtemp(prefix="assay-scancode-roots-"))
    t, r0 = time.time(), os.times()
    lines = []
    for i in range(0, len(dirs), 300):
        res = subprocess.run([assay, "license-db", "classify", *dirs[i:i + 300]], capture_output=True,
                             text=True, env=env)
        lines += res.stdout.splitlines()
    r1 = os.times()
    import shutil
    shutil.rmtree(env["ASSAY_CACHE_DIR"], ignore_errors=True)
    print(f"assay license-db classify: {time.time() - t:.1f} s wall, {cpu(r0, r1):.1f} s CPU (user+sys)")

    judged = {}
    if os.path.exists(args.judged):
        for line in open(args.judged):
            if line.startswith("#") or not line.strip():
                continue
            mv, expr, verdict, why = line.rstrip("\n").split("\t")
            judged[(mv, expr)] = (verdict, why)

    raw = named = spdx = neither = 0
    verdicts = collections.Counter()
    report = []
    table = []
    for line in lines:
        d = json.loads(line)
        key = os.path.basename(d["dir"])
        s = per.get(key, [])
        expr = d.get("expression") or ""
        mine = ids(expr)
        truth = frozenset().union(*[ids(e) for _, e in s]) if s else frozenset()
        if not truth and not mine:
            neither += 1
            continue
        same_raw = mine == truth
        same = same_raw or normalised(mine) == normalised(truth)
        raw += same_raw
        named += same
        spdx += spdx_only(mine) == spdx_only(truth)
        mv = key.replace("%", "/")
        verdict = "agree" if same_raw else "naming-map" if same else None
        if verdict is None:
            verdict, why = judged.get((mv, expr), ("unjudged", ""))
            verdicts[verdict] += 1
            files = ", ".join(f"{x['file']}={x.get('expression')}" for x in d.get("files", []))
            report.append(f"{verdict:14} {mv}\n  ScanCode: {'; '.join(f'{f}={e}' for f, e in s) or '-'}\n"
                          f"  assay:    {expr or '-'} [{d.get('method')}] ({files})" + (f"\n  why: {why}" if why else ""))
        table.append(f"{mv}\t{verdict}\t{expr}\t{' AND '.join(sorted(truth))}")
    compared = len(table)
    for r in sorted(report):
        print(r)
    assay_wrong = verdicts["assay-wrong"] + verdicts["unjudged"]
    summary = [
        f"{len(mods)} modules ({missing} the proxy did not serve); {neither} where neither found a license; "
        f"{compared} compared; ScanCode ignored {docs_dropped} documentation-only license files",
        f"same license ids as written: {raw}/{compared} = {raw / max(1, compared):.3f}",
        f"after the naming map: {named}/{compared} = {named / max(1, compared):.3f}",
        f"the same SPDX-listed ids (LicenseRef-s dropped on both sides): {spdx}/{compared} = "
        f"{spdx / max(1, compared):.3f}",
        "disagreements: " + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())),
        f"assay right (agree, naming, scancode-wrong, scope): {compared - assay_wrong}/{compared} = "
        f"{(compared - assay_wrong) / max(1, compared):.3f} (unjudged counted as assay-wrong)",
    ]
    print("\n".join(summary))
    with open(os.path.join(out, "table.tsv"), "w") as f:
        f.write("# module\tverdict\tassay\tScanCode ids\n" + "\n".join(sorted(table)) + "\n")
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write("\n".join(summary) + "\n\n" + "\n".join(sorted(report)) + "\n")


if __name__ == "__main__":
    main()
