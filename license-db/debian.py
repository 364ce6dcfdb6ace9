#!/usr/bin/env python3
"""Debian's curated Go and Rust packages as license-db seeds, and as a fallback source of a Go
module's root files when the module proxy refuses the module.

  python3 license-db/debian.py seeds            # writes go-debian.txt and rust-debian.txt
  python3 license-db/crawl.py [--with-held-out] go debian rust bisect
                                                # `debian`: the fallback, after `go`

Debian packages what its users need: a Go library or Rust crate is in Debian because a packaged
program links it, so its archive is a popularity-curated list of exactly the modules and crates
real binaries use (and, in each source package's upstream tarball, a copy of the module's own
root files).

Seeds: every `Go-Import-Path` of the Sources indexes of trixie (stable) and sid (unstable:
what Debian packages now) (comma-separated, several per
package); the crate names of its `rust-*` source packages (`rust-foo-bar` is the crate
`foo-bar` or `foo_bar`, and `rust-nom-7` at version 7.x is `nom`), each verified against the
crate registry's sparse index (names it does not know are skipped and counted). The held-out
programs' own paths and crate names are left out (Debian may still package their
dependencies, because it packages the program).

Fallback (`go_deb_files`): the source package whose Go-Import-Path is the module: the root
license files and go.mod of its upstream (.orig) tarball, and debian/copyright from its
.debian tarball or, where the mirror lacks that, as one of its binary packages installs it
(sizes bounded), cached as JSON. (The golang-*-dev binary packages ship the
module source under /usr/share/gocode/src/IMPORT-PATH/ but without its license files: Debian
keeps licenses in the copyright file only.)

The indexes and debs are cached under $ASSAY_CACHE_DIR/debian (or license-db/.cache/debian),
never committed. Only the Python standard library is used.
"""
import collections, concurrent.futures as cf, io, json, lzma, os, re, sys, tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import crawl  # noqa: E402  (http, cache helpers, held-out lists)

MIRROR = os.environ.get("ASSAY_GEN_DEBIAN", "http://deb.debian.org/debian").rstrip("/")
# the stable release, then unstable (what Debian packages now: newer programs pull in more);
# a package in both is read from the first
SUITES = os.environ.get("ASSAY_GEN_DEBIAN_SUITES", "trixie sid").split()


def sources_url(suite):
    return f"{MIRROR}/dists/{suite}/main/source/Sources.xz"


def packages_url(suite):
    return f"{MIRROR}/dists/{suite}/main/binary-amd64/Packages.xz"
MAX_DEB = 48 << 20  # a source tarball larger than this is not read
MAX_INDEX = 64 << 20


def fetch_index(url):
    """The bytes of an index file (under /dists/SUITE/), fetched once into the cache."""
    base = os.path.dirname(crawl.CACHE) if os.environ.get("ASSAY_CACHE_DIR") else crawl.CACHE
    suite = url.split("/dists/", 1)[1].split("/", 1)[0]
    path = os.path.join(base, "debian", suite, url.rsplit("/", 2)[-2] + "-" + url.rsplit("/", 1)[1])
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


def release_date(suite):
    for p in paragraphs(fetch_index(f"{MIRROR}/dists/{suite}/Release").decode("utf-8", "replace")):
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
    """import path -> {suite, source, version, directory, files: [(name, size)]} for every
    Go-Import-Path of the suites' Sources indexes (the first suite listing a path wins)."""
    out = {}
    for suite in SUITES:
        for path, entry in go_packages_of(suite).items():
            out.setdefault(path, entry)
    return out


def go_packages_of(suite):
    out = {}
    for s in paragraphs(fetch_index(sources_url(suite)).decode("utf-8", "replace")):
        paths = [x.strip() for x in re.split(r"[,\s]+", s.get("Go-Import-Path", "")) if x.strip()]
        if not paths:
            continue
        files = []
        for line in s.get("Files", "").splitlines():
            f = line.split()
            if len(f) == 3 and f[1].isdigit():
                files.append((f[2], int(f[1])))
        entry = {"suite": suite, "source": s["Package"], "version": s.get("Version", ""),
                 "directory": s.get("Directory", ""), "files": files}
        for path in paths:
            out.setdefault(path, entry)
    return out


