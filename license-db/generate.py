#!/usr/bin/env python3
"""Generates license-db/modules.json: Go module path -> SPDX expression, with evidence.

Steps (each cached under --cache, default /tmp/assay-licdb):
  1. read the go.mod of widely used Go programs through the module proxy, count how often each
     required module appears (the "most used" order), add every module in samples/;
  2. download each module zip through the proxy (bounded concurrency) and extract the license
     files of the module root (pkg.go.dev's file names; vendor/ and subdirectories ignored);
  3. classify them with assay's own classifier (`assay classify --json`, the same code that
     classifies at scan time) and write modules.json with provenance (date, tool version).

Usage: python3 license-db/generate.py [--limit 700] [--assay target/debug/assay]
Only the Python standard library is used.
"""
import argparse, concurrent.futures as cf, datetime, hashlib, io, json, os, re, subprocess, sys
import urllib.request, urllib.error, zipfile

PROXY = os.environ.get("ASSAY_GEN_PROXY", "https://proxy.golang.org")
# (module, version) of the programs whose requirements define "widely used"; "latest" asks the proxy.
PROGRAMS = [
    ("k8s.io/kubernetes", "v1.31.0"),
    # Moby: the v2 module is the first with a go.mod (docker/docker and docker/cli releases are
    # +incompatible, without requirements).
    ("github.com/moby/moby/v2", "v2.0.0-beta.24"),
    ("github.com/prometheus/prometheus", "v0.54.1"),
    ("go.etcd.io/etcd/server/v3", "v3.5.16"),
    ("go.etcd.io/etcd/client/v3", "v3.5.16"),
    ("github.com/hashicorp/terraform", "v1.9.5"),
    ("github.com/gohugoio/hugo", "v0.134.0"),
    # Grafana: the proxy does not serve github.com/grafana/grafana ("not available").
    ("github.com/containerd/containerd/v2", "v2.0.0"),
    ("github.com/containerd/containerd", "v1.7.22"),
]
LICENSE_NAME = re.compile(
    r"^(copying|copyright|licen[cs]e|licen[cs]e[-_.]?(apache|mit|bsd|mpl)[-_.0-9]*|mit[-_]licen[cs]e|unlicen[cs]e|notice|patents)"
    r"(\.(md|markdown|txt|rst|code))?$", re.I)


def escape(path):
    return re.sub(r"[A-Z]", lambda m: "!" + m.group(0).lower(), path)


def fetch(url, dest=None, timeout=120):
    if dest and os.path.exists(dest):
        with open(dest, "rb") as f:
            return f.read()
    req = urllib.request.Request(url, headers={"User-Agent": "assay-license-db-generator"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        data = r.read()
    if dest:
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        tmp = dest + ".part"
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, dest)
    return data


def parse_requires(gomod):
    reqs, in_block = [], False
    for line in gomod.splitlines():
        line = line.split("//")[0].strip()
        if line.startswith("require ("):
            in_block = True
            continue
        if in_block and line == ")":
            in_block = False
            continue
        if in_block:
            parts = line.split()
        elif line.startswith("require "):
            parts = line[len("require "):].split()
        else:
            continue
        if len(parts) >= 2:
            reqs.append((parts[0], parts[1]))
    return reqs


def semver_key(v):
    m = re.match(r"v(\d+)\.(\d+)\.(\d+)(.*)", v)
    if not m:
        return (0, 0, 0, v)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3)), "~" if not m.group(4) else m.group(4))


def samples_modules(repo):
    mods = set()
    for name in sorted(os.listdir(os.path.join(repo, "samples/go"))):
        out = subprocess.run(["go", "version", "-m", os.path.join(repo, "samples/go", name)],
                             capture_output=True, text=True).stdout
        for line in out.splitlines():
            f = line.split()
            if len(f) >= 3 and f[0] in ("dep", "=>") and f[2].startswith("v") and not f[1].startswith("example.com"):
                mods.add((f[1], f[2]))
    return mods


