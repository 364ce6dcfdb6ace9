#!/usr/bin/env python3
"""Crawls the raw inputs of the bundled license-db into a resumable cache (not committed).

  python3 license-db/crawl.py go    # Go: programs' go.mod graphs, root license files of modules
  python3 license-db/crawl.py rust  # Rust: sparse-index walk, Cargo.toml license fields of crates
  python3 license-db/crawl.py debian  # after go: Debian source packages for what the proxy
                                    # refused (license-db/debian.py)
  python3 license-db/crawl.py --with-held-out go debian rust bisect
                                    # the same with the held-out programs as roots too (the
                                    # shipped table); writes *-with-held-out.json beside the
                                    # plain graphs, which stay the honest, held-out-free input

Cache: $ASSAY_CACHE_DIR/license-db-crawl or license-db/.cache. Every fetched file is written once
(atomically) and re-used, so an interrupted crawl resumes where it stopped. Requests are polite:
at most 8 at a time. Module zips are never downloaded whole: the proxy serves byte ranges, so
only the zip's end-of-central-directory, its central directory and the root license entries are
read. Which of the root files are license files is decided later by assay itself (`assay
license-db classify-root`, the rule the resolver uses); this step keeps a generous superset.
Only the Python standard library is used.
"""
import collections, concurrent.futures as cf, json, os, re, struct, sys, tarfile, io, threading, time, zlib
import urllib.request, urllib.error

HERE = os.path.dirname(os.path.abspath(__file__))
CACHE = os.path.join(os.environ.get("ASSAY_CACHE_DIR", ""), "license-db-crawl") \
    if os.environ.get("ASSAY_CACHE_DIR") else os.path.join(HERE, ".cache")
PROXY = os.environ.get("ASSAY_GEN_PROXY", "https://proxy.golang.org").rstrip("/")
INDEX = os.environ.get("ASSAY_GEN_INDEX", "https://index.crates.io").rstrip("/")
CRATES = os.environ.get("ASSAY_GEN_CRATES", "https://static.crates.io/crates").rstrip("/")
WORKERS = 8
MAX_FILE = 1 << 20
# releases per crate series whose dependencies the Rust walk follows (the newest ones; 0: all)
DEP_RELEASES = int(os.environ.get("ASSAY_GEN_DEP_RELEASES", "0"))
# A superset of every name the resolver's rule accepts (src/license/classify.rs).
CANDIDATE = re.compile(r"^(copying|copyright|licen[cs]e|unlicen[cs]e|mit[-_]licen[cs]e|notice|patents)", re.I)


class NotFound(Exception):
    pass


_local = threading.local()


def http(url, headers=None, timeout=60, tries=3):
    """GET over a kept-alive connection per thread and host (a TLS handshake costs ~1.5 s on
    this network, a request on an open connection ~0.17 s)."""
    import http.client as hc
    from urllib.parse import urlsplit
    u = urlsplit(url)
    h = {"User-Agent": "assay-license-db-generator"}
    h.update(headers or {})
    conns = getattr(_local, "conns", None)
    if conns is None:
        conns = _local.conns = {}
    for attempt in range(tries):
        conn = conns.get(u.netloc)
        if conn is None:
            cls = hc.HTTPSConnection if u.scheme == "https" else hc.HTTPConnection
            conn = conns[u.netloc] = cls(u.netloc, timeout=timeout)
        try:
            conn.request("GET", u.path + (f"?{u.query}" if u.query else ""), headers=h)
            r = conn.getresponse()
            body = r.read()
            if r.status in (301, 302, 303, 307, 308) and r.getheader("Location"):
                from urllib.parse import urljoin
                return http(urljoin(url, r.getheader("Location")), headers, timeout, tries)
            if r.status in (404, 410, 403):
                raise NotFound(f"HTTP {r.status}")
            if r.status >= 400:
                raise IOError(f"HTTP {r.status}")
            return r.status, {k.lower(): v for k, v in r.getheaders()}, body
        except NotFound:
            raise
        except Exception:
            conn.close()
            conns.pop(u.netloc, None)
            if attempt == tries - 1:
                raise
            time.sleep(1 + attempt * 2)


def cached(path, produce):
    """JSON cache: returns the stored value or produces, stores and returns it."""
    if os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    value = produce()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.{threading.get_ident()}.part"
    with open(tmp, "w") as f:
        json.dump(value, f)
    os.replace(tmp, path)
    return value


