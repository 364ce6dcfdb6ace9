#!/usr/bin/env python3
"""Writes license-db/packages.tsv (format: license-db/FORMAT.md) from the crawl cache.

  python3 license-db/debian.py seeds                          # Debian seed lists
  python3 license-db/crawl.py go debian rust bisect           # fetch (resumable, cached, polite)
  python3 license-db/crawl.py --with-held-out go debian rust bisect  # + the held-out programs
  python3 license-db/generate.py [--assay target/release/assay] [--exclude-held-out]

By default the table is built from the --with-held-out crawl (what ships: the held-out programs
are popular programs users scan, so their packages belong in the table). --exclude-held-out
builds it from the plain crawl, whose inputs never include a held-out program or anything
reachable only through one: the table `measure.py --held-out` must be run on for an honest
coverage figure.

Every examined package version is classified by assay itself (`assay license-db classify`: the
resolver's license-file rule and classifier for Go module roots, the `license` /
`license-file` rule of Cargo.toml for crates), so the db and a scan decide by one rule.
A version whose license files are missing or unrecognised gets no row (unknown stays absent).
Flags: `n` on a Go module whose nested modules (paths below it) were examined and all share
its newest license; `m` on a Go module whose other major versions were examined and all agree.
Only the Python standard library is used.
"""
import argparse, collections, datetime, hashlib, json, os, re, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import crawl  # noqa: E402  (cache paths and helpers)
import debian  # noqa: E402  (the Debian fallback's output)

MAGIC = "assay-license-db 1"
# NOTICE files (src/license/notice.rs, is_notice_file)
NOTICE = re.compile(r"^notices?(\.(md|txt|markdown|rst))?$", re.I)


def classify(assay, dirs, tmp):
    """`assay license-db classify` on every directory; results are cached per assay build (its
    size and mtime), as classifying ~12k package versions takes minutes."""
    st = os.stat(assay)
    cache_path = os.path.join(crawl.CACHE, f"classified-{st.st_size}-{int(st.st_mtime)}.json")
    cache = json.load(open(cache_path)) if os.path.exists(cache_path) else {}
    todo = [d for d in dirs if os.path.relpath(d, tmp) not in cache]
    for start in range(0, len(todo), 300):
        batch = todo[start:start + 300]
        res = subprocess.run([assay, "license-db", "classify", *batch], capture_output=True, text=True)
        for line in res.stdout.splitlines():
            v = json.loads(line)
            cache[os.path.relpath(v["dir"], tmp)] = v
    with open(cache_path, "w") as f:
        json.dump(cache, f)
    return {d: cache.get(os.path.relpath(d, tmp), {}) for d in dirs}


def write_tree(root, files):
    os.makedirs(root, exist_ok=True)
    for name, text in files.items():
        if ".." in name.split("/") or name.startswith("/"):
            continue
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


def crate_manifest(name, v, data):
    """The Cargo.toml fields that decide a crate's license, as the crawl recorded them."""
    manifest = f"[package]\nname = {json.dumps(name)}\nversion = {json.dumps(v)}\n"
    if data.get("license"):
        manifest += f"license = {json.dumps(data['license'])}\n"
    if data.get("license_file"):
        manifest += f"license-file = {json.dumps(data['license_file'])}\n"
    return manifest