def rust_sources():
    """(source package, version) of every rust-* source package of the suites."""
    return sorted({(p["Package"], p.get("Version", "")) for suite in SUITES for p in
                   paragraphs(fetch_index(sources_url(suite)).decode("utf-8", "replace"))
                   if p.get("Package", "").startswith("rust-")})


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
    where = ", ".join(f"{suite} (Release date {release_date(suite)})" for suite in SUITES)
    indexes = " ".join(sources_url(suite) for suite in SUITES)
    hold_go = {p for p, _ in crawl.held_out_specs("go")}
    hold_go |= {re.sub(r"/v\d+$", "", p) for p in hold_go}
    hold_rust = {n for n, _ in crawl.held_out_specs("crate")}

    go = go_packages()
    go_paths = sorted(go)
    kept = [p for p in go_paths if p not in hold_go and re.sub(r"/v\d+$", "", p) not in hold_go]
    head = [
        "# Seeds for the bundled license-db (Go), one module path a line, written by",
        "# license-db/debian.py from Debian's archive: every Go-Import-Path field of the",
        f"# main Sources indexes of {where}:",
        f"# {indexes}",
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
                if src not in unknown:
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
        f"# main Sources indexes of {where}:",
        f"# {indexes}",
        "# Debian packages a crate because a packaged program links it: a popularity-curated",
        "# list of the crates real binaries use. A package name rust-foo-bar is the crate",
        "# foo-bar or foo_bar, rust-nom-7 at 7.x is nom; each name was verified against the",
        f"# crate registry's sparse index ({crawl.INDEX}).",
        f"# {len(srcs)} rust-* source package versions: {len(found)} crates ({dups} more of a",
        f"# crate already listed: another suite's, or a semver-suffixed one), {len(unknown)} names the index",
        f"# does not know (skipped: {', '.join(unknown)}),",
        f"# {held} held-out programs (license-db/held-out.txt)",
        "# left out; Debian may still package a held-out program's dependencies.",
        "# Regenerate with `debian.py seeds`; do not edit by hand.",
    ]
    with open(os.path.join(HERE, "rust-debian.txt"), "w") as f:
        f.write("\n".join(head + sorted(found)) + "\n")
    print(f"debian: {len(kept)} Go import paths, {len(found)} crates ({len(unknown)} unknown names: "
          f"{', '.join(unknown[:12])}{' ...' if len(unknown) > 12 else ''})", file=sys.stderr)


# ---------------------------------------------------------------- the source-package fallback

def tar_members(data, name, want):
    """(path, text) of the members of a compressed tarball that `want(path)` selects (sizes
    bounded); the leading `./` is dropped."""
    mode = {"xz": "r:xz", "gz": "r:gz", "bz2": "r:bz2"}.get(name.rsplit(".", 1)[-1])
    if not mode:
        raise ValueError(f"{name}: compression not supported")
    with tarfile.open(fileobj=io.BytesIO(data), mode=mode) as tar:
        for m in tar:
            path = m.name[2:] if m.name.startswith("./") else m.name
            if m.isfile() and m.size <= crawl.MAX_FILE and want(path):
                yield path, tar.extractfile(m).read().decode("utf-8", "replace")


def read_source(entry):
    """The upstream root license candidates and go.mod (from the .orig tarball, or the
    tarball of a native package) and debian/copyright (from the .debian tarball)."""
    orig = [(n, z) for n, z in entry["files"] if re.search(r"\.orig\.tar\.\w+$", n)]
    native = [(n, z) for n, z in entry["files"] if re.search(r"\.tar\.\w+$", n) and ".debian.tar." not in n]
    deb = [(n, z) for n, z in entry["files"] if ".debian.tar." in n]
    upstream = orig or native
    if not upstream:
        return {"error": "no upstream tarball"}
    name, size = upstream[0]
    if size > MAX_DEB:
        return {"error": f"{name}: {size} bytes, not read"}
    data = crawl.http(f"{MIRROR}/{entry['directory']}/{name}", timeout=300)[2]
    if len(data) > MAX_DEB:
        return {"error": f"{name}: larger than its index says"}

    def root_file(path):  # directly in the tarball's top directory (or at its root)
        parts = path.split("/")
        rel = parts[-1]
        return len(parts) <= 2 and (crawl.CANDIDATE.match(rel) or rel == "go.mod")
    out = {"files": {}, "gomod": None, "copyright": None, "tarball": name}
    for path, text in tar_members(data, name, root_file):
        rel = path.split("/")[-1]
        if rel == "go.mod":
            out["gomod"] = text
        else:
            out["files"][rel] = text
    if deb and deb[0][1] <= MAX_DEB:
        try:  # only a cross-check: the mirror lacks some .debian tarballs
            data = crawl.http(f"{MIRROR}/{entry['directory']}/{deb[0][0]}", timeout=300)[2]
            for _, text in tar_members(data, deb[0][0], lambda p: p == "debian/copyright"):
                out["copyright"] = text
        except Exception as e:
            out["copyright_error"] = f"{type(e).__name__}: {e}"[:200]
    elif not deb:
        for _, text in tar_members(data, name, lambda p: p.endswith("/debian/copyright")
                                   and p.count("/") == 2):
            out["copyright"] = text
    return out