def escape(p):
    return re.sub(r"[A-Z]", lambda m: "!" + m.group(0).lower(), p)


def semver_key(v):
    v = v.lstrip("v").split("+")[0]
    core, _, pre = v.partition("-")
    nums = []
    for n in core.split("."):
        nums.append(int(n) if n.isdigit() else 0)
    return (nums, 1 if not pre else 0, pre)


# ---------------------------------------------------------------- Go

def parse_requires(gomod):
    reqs, block = [], False
    for line in gomod.splitlines():
        line = line.split("//")[0].strip()
        if line.startswith("require ("):
            block = True
            continue
        if block and line == ")":
            block = False
            continue
        parts = line.split()
        if block and len(parts) >= 2:
            reqs.append((parts[0], parts[1]))
        elif len(parts) >= 3 and parts[0] == "require" and parts[1] != "(":
            reqs.append((parts[1], parts[2]))
    return reqs


def go_latest(module):
    def produce():
        try:
            # the newest release in `/@v/list` (this proxy mirror does not serve `/@latest`)
            listed = http(f"{PROXY}/{escape(module)}/@v/list")[2].decode().split()
            releases = [v for v in listed if "-" not in v] or listed
            if not releases:
                return {"error": "no versions listed"}
            return max(releases, key=semver_key)
        except NotFound as e:
            return {"error": str(e)}
        except Exception as e:
            return {"error": str(e)[:200]}
    return cached(os.path.join(CACHE, "go", "latest", escape(module) + ".json"), produce)


def go_mod(module, version):
    def produce():
        try:
            return http(f"{PROXY}/{escape(module)}/@v/{escape(version)}.mod")[2].decode("utf-8", "replace")
        except Exception as e:
            return {"error": str(e)[:200]}
    return cached(os.path.join(CACHE, "go", "mod", f"{escape(module)}@{escape(version)}.json"), produce)


def zip_root_files(url, prefix):
    """Root entries of a remote zip whose names are license candidates, read with byte ranges."""
    status, headers, tail = http(url, {"Range": "bytes=-262144"})
    if status == 206:
        total = int(headers.get("content-range", "").rsplit("/", 1)[1])
    else:
        total = len(tail)
    tail_start = total - len(tail)
    eocd = tail.rfind(b"PK\x05\x06")
    if eocd < 0 or eocd + 22 > len(tail):
        raise ValueError("no end-of-central-directory record")
    _, _, _, _, count, cd_size, cd_off, _ = struct.unpack("<IHHHHIIH", tail[eocd:eocd + 22])
    if cd_off == 0xFFFFFFFF or cd_size > 64 << 20 or cd_off + cd_size > total:
        raise ValueError("zip64 or inconsistent central directory")
    if cd_off >= tail_start:
        cd = tail[cd_off - tail_start:cd_off - tail_start + cd_size]
    else:
        cd = http(url, {"Range": f"bytes={cd_off}-{cd_off + cd_size - 1}"})[2]
    files, pos = {}, 0
    while pos + 46 <= len(cd) and cd[pos:pos + 4] == b"PK\x01\x02":
        (method, csize, usize, nlen, elen, clen, local) = (
            struct.unpack("<H", cd[pos + 10:pos + 12])[0], *struct.unpack("<II", cd[pos + 20:pos + 28]),
            *struct.unpack("<HHH", cd[pos + 28:pos + 34]), struct.unpack("<I", cd[pos + 42:pos + 46])[0])
        name = cd[pos + 46:pos + 46 + nlen].decode("utf-8", "replace")
        pos += 46 + nlen + elen + clen
        rel = name[len(prefix):] if name.startswith(prefix) else None
        if not rel or "/" in rel or not CANDIDATE.match(rel) or usize > MAX_FILE or csize > MAX_FILE:
            continue
        raw = http(url, {"Range": f"bytes={local}-{local + 30 + nlen + 1024 + csize}"})[2]
        if raw[:4] != b"PK\x03\x04":
            raise ValueError(f"{rel}: no local header")
        ln, le = struct.unpack("<HH", raw[26:30])
        data = raw[30 + ln + le:30 + ln + le + csize]
        if method == 8:
            d = zlib.decompressobj(-15)
            data = d.decompress(data, MAX_FILE + 1)
        elif method != 0:
            raise ValueError(f"{rel}: compression method {method}")
        files[rel] = data.decode("utf-8", "replace")
    return files


