#!/usr/bin/env python3
"""Debian's curated Go and Rust packages as license-db seeds, and as a fallback source of a Go
module's root files when the module proxy refuses the module.

  python3 license-db/debian.py seeds            # writes go-debian.txt and rust-debian.txt
  python3 license-db/crawl.py [--with-held-out] go debian rust bisect
                                                # `debian`: the fallback, after `go`

Debian packages what its users need: a Go library or Rust crate is in Debian because a packaged
program links it, so its archive is a popularity-curated list of exactly the modules and crates
real binaries use (and, with `/usr/share/gocode/src/IMPORT-PATH/` in every golang-*-dev
package, a copy of each Go module's own root files).

Seeds: every `Go-Import-Path` of the suite's Sources index (comma-separated, several per
package); the crate names of its `rust-*` source packages (`rust-foo-bar` is the crate
`foo-bar` or `foo_bar`, and `rust-nom-7` at version 7.x is `nom`), each verified against the
crate registry's sparse index (names it does not know are skipped and counted). The held-out
programs' own paths and crate names are left out (Debian may still package their
dependencies, because it packages the program).

Fallback (`go_deb_files`): the golang-*-dev .deb that ships an import path; the root license
files and go.mod under /usr/share/gocode/src/IMPORT-PATH/ and the package's
/usr/share/doc/PKG/copyright, read from its data.tar.xz (sizes bounded), cached as JSON.

The indexes and debs are cached under $ASSAY_CACHE_DIR/debian (or license-db/.cache/debian),
never committed. Only the Python standard library is used.
"""
import collections, concurrent.futures as cf, io, json, lzma, os, re, sys, tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import crawl  # noqa: E402  (http, cache helpers, held-out lists)

MIRROR = os.environ.get("ASSAY_GEN_DEBIAN", "http://deb.debian.org/debian").rstrip("/")
SUITE = os.environ.get("ASSAY_GEN_DEBIAN_SUITE", "trixie")
SOURCES = f"{MIRROR}/dists/{SUITE}/main/source/Sources.xz"
PACKAGES = f"{MIRROR}/dists/{SUITE}/main/binary-amd64/Packages.xz"
RELEASE = f"{MIRROR}/dists/{SUITE}/Release"
MAX_DEB = 48 << 20  # a golang-*-dev .deb larger than this is not read
MAX_INDEX = 64 << 20


def cache_dir():
    base = os.path.dirname(crawl.CACHE) if os.environ.get("ASSAY_CACHE_DIR") else crawl.CACHE
    return os.path.join(base, "debian", SUITE)


def fetch_index(url):
    """The bytes of an index file, fetched once into the cache."""
    path = os.path.join(cache_dir(), url.rsplit("/", 2)[-2] + "-" + url.rsplit("/", 1)[1])
    if not os.path.exists(path):
        body = crawl.http(url, timeout=300)[2]
        if len(body) > MAX_INDEX:
            raise IOError(f"{url}: {len(body)} bytes, more than expected")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".part", "wb") as f:
            f.write(body)
        os.replace(path + ".part", path)
    with open(path, "rb") as f:
        data = f.read()
    return lzma.decompress(data) if path.endswith(".xz") else data


def paragraphs(text):
    """deb822 paragraphs as dicts (continuation lines joined with newlines)."""
    for block in text.split("\n\n"):
        p, key = {}, None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and key:
                p[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                p[key] = value.strip()
        if p:
            yield p


def release_date():
    for p in paragraphs(fetch_index(RELEASE).decode("utf-8", "replace")):
        return p.get("Date", "?")
    return "?"


def upstream_version(debian_version):
    """Debian version without epoch, Debian revision and repack suffixes."""
    v = debian_version.split(":", 1)[-1]
    if "-" in v:
        v = v.rsplit("-", 1)[0]
    return re.sub(r"[+~](ds|dfsg|repack)\d*(\.\d+)?$", "", v)


def go_version(upstream, module):
    """The Go module version a Debian upstream version names, or None when it names none
    exactly (a git snapshot, a major that does not match the module path, anything not semver)."""
    m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)(?:~(alpha|beta|rc)(\.?\d+))?", upstream)
    if not m:
        return None
    major = int(m.group(1))
    suffix = re.search(r"/v(\d+)$", module)
    if (major >= 2) != bool(suffix) or (suffix and int(suffix.group(1)) != major):
        return None  # e.g. 2.x of a module without /v2: +incompatible or a path mismatch
    v = f"v{m.group(1)}.{m.group(2)}.{m.group(3)}"
    if m.group(4):
        v += f"-{m.group(4)}.{m.group(5).lstrip('.')}"
    return v