def license_files(zdata, module, version):
    prefix = f"{module}@{version}/"
    out = []
    with zipfile.ZipFile(io.BytesIO(zdata)) as z:
        for info in z.infolist():
            if not info.filename.startswith(prefix):
                continue
            rel = info.filename[len(prefix):]
            if "/" in rel or not LICENSE_NAME.match(rel) or info.file_size > 512 * 1024:
                continue
            out.append((rel, z.read(info)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=700)
    ap.add_argument("--cache", default="/tmp/assay-licdb")
    ap.add_argument("--jobs", type=int, default=6)
    ap.add_argument("--assay", default="target/debug/assay")
    ap.add_argument("--fetch-only", action="store_true")
    args = ap.parse_args()
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.chdir(repo)

    counts, versions, programs = {}, {}, []
    for mod, ver in PROGRAMS:
        try:
            if ver == "latest":
                ver = json.loads(fetch(f"{PROXY}/{escape(mod)}/@latest"))["Version"]
            gomod = fetch(f"{PROXY}/{escape(mod)}/@v/{ver}.mod",
                          f"{args.cache}/mod/{escape(mod)}@{ver}.mod").decode()
        except Exception as e:  # a program that cannot be read only narrows the union
            print(f"skip program {mod}@{ver}: {e}", file=sys.stderr)
            continue
        programs.append(f"{mod}@{ver}")
        for m, v in parse_requires(gomod):
            counts[m] = counts.get(m, 0) + 1
            if m not in versions or semver_key(v) > semver_key(versions[m]):
                versions[m] = v
    ranked = sorted(counts, key=lambda m: (-counts[m], m))[: args.limit]
    wanted = {(m, versions[m]) for m in ranked} | samples_modules(repo)
    print(f"{len(programs)} programs, {len(counts)} modules required, {len(wanted)} selected", file=sys.stderr)

    def one(mv):
        m, v = mv
        lic_dir = f"{args.cache}/lic/{escape(m)}@{v}"
        if os.path.exists(lic_dir + "/.done"):
            return m, v, None
        try:
            z = fetch(f"{PROXY}/{escape(m)}/@v/{v}.zip", f"{args.cache}/zip/{escape(m)}@{v}.zip", timeout=600)
            files = license_files(z, m, v)
        except Exception as e:
            return m, v, str(e)
        os.makedirs(lic_dir, exist_ok=True)
        for name, data in files:
            with open(os.path.join(lic_dir, name), "wb") as f:
                f.write(data)
        open(lic_dir + "/.done", "w").close()
        # The zip is only needed for its root license files; keep /tmp small.
        try:
            os.remove(f"{args.cache}/zip/{escape(m)}@{v}.zip")
        except OSError:
            pass
        return m, v, None

    errors = {}
    with cf.ThreadPoolExecutor(args.jobs) as pool:
        for i, (m, v, err) in enumerate(pool.map(one, sorted(wanted))):
            if err:
                errors[f"{m}@{v}"] = err
            if i % 50 == 0:
                print(f"{i}/{len(wanted)}", file=sys.stderr)
    print(f"fetched; {len(errors)} errors", file=sys.stderr)
    if args.fetch_only:
        return

    # Classify every module's root license files in one assay process.
    modules, paths = [], []
    for m, v in sorted(wanted):
        if f"{m}@{v}" in errors:
            continue
        d = f"{args.cache}/lic/{escape(m)}@{v}"
        # NOTICE/PATENTS are attribution evidence, not licenses (as in assay's resolver).
        names = sorted(n for n in os.listdir(d) if n != ".done" and not re.match(r"(?i)(notice|patents)", n))
        modules.append((m, v, names))
        paths += [os.path.join(d, n) for n in names]
    tool_version = subprocess.run([args.assay, "--version"], capture_output=True, text=True).stdout.strip()
    results = {}
    for start in range(0, len(paths), 200):
        out = subprocess.run([args.assay, "classify", "--json", *paths[start:start + 200]],
                             capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            r = json.loads(line)
            results[r["path"]] = r
    entries = {}
    # Highest version first, so a path's entry is its newest examined version; older versions
    # with the same expression are listed in "versions".
    modules.sort(key=lambda t: (t[0], semver_key(t[1])), reverse=True)
    for m, v, names in modules:
        d = f"{args.cache}/lic/{escape(m)}@{v}"
        found = []
        for n in names:
            r = results.get(os.path.join(d, n))
            if r and r.get("expression"):
                with open(os.path.join(d, n), "rb") as f:
                    sha = hashlib.sha256(f.read()).hexdigest()
                found.append({"file": n, "sha256": sha, "expression": r["expression"],
                              "confidence": r["confidence"], "method": r["method"]})
        if not found:
            continue
        # Several license files (LICENSE + LICENSE-MIT, ...) apply together.
        parts = []
        for f in found:
            e = f["expression"]
            # A plain AND chain contributes its units; anything else stays one part.
            units = e.split(" AND ") if " OR " not in e and "(" not in e else [e]
            for u in units:
                if u not in parts:
                    parts.append(u)
        parts.sort()
        expr = parts[0] if len(parts) == 1 else " AND ".join(f"({u})" if " OR " in u else u for u in parts)
        if m in entries:
            if entries[m]["expression"] == expr:
                entries[m]["versions"].append(v)
            continue
        entries[m] = {"version": v, "versions": [v], "expression": expr,
                      "confidence": round(min(f["confidence"] for f in found), 3), "evidence": found}
    doc = {
        "provenance": {
            "generated": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "generator": "license-db/generate.py",
            "classifier": tool_version,
            "proxy": PROXY,
            "programs": programs,
            "modules_selected": len(wanted),
            "fetch_errors": errors,
            "note": "Root license files of each module zip at the version given, classified by assay.",
        },
        "modules": dict(sorted(entries.items())),
    }
    with open(os.path.join(repo, "license-db/modules.json"), "w") as f:
        json.dump(doc, f, indent=1, sort_keys=False)
        f.write("\n")
    print(f"wrote {len(entries)} modules", file=sys.stderr)


if __name__ == "__main__":
    main()