def go_files(module, version):
    def produce():
        url = f"{PROXY}/{escape(module)}/@v/{escape(version)}.zip"
        try:
            return {"files": zip_root_files(url, f"{module}@{version}/")}
        except NotFound as e:
            return {"error": str(e)}
        except Exception as e:
            return {"error": f"{type(e).__name__}: {e}"[:200]}
    return cached(os.path.join(CACHE, "go", "files", f"{escape(module)}@{escape(version)}.json"), produce)


# "" for the held-out-free crawl; "-with-held-out" when the held-out programs are roots too
VARIANT = ""


def graph_path(kind):
    """Where a crawl writes its graph (kind: go, rust) or its bisect results (kind: bisect)."""
    if kind == "bisect":
        return os.path.join(CACHE, f"bisect{VARIANT}.json")
    return os.path.join(CACHE, kind, f"graph{VARIANT}.json")


def seed_list(*names):
    """The non-comment lines of the seed lists, in order, without duplicates."""
    out = {}
    for name in names:
        for line in open(os.path.join(HERE, name)):
            line = line.split("#")[0].strip()
            if line:
                out[line] = None
    return list(out)


def held_out_specs(kind):
    """held-out.txt entries of one kind as (name, version or None)."""
    out = []
    for line in open(os.path.join(HERE, "held-out.txt")):
        f = line.split("#")[0].split()
        if len(f) == 2 and f[0] == kind:
            name, _, v = f[1].partition("@")
            out.append((name, v or None))
    return out


def held_out(kind):
    """Names (Go module paths / crate names) listed in held-out.txt: never roots, never walked
    (unless the crawl is the --with-held-out one, which makes them roots)."""
    if VARIANT:
        return set()
    out = set()
    for line in open(os.path.join(HERE, "held-out.txt")):
        f = line.split("#")[0].split()
        if len(f) == 2 and f[0] == kind:
            out.add(f[1].rsplit("@", 1)[0] if "@" in f[1] else f[1])
    return out


def crawl_go():
    hold = held_out("go")
    programs = [p for p in seed_list("go-programs.txt", "go-awesome.txt", "go-debian.txt") if p not in hold]
    pinned = []  # (module, version): held-out programs at the version they were measured at
    if VARIANT:
        specs = held_out_specs("go")
        programs += [m for m, _ in specs if m not in programs]
        pinned = [(m, v) for m, v in specs if v]
    seen = {}  # module -> set of versions
    inputs, errors = [], {}
    with cf.ThreadPoolExecutor(WORKERS) as ex:
        latest = dict(zip(programs, ex.map(go_latest, programs)))
        ok = [(p, v) for p, v in latest.items() if isinstance(v, str)] + pinned
        errors.update({p: v["error"] for p, v in latest.items() if not isinstance(v, str)})
        mods = dict(zip(ok, ex.map(lambda pv: go_mod(*pv), ok)))
        for (p, v), text in mods.items():
            if not isinstance(text, str):
                errors[f"{p}@{v}"] = text["error"]
                continue
            inputs.append(f"{p}@{v}")
            seen.setdefault(p, set()).add(v)
            for m, mv in parse_requires(text):
                seen.setdefault(m, set()).add(mv)
        for line in open(os.path.join(HERE, "go-modules.txt")):
            f = line.split("#")[0].split()
            if len(f) == 2:
                seen.setdefault(f[0], set()).add(f[1])
        # the whole module graph: what every required module itself requires at its newest
        # version seen, to a fixed point (each go.mod is read once per version)
        walked = set()
        for _ in range(8):
            level = [(m, max(vs, key=semver_key)) for m, vs in seen.items() if m not in hold]
            level = [mv for mv in level if mv not in walked]
            if not level:
                break
            walked.update(level)
            for (m, v), text in zip(level, ex.map(lambda mv: go_mod(*mv), level)):
                if isinstance(text, str):
                    for r, rv in parse_requires(text):
                        seen.setdefault(r, set()).add(rv)
        for h in hold:
            seen.pop(h, None)  # a held-out program is measured, never examined
        # the newest release each module has published, so versions newer than any input pins
        # fall inside an examined range, and a relicensing after them is seen (then bisected)
        names = sorted(seen)
        newest_listed = {}
        for m, listed in zip(names, ex.map(go_versions, names)):
            if isinstance(listed, list):
                releases = [v for v in listed if "-" not in v]
                if releases:
                    newest_listed[m] = max(releases, key=semver_key)
                    seen[m].add(newest_listed[m])
        print(f"go: {len(inputs)} programs, {len(seen)} modules", file=sys.stderr)

        def first_read(m, candidates):
            """The first of (at most three) candidate versions whose zip the proxy serves (it
            refuses some pseudo-versions)."""
            for v in candidates[:3]:
                if "files" in go_files(m, v):
                    return v
            return None

        def examine(m):
            vs = sorted(seen[m], key=semver_key)
            pick = {first_read(m, vs), first_read(m, vs[::-1])}
            if m in newest_listed:
                pick.add(first_read(m, [newest_listed[m]]))
            return sorted((v for v in pick if v), key=semver_key)

        names = sorted(seen)
        examined = {}
        for m, vs in zip(names, ex.map(examine, names)):
            examined[m] = vs
            if len(examined) % 1000 == 0:
                print(f"go: {len(examined)}/{len(names)} modules examined", file=sys.stderr)
        jobs = [(m, v) for m, vs in examined.items() for v in vs]
    graph = {"proxy": PROXY, "programs": sorted(inputs), "program_errors": errors,
             "modules": {m: sorted(vs, key=semver_key) for m, vs in sorted(seen.items())},
             # the versions whose license files were read: oldest and newest seen, newest
             # release listed (each falling back to the next one the proxy serves)
             "examined": examined}
    with open(graph_path("go"), "w") as f:
        json.dump(graph, f, indent=0)
    print(f"go: done, {len(jobs)} module versions", file=sys.stderr)