def binary_packages(suite):
    """source package -> [(binary package, Filename, Size)] of a suite's Packages index."""
    out = collections.defaultdict(list)
    for p in paragraphs(fetch_index(packages_url(suite)).decode("utf-8", "replace")):
        src = p.get("Source", p.get("Package", "")).split()[0] if p.get("Source") or p.get("Package") else ""
        if p.get("Filename"):
            out[src].append((p["Package"], p["Filename"], int(p.get("Size", "0") or 0)))
    return out


def ar_members(data):
    """(name, bytes) of the members of an ar archive (a .deb), bounded by its headers."""
    if data[:8] != b"!<arch>\n":
        raise ValueError("not an ar archive")
    pos = 8
    while pos + 60 <= len(data):
        name = data[pos:pos + 16].decode("ascii", "replace").strip().rstrip("/")
        size = int(data[pos + 48:pos + 58].decode("ascii", "replace").strip() or "-1")
        if size < 0 or pos + 60 + size > len(data):
            raise ValueError("truncated ar member")
        yield name, data[pos + 60:pos + 60 + size]
        pos += 60 + size + (size & 1)


def binary_copyright(suite, source, binaries):
    """debian/copyright as installed by one of the source's binary packages (the mirror lacks
    some .debian tarballs): /usr/share/doc/PKG/copyright in the .deb's data.tar."""
    def produce():
        # the smallest binary package: they all install the same copyright file
        for pkg, filename, size in sorted(binaries.get(source, []), key=lambda b: b[2])[:1]:
            if size > MAX_DEB:
                return {"error": f"{pkg}: {size} bytes, not read"}
            try:
                data = crawl.http(f"{MIRROR}/{filename}", timeout=300)[2]
                for name, member in ar_members(data):
                    if name.startswith("data.tar"):
                        for _, text in tar_members(member, name, lambda p: p == f"usr/share/doc/{pkg}/copyright"):
                            return {"copyright": text, "deb": filename}
                return {"error": f"{pkg}: no copyright file (a symlinked doc directory)"}
            except Exception as e:
                return {"error": f"{type(e).__name__}: {e}"[:200]}
        return {"error": "no binary package"}
    return crawl.cached(os.path.join(crawl.CACHE, "go", "debian-copyright", suite, source + ".json"), produce)