def snapshot_version(upstream):
    """A version string for a row read from a Debian package of no exact upstream version:
    a pre-release of v0.0.0 that no real version equals, so the table only ever answers it as
    another version (FORMAT.md)."""
    return "v0.0.0-debian." + re.sub(r"[^0-9A-Za-z.~]", ".", upstream)


# ---------------------------------------------------------------- the indexes

def go_packages():
    """import path -> {source, version, binary, filename, size} for every Go-Import-Path."""
    sources = list(paragraphs(fetch_index(SOURCES).decode("utf-8", "replace")))
    binaries = {}
    for p in paragraphs(fetch_index(PACKAGES).decode("utf-8", "replace")):
        binaries[p.get("Package")] = p
    out = {}
    for s in sources:
        paths = [x.strip() for x in re.split(r"[,\s]+", s.get("Go-Import-Path", "")) if x.strip()]
        if not paths:
            continue
        bins = [b.strip() for b in s.get("Binary", "").replace("\n", " ").split(",") if b.strip()]
        dev = [b for b in bins if b.endswith("-dev") and b in binaries
               and binaries[b].get("Filename")]
        golang = [b for b in dev if b.startswith("golang-")] or dev
        for path in paths:
            entry = {"source": s["Package"], "version": s.get("Version", "")}
            if golang:
                b = binaries[golang[0]]
                entry.update(binary=golang[0], filename=b["Filename"], size=int(b.get("Size", "0") or 0),
                             deb_version=b.get("Version", ""))
            out.setdefault(path, entry)
    return out


def rust_sources():
    """(source package, version) of every rust-* source package."""
    return sorted((p["Package"], p.get("Version", "")) for p in
                  paragraphs(fetch_index(SOURCES).decode("utf-8", "replace"))
                  if p.get("Package", "").startswith("rust-"))


def crate_candidates(source, version):
    """Crate names a rust-* source package may be, most likely first."""
    name = source[len("rust-"):]
    names = []
    m = re.fullmatch(r"(.+)-(\d+(?:\.\d+)*)", name)
    up = upstream_version(version)
    if m and (up == m.group(2) or up.startswith(m.group(2) + ".")):
        names.append(m.group(1))  # a semver-suffixed package: rust-nom-7 at 7.1.3 is nom
    names.append(name)
    out = []
    for n in names:
        for c in (n, n.replace("-", "_")):
            if c not in out:
                out.append(c)
    return out