# ---------------------------------------------------------------- Rust

def index_path(name):
    n = name.lower()
    if len(n) <= 2:
        return f"{len(n)}/{n}"
    if len(n) == 3:
        return f"3/{n[0]}/{n}"
    return f"{n[:2]}/{n[2:4]}/{n}"


def crate_index(name):
    def produce():
        try:
            text = http(f"{INDEX}/{index_path(name)}")[2].decode()
        except Exception as e:
            return {"error": str(e)[:200]}
        out = []
        for line in text.splitlines():
            try:
                e = json.loads(line)
            except ValueError:
                continue
            out.append({"v": e["vers"], "y": e.get("yanked", False),
                        "d": [[d.get("package", d["name"]), d["req"], d.get("kind") or "normal"]
                              for d in e.get("deps", [])]})
        return out
    return cached(os.path.join(CACHE, "rust", "index", name.lower() + ".json"), produce)


def crate_license(name, version):
    def produce():
        try:
            data = http(f"{CRATES}/{name}/{name}-{version}.crate", timeout=120)[2]
        except Exception as e:
            return {"error": str(e)[:200]}
        if len(data) > 64 << 20:
            return {"error": "crate too large"}
        import tomllib
        try:
            with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
                root = f"{name}-{version}/"
                manifest = tar.extractfile(root + "Cargo.toml").read().decode("utf-8", "replace")
                pkg = tomllib.loads(manifest).get("package", {})
                out = {"license": pkg.get("license"), "license_file": pkg.get("license-file"), "files": {}}
                for m in tar.getmembers():
                    rel = m.name[len(root):] if m.name.startswith(root) else None
                    want = rel and m.isfile() and m.size <= MAX_FILE and (
                        ("/" not in rel and CANDIDATE.match(rel)) or rel == out["license_file"])
                    if want:
                        out["files"][rel] = tar.extractfile(m).read().decode("utf-8", "replace")
                return out
        except Exception as e:
            return {"error": f"{type(e).__name__}: {e}"[:200]}
    return cached(os.path.join(CACHE, "rust", "crates", f"{name.lower()}@{version}.json"), produce)


def parse_ver(v):
    core = v.split("+")[0]
    core, _, pre = core.partition("-")
    p = [int(x) if x.isdigit() else 0 for x in core.split(".")] + [0, 0, 0]
    return p[:3], pre


def series(v):
    """The semver-compatible series a version belongs to (cargo's caret rule)."""
    (a, b, c), _ = parse_ver(v)
    return (a,) if a else ((0, b) if b else (0, 0, c))