def major_base(path):
    m = re.match(r"^(.*)/v\d+$", path)
    return m.group(1) if m else path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--assay", default=os.path.join(HERE, "..", "target", "release", "assay"))
    ap.add_argument("--out", default=os.path.join(HERE, "packages.tsv"))
    ap.add_argument("--exclude-held-out", action="store_true",
                    help="build from the held-out-free crawl (for measure.py --held-out)")
    args = ap.parse_args()
    crawl.VARIANT = "" if args.exclude_held_out else "-with-held-out"
    go = json.load(open(crawl.graph_path("go")))
    rust = json.load(open(crawl.graph_path("rust")))
    tmp = tempfile.mkdtemp(prefix="assay-licdb-")
    jobs = {}  # dir -> (kind, name, version)
    bisect_path = crawl.graph_path("bisect")
    extra = json.load(open(bisect_path)) if os.path.exists(bisect_path) else {}
    for m, versions in go["modules"].items():
        examined = go.get("examined", {}).get(m, [versions[0], versions[-1]])
        for v in {*examined, *extra.get(f"go {m}", [])}:
            cached = os.path.join(crawl.CACHE, "go", "files", f"{crawl.escape(m)}@{crawl.escape(v)}.json")
            if not os.path.exists(cached):
                continue
            data = json.load(open(cached))
            if "files" not in data:
                continue
            d = os.path.join(tmp, "go", f"{crawl.escape(m)}@{v}")
            write_tree(d, data["files"])
            jobs[d] = ("go", m, v)
    # Debian's golang-*-dev packages, for modules the proxy served no license files for
    # (crawl.py debian, license-db/debian.py; the rule is in FORMAT.md)
    deb_path = debian.fallback_path()
    deb = json.load(open(deb_path)) if os.path.exists(deb_path) else {"modules": {}, "required": {}}
    for m, versions in deb["required"].items():
        for v in versions:
            data = crawl.go_files(m, v)
            if "files" in data:
                d = os.path.join(tmp, "go", f"{crawl.escape(m)}@{v}")
                write_tree(d, data["files"])
                jobs[d] = ("go", m, v)
    from_proxy = {j[1] for j in jobs.values()}
    from_debian = {}  # dir -> the Debian package's record
    for m, info in deb["modules"].items():
        if m in from_proxy:
            continue
        d = os.path.join(tmp, "go-debian", f"{crawl.escape(m)}@{info['version']}")
        write_tree(d, info["files"])
        jobs[d] = ("go", m, info["version"])
        from_debian[d] = info
    for name, versions in rust["crates"].items():
        for v in {*versions, *extra.get(f"crate {name}", [])}:
            cached = os.path.join(crawl.CACHE, "rust", "crates", f"{name.lower()}@{v}.json")
            if not os.path.exists(cached):
                continue
            data = json.load(open(cached))
            if "error" in data:
                continue
            d = os.path.join(tmp, "crate", f"{name}@{v}")
            files = dict(data["files"])
            files["Cargo.toml"] = crate_manifest(name, v, data)
            write_tree(d, files)
            jobs[d] = ("crate", name, v)
    print(f"classifying {len(jobs)} package versions", file=sys.stderr)
    results = classify(args.assay, sorted(jobs), tmp)
    rows = []  # (kind, name, version, expression, confidence, evidence)
    texts = collections.defaultdict(set)  # sha256 -> {(expression)}
    text_uses = collections.Counter()
    skipped = collections.Counter()
    deb_check = collections.Counter()
    for d, (kind, name, v) in jobs.items():
        r = results.get(d, {})
        expr = r.get("expression")
        if not expr or not r.get("valid") or r.get("method") == "unclassified-text" or "\t" in expr:
            skipped[kind] += 1
            continue
        files = [e["file"] for e in r.get("files", [])]
        conf = float(r.get("confidence", 0))
        if d in from_debian:
            info = from_debian[d]
            files = [f"debian:{info['package']} {info['deb_version']} {f}" for f in files]
            # a Debian version names the upstream release it packages (0.9 at most); a
            # snapshot names none (0.7 at most, and its row answers only as another version)
            conf = min(conf, 0.9 if info["exact"] else 0.7)
            deb_check[debian.copyright_agrees(info.get("copyright"), expr)] += 1
            if debian.copyright_agrees(info.get("copyright"), expr) == "disagree":
                print(f"debian copyright differs: {name} {info['package']}: LICENSE {expr}, copyright "
                      f"{debian.copyright_license(info.get('copyright'))}", file=sys.stderr)
        rows.append((kind, name, v, expr, conf, files))
        for e in r.get("files", []):
            # known license texts only: a NOTICE's expression is what it states, not its text's
            if e.get("sha256") and e.get("expression") and not NOTICE.match(e["file"]):
                texts[e["sha256"]].add(e["expression"])
                text_uses[e["sha256"]] += 1
    # a module the proxy served is answered from its own files, never from a Debian package
    proxied = {(r[0], r[1]) for r in rows if not any(f.startswith("debian:") for f in r[5])}
    rows = [r for r in rows if not any(f.startswith("debian:") for f in r[5]) or (r[0], r[1]) not in proxied]
    deb_rows = {r[1] for r in rows if any(f.startswith("debian:") for f in r[5])}
    deb_exact = sum(1 for r in rows if r[1] in deb_rows and not r[2].startswith("v0.0.0-debian."))
    # merge per package: consecutive examined versions with one expression form a range
    by_pkg = collections.defaultdict(list)
    for row in rows:
        by_pkg[(row[0], row[1])].append(row)
    merged = []
    for (kind, name), rs in by_pkg.items():
        # semver order for crates too: a pre-release sorts before its release (vstd
        # 0.0.0-2026-11-01-0251 before 0.0.0), or the rows of one crate would overlap
        rs.sort(key=lambda r: crawl.semver_key(r[2]))
        cur = None
        for r in rs:
            if cur and cur["expr"] == r[3]:
                cur["last"] = r[2]
                cur["conf"] = min(cur["conf"], r[4])
                cur["evidence"] += [f for f in r[5] if f not in cur["evidence"]]
            else:
                cur = {"kind": kind, "name": name, "first": r[2], "last": r[2], "expr": r[3],
                       "conf": r[4], "evidence": list(r[5]), "flags": ""}
                merged.append(cur)
    # evidence for answering nested modules and other major versions
    newest = {}
    for row in merged:
        if row["kind"] == "go":
            newest[row["name"]] = row  # rows are in version order: the last wins
    for name, row in newest.items():
        nested = [n for n in newest if n.startswith(name + "/")
                  and not any(n.startswith(o + "/") and o.startswith(name + "/") for o in newest if o != n)]
        if nested and all(newest[n]["expr"] == row["expr"] for n in nested):
            row["flags"] += "n"
    majors = collections.defaultdict(list)
    for name in newest:
        majors[major_base(name)].append(name)
    for base, names in majors.items():
        if len(names) >= 2 and len({newest[n]["expr"] for n in names}) == 1:
            for n in names:
                newest[n]["flags"] += "m"
    for sha, exprs in texts.items():
        if len(exprs) == 1 and text_uses[sha] >= 2:
            merged.append({"kind": "text", "name": sha, "first": "-", "last": "-", "expr": next(iter(exprs)),
                           "conf": 1.0, "evidence": [], "flags": ""})
    exprs = sorted({r["expr"] for r in merged})
    index = {e: i for i, e in enumerate(exprs)}

    def order(r):
        v = crawl.semver_key(r["first"])
        return (f"{r['kind']}\t{r['name']}".encode(), v)
    merged.sort(key=order)
    version = subprocess.run([args.assay, "--version"], capture_output=True, text=True).stdout.strip()
    counts = collections.Counter(r["kind"] for r in merged)
    names = collections.Counter(r["kind"] for r in {(r["kind"], r["name"]): r for r in merged}.values())
    import time
    when = datetime.datetime.fromtimestamp(int(os.environ.get("SOURCE_DATE_EPOCH") or time.time()),
                                           datetime.timezone.utc)
    head = [
        MAGIC,
        f"# generated {when.strftime('%Y-%m-%dT%H:%M:%SZ')} by license-db/generate.py with {version}",
        f"# go: {len(go['programs'])} programs and libraries (license-db/go-programs.txt, go-awesome.txt,"
        f" go-debian.txt"
        f"{', held-out.txt' if crawl.VARIANT else ''}) read through {go['proxy']};"
        f" {len(go['program_errors'])} listed paths not served by that proxy",
        f"# go: {len(go['modules'])} modules in their go.mod graphs, {names['go']} with a license"
        f" ({counts['go']} rows), {skipped['go']} versions without a recognised license",
        f"# go: {len(deb_rows)} modules the proxy served no license files for read from Debian"
        f" {deb.get('suite', '-')} source packages ({deb_exact} at the upstream release the"
        f" Debian version names, the rest snapshots: versions v0.0.0-debian.*);"
        f" their copyright files agree {deb_check['agree']}, disagree {deb_check['disagree']}"
        f" (the upstream license file is what counts), not comparable {deb_check['unknown']};"
        f" {sum(len(v) for v in deb['required'].values())} module versions more through the proxy (at the"
        f" release a Debian package names, or required by its go.mod)",
        f"# rust: {len(rust['seeds'])} seed crates (license-db/rust-crates.txt, rust-awesome.txt,"
        f" rust-debian.txt"
        f"{', held-out.txt' if crawl.VARIANT else ''}), {len(rust['crates'])} crates"
        f" walked through {rust['index']}, {names['crate']} with a license ({counts['crate']} rows)",
        f"# text: {counts['text']} license-file hashes seen in >= 2 packages with one verdict",
        f"expressions {len(exprs)}", *exprs, f"rows {len(merged)}",
    ]
    with open(args.out, "w") as f:
        f.write("\n".join(head) + "\n")
        for r in merged:
            ev = ",".join(e.replace(",", "_").replace("\t", "_") for e in r["evidence"])
            f.write(f"{r['kind']}\t{r['name']}\t{r['first']}\t{r['last']}\t{index[r['expr']]}\t"
                    f"{r['conf']:.2f}\t{r['flags']}\t{ev}\n")
    print("\n".join(h for h in head if h.startswith("#")), file=sys.stderr)


if __name__ == "__main__":
    main()