def write_seeds():
    date = release_date()
    hold_go = {p for p, _ in crawl.held_out_specs("go")}
    hold_go |= {re.sub(r"/v\d+$", "", p) for p in hold_go}
    hold_rust = {n for n, _ in crawl.held_out_specs("crate")}

    go = go_packages()
    go_paths = sorted(go)
    kept = [p for p in go_paths if p not in hold_go and re.sub(r"/v\d+$", "", p) not in hold_go]
    head = [
        "# Seeds for the bundled license-db (Go), one module path a line, written by",
        "# license-db/debian.py from Debian's archive: every Go-Import-Path field of the",
        f"# {SUITE} main Sources index ({SOURCES}, Release date {date}).",
        "# Debian packages a Go library because a packaged program links it: a popularity-",
        "# curated list of the modules real binaries use. An import path is not always a module",
        "# path (a /vN major, a subdirectory): the proxy refuses those and the crawl counts them.",
        f"# {len(go_paths)} import paths, {len(go_paths) - len(kept)} of them held-out programs",
        "# (license-db/held-out.txt) and left out; Debian may still package a held-out",
        "# program's dependencies, because it packages that program.",
        "# Regenerate with `debian.py seeds`; do not edit by hand.",
    ]
    with open(os.path.join(HERE, "go-debian.txt"), "w") as f:
        f.write("\n".join(head + kept) + "\n")

    srcs = rust_sources()
    found, unknown, held, dups = {}, [], 0, 0
    with cf.ThreadPoolExecutor(crawl.WORKERS) as ex:
        def resolve(sv):
            for c in crate_candidates(*sv):
                idx = crawl.crate_index(c)
                if isinstance(idx, list) and idx:
                    return c
            return None
        for (src, _), name in zip(srcs, ex.map(resolve, srcs)):
            if name is None:
                unknown.append(src)
            elif name in hold_rust or name.replace("_", "-") in hold_rust:
                held += 1
            elif name in found:
                dups += 1
            else:
                found[name] = src
    head = [
        "# Seeds for the bundled license-db (Rust), one crate name a line, written by",
        "# license-db/debian.py from Debian's archive: the rust-* source packages of the",
        f"# {SUITE} main Sources index ({SOURCES}, Release date {date}).",
        "# Debian packages a crate because a packaged program links it: a popularity-curated",
        "# list of the crates real binaries use. A package name rust-foo-bar is the crate",
        "# foo-bar or foo_bar, rust-nom-7 at 7.x is nom; each name was verified against the",
        f"# crate registry's sparse index ({crawl.INDEX}).",
        f"# {len(srcs)} rust-* source packages: {len(found)} crates ({dups} more packages of a",
        f"# crate already listed, such as a semver-suffixed one), {len(unknown)} names the index",
        f"# does not know (skipped: {', '.join(unknown)}),",
        f"# {held} held-out programs (license-db/held-out.txt)",
        "# left out; Debian may still package a held-out program's dependencies.",
        "# Regenerate with `debian.py seeds`; do not edit by hand.",
    ]
    with open(os.path.join(HERE, "rust-debian.txt"), "w") as f:
        f.write("\n".join(head + sorted(found)) + "\n")
    print(f"debian: {len(kept)} Go import paths, {len(found)} crates ({len(unknown)} unknown names: "
          f"{', '.join(unknown[:12])}{' ...' if len(unknown) > 12 else ''})", file=sys.stderr)


# ---------------------------------------------------------------- the .deb fallback

def ar_members(data):
    """(name, bytes) of an ar archive, bounded by its own headers."""
    if data[:8] != b"!<arch>\n":
        raise ValueError("not an ar archive")
    pos = 8
    while pos + 60 <= len(data):
        name = data[pos:pos + 16].decode("ascii", "replace").strip().rstrip("/")
        try:
            size = int(data[pos + 48:pos + 58].decode("ascii").strip())
        except ValueError:
            raise ValueError("bad ar member size")
        start = pos + 60
        if size < 0 or start + size > len(data):
            raise ValueError("truncated ar member")
        yield name, data[start:start + size]
        pos = start + size + (size & 1)


def read_deb(data, import_path, binary):
    """Root license candidates and go.mod under the import path's gocode directory, and the
    package's copyright file, from a .deb's data.tar."""
    root = f"usr/share/gocode/src/{import_path}/"
    copyright_path = f"usr/share/doc/{binary}/copyright"
    for name, member in ar_members(data):
        if not name.startswith("data.tar"):
            continue
        if name.endswith(".xz"):
            mode = "r:xz"
        elif name.endswith(".gz"):
            mode = "r:gz"
        elif name == "data.tar":
            mode = "r:"
        else:
            raise ValueError(f"{name}: compression not supported")
        out = {"files": {}, "gomod": None, "copyright": None}
        with tarfile.open(fileobj=io.BytesIO(member), mode=mode) as tar:
            for m in tar:
                n = m.name[2:] if m.name.startswith("./") else m.name
                if not m.isfile() or m.size > crawl.MAX_FILE:
                    continue
                rel = n[len(root):] if n.startswith(root) else None
                if rel and "/" not in rel and (crawl.CANDIDATE.match(rel) or rel == "go.mod"):
                    text = tar.extractfile(m).read().decode("utf-8", "replace")
                    if rel == "go.mod":
                        out["gomod"] = text
                    else:
                        out["files"][rel] = text
                elif n == copyright_path:
                    out["copyright"] = tar.extractfile(m).read().decode("utf-8", "replace")
        return out
    raise ValueError("no data.tar member")