def req_series(req):
    """Series named by the first comparator of a requirement such as `^1.2`, `0.8`, `=0.3.1`."""
    m = re.search(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?", req)
    if not m:
        return None
    a, b, c = (int(x) if x else 0 for x in m.groups())
    return (a,) if a else ((0, b) if b else (0, 0, c))


def live_versions(idx):
    return [e for e in idx if not e["y"] and not parse_ver(e["v"])[1]] or idx


def releases_per_series(idx, keep):
    """The newest `keep` releases (0: all) of every semver series, oldest first."""
    out = {}
    for e in sorted(live_versions(idx), key=lambda e: parse_ver(e["v"])):
        out.setdefault(series(e["v"]), []).append(e)
    return {s: es[-keep:] if keep else es for s, es in out.items()}


def newest_per_series(idx):
    by_series = {}
    for e in live_versions(idx):
        s = series(e["v"])
        if s not in by_series or parse_ver(e["v"]) > parse_ver(by_series[s]["v"]):
            by_series[s] = e
    return by_series


def crawl_rust(max_crates=20000):
    hold = held_out("crate")
    seeds = [s for s in seed_list("rust-crates.txt", "rust-awesome.txt", "rust-debian.txt") if s not in hold]
    if VARIANT:
        seeds += [n for n, _ in held_out_specs("crate") if n not in seeds]
    wanted = {}  # crate -> set of series required
    walked = set()  # (crate, series) whose dependencies were followed
    order, ordered, known = [], set(), set(seeds)
    frontier = list(seeds)
    with cf.ThreadPoolExecutor(WORKERS) as ex:
        # A worklist to a fixed point: the dependencies of the newest release of EVERY series
        # that some dependent asks for (not only of the newest release), since a program's
        # Cargo.lock holds the older series its dependencies pin, and their dependencies too.
        while frontier and len(order) < max_crates:
            idxs = dict(zip(frontier, ex.map(crate_index, frontier)))
            for name in frontier:
                idx = idxs[name]
                if not isinstance(idx, list) or not idx:
                    continue
                if name not in ordered:
                    ordered.add(name)
                    order.append(name)
                newest = max(live_versions(idx), key=lambda e: parse_ver(e["v"]))
                wanted.setdefault(name, set()).add(series(newest["v"]))
            nxt = set()
            for name in frontier:
                idx = idxs[name]
                if not isinstance(idx, list) or not idx:
                    continue
                # every release of a series, not only its newest: a Cargo.lock pins an older
                # one, whose dependencies may differ (android-tzdata under iana-time-zone
                # 0.1.60 but not 0.1.63); the index holds them all, so this costs no request
                by_series = releases_per_series(idx, DEP_RELEASES)
                for s in sorted(wanted.get(name, ())):
                    if (name, s) in walked or s not in by_series:
                        continue
                    walked.add((name, s))
                    deps = {(d, r, k) for e in by_series[s] for d, r, k in e["d"]}
                    for dep, req, kind in sorted(deps):
                        if kind == "dev" or dep in hold:
                            continue
                        rs = req_series(req)
                        if rs and rs not in wanted.setdefault(dep, set()):
                            wanted[dep].add(rs)
                            if dep in known:
                                nxt.add(dep)  # a new series of a walked crate: walk it too
                        if dep not in known:
                            known.add(dep)
                            nxt.add(dep)
            frontier = sorted(nxt)
        print(f"rust: {len(order)} crates walked, {len(walked)} crate series", file=sys.stderr)
        jobs = []
        versions = {}
        for name in order:
            idx = crate_index(name)
            live = live_versions(idx)
            by_series = {s: e["v"] for s, e in newest_per_series(idx).items()}
            # newest of every series dependents ask for, plus the oldest live release, so a
            # license change anywhere in the history is bracketed
            pick = {by_series[s] for s in wanted.get(name, ()) if s in by_series}
            pick.add(max((e["v"] for e in live), key=parse_ver))
            pick.add(min((e["v"] for e in live), key=parse_ver))
            pick = sorted(pick, key=parse_ver)
            if len(pick) > 8:
                pick = pick[:3] + pick[-5:]
            versions[name] = pick
            jobs += [(name, v) for v in pick]
        done = 0
        for _ in ex.map(lambda nv: crate_license(*nv), jobs):
            done += 1
            if done % 500 == 0:
                print(f"rust: {done}/{len(jobs)} crate versions", file=sys.stderr)
    with open(graph_path("rust"), "w") as f:
        json.dump({"index": INDEX, "seeds": seeds, "crates": versions}, f, indent=0)
    print(f"rust: done, {len(jobs)} crate versions", file=sys.stderr)


# ---------------------------------------------------------------- bisect

def go_versions(module):
    def produce():
        try:
            return http(f"{PROXY}/{escape(module)}/@v/list")[2].decode().split()
        except Exception as e:
            return {"error": str(e)[:200]}
    return cached(os.path.join(CACHE, "go", "list", escape(module) + ".json"), produce)


def classify_one(assay, kind, name, version):
    """The expression assay gives one cached package version (None when unknown)."""
    import subprocess, tempfile, shutil
    from generate import write_tree, crate_manifest
    data = go_files(name, version) if kind == "go" else crate_license(name, version)
    if "error" in data:
        return None
    d = tempfile.mkdtemp(prefix="assay-bisect-")
    try:
        files = dict(data.get("files", {}))
        if kind == "crate":
            files["Cargo.toml"] = crate_manifest(name, version, data)
        write_tree(os.path.join(d, "p"), files)
        out = subprocess.run([assay, "license-db", "classify", os.path.join(d, "p")],
                             capture_output=True, text=True).stdout
        r = json.loads(out) if out.strip() else {}
        return r.get("expression") if r.get("valid") else None
    finally:
        shutil.rmtree(d, ignore_errors=True)


def bisect_one(assay, kind, name, versions):
    """Where the license changes between the oldest and newest examined versions: binary search
    over the released versions between them; returns the extra versions examined."""
    lo, hi = 0, len(versions) - 1
    elo, ehi = (classify_one(assay, kind, name, versions[i]) for i in (lo, hi))
    if elo is None or ehi is None or elo == ehi:
        return []
    probes = []
    while hi - lo > 1:
        mid = (lo + hi) // 2
        e = classify_one(assay, kind, name, versions[mid])
        probes.append(versions[mid])
        if e == elo:
            lo = mid
        elif e == ehi:
            hi = mid
        else:
            break  # a third license in between: stop, the gap stays unanswered
    return probes + [versions[lo], versions[hi]]


def crawl_bisect(assay):
    go = json.load(open(graph_path("go")))
    rust = json.load(open(graph_path("rust")))
    jobs = []
    for m, vs in go["modules"].items():
        vs = go.get("examined", {}).get(m, [vs[0], vs[-1]])
        if not vs:
            continue
        old, new = vs[0], vs[-1]
        if old == new:
            continue
        a, b = go_files(m, old), go_files(m, new)
        if a.get("files") == b.get("files") or "error" in a or "error" in b:
            continue  # identical license files: nothing changed
        listed = go_versions(m)
        if not isinstance(listed, list):
            continue
        between = sorted({v for v in listed if semver_key(old) <= semver_key(v) <= semver_key(new)} | {old, new},
                         key=semver_key)
        jobs.append(("go", m, between))
    for name, vs in rust["crates"].items():
        if len(vs) < 2:
            continue
        idx = crate_index(name)
        live = sorted((e["v"] for e in idx if not e["y"] and not parse_ver(e["v"])[1]), key=parse_ver)
        datas = [crate_license(name, v) for v in vs]
        for (v1, d1), (v2, d2) in zip(zip(vs, datas), zip(vs[1:], datas[1:])):
            if "error" in d1 or "error" in d2 or (d1.get("license"), d1.get("files")) == (d2.get("license"), d2.get("files")):
                continue
            between = sorted({v for v in live if parse_ver(v1) <= parse_ver(v) <= parse_ver(v2)} | {v1, v2},
                             key=parse_ver)
            jobs.append(("crate", name, between))
    print(f"bisect: {len(jobs)} packages whose license files differ between examined versions", file=sys.stderr)
    # classify both ends of every candidate in batches (one classifier load per 300), and
    # bisect only where the expressions differ
    import subprocess, tempfile
    from generate import write_tree, crate_manifest
    tmp = tempfile.mkdtemp(prefix="assay-bisect-ends-")
    ends = {}
    for kind, name, between in jobs:
        for v in (between[0], between[-1]):
            data = go_files(name, v) if kind == "go" else crate_license(name, v)
            files = dict(data.get("files", {}))
            if kind == "crate":
                files["Cargo.toml"] = crate_manifest(name, v, data)
            d = os.path.join(tmp, kind, f"{escape(name)}@{v}")
            write_tree(d, files)
            ends[d] = (kind, name, v)
    verdict = {}
    keys = sorted(ends)
    for i in range(0, len(keys), 300):
        out = subprocess.run([assay, "license-db", "classify", *keys[i:i + 300]], capture_output=True, text=True).stdout
        for line in out.splitlines():
            r = json.loads(line)
            verdict[ends[r["dir"]]] = r.get("expression") if r.get("valid") else None
    jobs = [(k, n, b) for k, n, b in jobs
            if verdict.get((k, n, b[0])) and verdict.get((k, n, b[-1]))
            and verdict[(k, n, b[0])] != verdict[(k, n, b[-1])]]
    print(f"bisect: {len(jobs)} packages whose license changed", file=sys.stderr)
    # binary search, all intervals in lock-step: each round fetches every midpoint (8 at a
    # time) and classifies them in one assay run. A midpoint with a third answer splits its
    # interval in two, each bisected on, so every change point is found (modules relicensed
    # twice, such as unicode-ident's Unicode-DFS-2016 then Unicode-3.0), under the same
    # assumption a range makes: no change and change back between two examined versions.
    extra = collections.defaultdict(list)
    intervals = [[k, n, b, 0, len(b) - 1, verdict[(k, n, b[0])], verdict[(k, n, b[-1])]]
                 for k, n, b in jobs]
    rounds = 0
    with cf.ThreadPoolExecutor(WORKERS) as ex:
        while True:
            active = [iv for iv in intervals if iv[4] - iv[3] > 1 and iv[5] != iv[6]]
            if not active or rounds >= 40:
                break
            rounds += 1
            probes = sorted({(iv[0], iv[1], iv[2][(iv[3] + iv[4]) // 2]) for iv in active})
            list(ex.map(lambda p: go_files(p[1], p[2]) if p[0] == "go" else crate_license(p[1], p[2]), probes))
            dirs = {}
            rtmp = tempfile.mkdtemp(prefix=f"assay-bisect-{rounds}-")
            for kind, name, v in probes:
                data = go_files(name, v) if kind == "go" else crate_license(name, v)
                files = dict(data.get("files", {}))
                if kind == "crate":
                    files["Cargo.toml"] = crate_manifest(name, v, data)
                d = os.path.join(rtmp, kind, f"{escape(name)}@{v}")
                write_tree(d, files)
                dirs[d] = (kind, name, v)
            got = {}
            keys = sorted(dirs)
            for i in range(0, len(keys), 300):
                out = subprocess.run([assay, "license-db", "classify", *keys[i:i + 300]],
                                     capture_output=True, text=True).stdout
                for line in out.splitlines():
                    r = json.loads(line)
                    got[dirs[r["dir"]]] = r.get("expression") if r.get("valid") else None
            for iv in active:
                kind, name, b, lo, hi, elo, ehi = iv
                mid = (lo + hi) // 2
                e = got.get((kind, name, b[mid]))
                extra[f"{kind} {name}"].append(b[mid])
                if e == elo:
                    iv[3] = mid
                elif e == ehi:
                    iv[4] = mid
                else:  # a third answer (or none): bisect both halves
                    iv[4], iv[6] = mid, e
                    intervals.append([kind, name, b, mid, hi, e, ehi])
            print(f"bisect: round {rounds}, {len(active)} intervals", file=sys.stderr)
    for kind, name, b, *_ in intervals:
        extra[f"{kind} {name}"] += [b[0], b[-1]]
    extra = {k: sorted(set(v)) for k, v in sorted(extra.items())}
    with open(graph_path("bisect"), "w") as f:
        json.dump(extra, f, indent=0)
    print(f"bisect: done, {sum(map(len, extra.values()))} extra versions", file=sys.stderr)


if __name__ == "__main__":
    what = sys.argv[1:] or ["go", "rust"]
    if "--with-held-out" in what:
        what = [w for w in what if w != "--with-held-out"]
        VARIANT = "-with-held-out"
    assay = os.environ.get("ASSAY", os.path.join(HERE, "..", "target", "release", "assay"))
    for w in what:
        if w == "debian":  # after `go`: Debian packages for what the proxy refused
            import debian
            debian.crawl.VARIANT = VARIANT  # this file runs as __main__, debian imports `crawl`
            debian.crawl_fallback()
            continue
        {"go": crawl_go, "rust": crawl_rust, "bisect": lambda: crawl_bisect(assay)}[w]()