def go_deb_files(import_path, entry):
    """The cached upstream root files of the Debian source package of an import path."""
    def produce():
        try:
            out = read_source(entry)
        except Exception as e:
            return {"error": f"{type(e).__name__}: {e}"[:200]}
        out.update(package=entry["source"], deb_version=entry["version"])
        return out
    return crawl.cached(os.path.join(crawl.CACHE, "go", "debian-source", entry.get("suite", SUITES[0]),
                                     crawl.escape(import_path) + ".json"), produce)


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
    print(f"debian: {len(todo)} of {len(wanted)} modules without proxy files are packaged in {' or '.join(SUITES)}",
          file=sys.stderr)
    modules, errors, extra, served_at = {}, {}, collections.defaultdict(set), {}
    with cf.ThreadPoolExecutor(crawl.WORKERS) as ex:
        got = list(ex.map(lambda t: go_deb_files(t[1], t[2]), todo))
        binaries = {suite: binary_packages(suite) for suite in SUITES}
        missing = sorted({(t[2]["suite"], d["package"]) for t, d in zip(todo, got)
                          if "error" not in d and not d.get("copyright")})
        copyrights = dict(zip(missing, ex.map(lambda ss: binary_copyright(ss[0], ss[1], binaries[ss[0]]),
                                              missing)))
        for t, d in zip(todo, got):
            if "error" not in d and not d.get("copyright"):
                d["copyright"] = copyrights.get((t[2]["suite"], d["package"]), {}).get("copyright")
        for (m, path, entry), data in zip(todo, got):
            if "error" in data:
                errors[m] = data["error"]
                continue
            declared = module_line(data.get("gomod"))
            if declared and declared != m:
                errors[m] = f"go.mod of {path} declares {declared}"
                continue
            for r, rv in crawl.parse_requires(data.get("gomod") or ""):
                if r not in graph["modules"] and r not in hold:
                    extra[r].add(rv)
            up = upstream_version(data["deb_version"])
            exact = go_version(up, m)
            if exact and "files" in crawl.go_files(m, exact):
                # the proxy serves the module at the release Debian packages (it refused the
                # versions the graph asked for, or the path's version list): the real zip wins
                served_at.setdefault(m, []).append(exact)
                continue
            modules[m] = {"version": exact or snapshot_version(up), "exact": bool(exact),
                          "package": data["package"], "deb_version": data["deb_version"],
                          "import_path": path, "files": data["files"],
                          "copyright": data.get("copyright")}
        # one level of the module graph the proxy could not give: what these packages require
        jobs = sorted((m, v) for m, vs in extra.items() for v in vs)
        served = dict(served_at)
        for (m, v), files in zip(jobs, ex.map(lambda mv: crawl.go_files(*mv), jobs)):
            if "files" in files:
                served.setdefault(m, []).append(v)
    out = {"suite": " and ".join(SUITES), "sources": [sources_url(suite) for suite in SUITES], "modules": modules, "errors": errors,
           "required": {m: sorted(vs, key=crawl.semver_key) for m, vs in sorted(served.items())}}
    path = os.path.join(crawl.CACHE, "go", f"debian{crawl.VARIANT}.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=0)
    exact = sum(1 for v in modules.values() if v["exact"])
    print(f"debian: {len(modules)} modules read from packages ({exact} at an exact version), "
          f"{len(served_at)} read from the proxy at the Debian release, {len(errors)} not usable, "
          f"{len(served) - len(served_at)} more modules from their go.mod", file=sys.stderr)


# Debian's short license names (DEP-5) for the SPDX ids they mean
DEP5 = {"expat": "MIT", "mit": "MIT", "bsd-2-clause": "BSD-2-Clause", "bsd-3-clause": "BSD-3-Clause",
        "apache-2.0": "Apache-2.0", "mpl-2.0": "MPL-2.0", "isc": "ISC", "zlib": "Zlib",
        "unlicense": "Unlicense", "cc0-1.0": "CC0-1.0", "cc0": "CC0-1.0", "0bsd": "0BSD",
        "gpl-2": "GPL-2.0-only", "gpl-2+": "GPL-2.0-or-later", "gpl-3": "GPL-3.0-only",
        "gpl-3+": "GPL-3.0-or-later", "lgpl-2.1": "LGPL-2.1-only", "lgpl-2.1+": "LGPL-2.1-or-later",
        "lgpl-3": "LGPL-3.0-only", "lgpl-3+": "LGPL-3.0-or-later", "agpl-3": "AGPL-3.0-only",
        "agpl-3+": "AGPL-3.0-or-later", "epl-1.0": "EPL-1.0", "epl-2.0": "EPL-2.0",
        "bsl-1.0": "BSL-1.0", "wtfpl": "WTFPL", "cc-by-4.0": "CC-BY-4.0", "cc-by-sa-4.0": "CC-BY-SA-4.0"}


def copyright_license(text):
    """The `License:` of a machine-readable copyright file's `Files: *` paragraph, as a set of
    SPDX ids, or None (free-text file, or a name this table does not know)."""
    if not text or "Format:" not in text.split("\n\n", 1)[0]:
        return None
    for p in paragraphs(text):
        if p.get("Files", "").split() and p["Files"].split()[0] == "*":
            names = re.split(r"\s+(?:and|or)\s+|[,()]", p.get("License", "").split("\n")[0], flags=re.I)
            ids = {DEP5.get(n.strip().lower()) for n in names if n.strip()}
            return None if not ids or None in ids else ids
    return None


def copyright_agrees(text, expression):
    """`agree` / `disagree` / `unknown`: Debian's copyright file against the expression the
    upstream license file was classified as (ids compared as sets, operators ignored)."""
    ids = copyright_license(text)
    if ids is None:
        return "unknown"
    got = set(re.findall(r"[A-Za-z0-9.+-]+", expression)) - {"AND", "OR", "WITH"}
    return "agree" if got == ids else "disagree"


def fallback_path():
    return os.path.join(crawl.CACHE, "go", f"debian{crawl.VARIANT}.json")


if __name__ == "__main__":
    if sys.argv[1:] == ["seeds"]:
        write_seeds()
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