def go_deb_files(import_path, entry):
    """The cached root files of the Debian package shipping an import path."""
    def produce():
        if not entry.get("filename"):
            return {"error": "no golang-*-dev binary package"}
        if entry.get("size", 0) > MAX_DEB:
            return {"error": f"package of {entry['size']} bytes not read"}
        try:
            data = crawl.http(f"{MIRROR}/{entry['filename']}", timeout=300)[2]
            if len(data) > MAX_DEB:
                return {"error": "package larger than its index says"}
            out = read_deb(data, import_path, entry["binary"])
        except Exception as e:
            return {"error": f"{type(e).__name__}: {e}"[:200]}
        out.update(package=entry["binary"], deb_version=entry.get("deb_version") or entry["version"],
                   source=entry["source"])
        return out
    return crawl.cached(os.path.join(crawl.CACHE, "go", "debian", SUITE, crawl.escape(import_path) + ".json"),
                        produce)


def module_line(gomod):
    for line in (gomod or "").splitlines():
        f = line.split("//")[0].split()
        if len(f) >= 2 and f[0] == "module":
            return f[1].strip('"')
    return None


def crawl_fallback():
    """For every Go module of the crawl's graph (and every seed path) that the proxy served no
    license files for: the files of the Debian package shipping it. Writes
    go/debian{VARIANT}.json. The requirements of each such package's go.mod that the graph
    lacks are examined through the proxy at the version required (one level)."""
    graph = json.load(open(crawl.graph_path("go")))
    hold = crawl.held_out("go")
    pkgs = go_packages()
    by_module = {}
    for path, entry in pkgs.items():
        by_module.setdefault(path, (path, entry))
    with_files = {m for m, vs in graph.get("examined", {}).items() if vs}
    wanted = sorted({m for m in graph["modules"] if m not in with_files}
                    | {p for p in graph.get("program_errors", {}) if "@" not in p})
    todo = []
    for m in wanted:
        if m in hold or re.sub(r"/v\d+$", "", m) in hold:
            continue
        base = re.sub(r"/v\d+$", "", m)
        hit = by_module.get(m) or by_module.get(base)
        if hit:
            todo.append((m, *hit))
    print(f"debian: {len(todo)} of {len(wanted)} modules without proxy files are packaged in {SUITE}",
          file=sys.stderr)
    modules, errors, extra = {}, {}, collections.defaultdict(set)
    with cf.ThreadPoolExecutor(crawl.WORKERS) as ex:
        got = list(ex.map(lambda t: go_deb_files(t[1], t[2]), todo))
        for (m, path, entry), data in zip(todo, got):
            if "error" in data:
                errors[m] = data["error"]
                continue
            declared = module_line(data.get("gomod"))
            if declared and declared != m:
                errors[m] = f"go.mod of {path} declares {declared}"
                continue
            up = upstream_version(data["deb_version"])
            exact = go_version(up, m)
            modules[m] = {"version": exact or snapshot_version(up), "exact": bool(exact),
                          "package": data["package"], "deb_version": data["deb_version"],
                          "import_path": path, "files": data["files"],
                          "copyright": data.get("copyright")}
            for r, rv in crawl.parse_requires(data.get("gomod") or ""):
                if r not in graph["modules"] and r not in hold:
                    extra[r].add(rv)
        # one level of the module graph the proxy could not give: what these packages require
        jobs = sorted((m, v) for m, vs in extra.items() for v in vs)
        served = {}
        for (m, v), files in zip(jobs, ex.map(lambda mv: crawl.go_files(*mv), jobs)):
            if "files" in files:
                served.setdefault(m, []).append(v)
    out = {"suite": SUITE, "packages": PACKAGES, "modules": modules, "errors": errors,
           "required": {m: sorted(vs, key=crawl.semver_key) for m, vs in sorted(served.items())}}
    path = os.path.join(crawl.CACHE, "go", f"debian{crawl.VARIANT}.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=0)
    exact = sum(1 for v in modules.values() if v["exact"])
    print(f"debian: {len(modules)} modules read from packages ({exact} at an exact version), "
          f"{len(errors)} not usable, {len(served)} more modules from their go.mod", file=sys.stderr)


def fallback_path():
    return os.path.join(crawl.CACHE, "go", f"debian{crawl.VARIANT}.json")


if __name__ == "__main__":
    if sys.argv[1:] == ["seeds"]:
        write_seeds()
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
