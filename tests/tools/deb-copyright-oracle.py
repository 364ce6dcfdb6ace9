#!/usr/bin/python3
"""Truth for Debian package licenses: python-debian's own DEP-5 parser (Debian package
python3-debian) over each installed package's /usr/share/doc/PKG/copyright in a root.

    deb-copyright-oracle.py ROOT  ->  JSON {package: {"dep5": bool, "names": [...]}}

For a machine-readable file, "names" are the license short names of every Files paragraph's
License synopsis (split at "or", "and", ","; "with ... exception" kept). For a free-text file,
the /usr/share/common-licenses/NAME files it refers to. A package without a copyright file
is absent. The doc directory is resolved inside ROOT (symlinks to another package's).
"""
import json, os, re, subprocess, sys
from debian import copyright as dep5

root = sys.argv[1]
pkgs = subprocess.run(
    ["dpkg-query", "--admindir", os.path.join(root, "var/lib/dpkg"), "-W", "-f", "${Package}\n"],
    check=True, capture_output=True, text=True).stdout.split()

def inside(path):
    """Resolves symlinks relative to ROOT (an absolute link points into the root)."""
    parts, resolved, hops = path.strip("/").split("/"), [], 0
    while parts:
        p = parts.pop(0)
        if p in ("", "."): continue
        if p == "..":
            if resolved: resolved.pop()
            continue
        here = os.path.join(root, *resolved, p)
        if os.path.islink(here):
            hops += 1
            if hops > 40: return None
            t = os.readlink(here)
            if t.startswith("/"): resolved = []
            parts = [x for x in t.split("/") if x] + parts
        else:
            resolved.append(p)
    return os.path.join(root, *resolved)

out = {}
for pkg in sorted(set(pkgs)):
    f = inside(f"/usr/share/doc/{pkg}/copyright")
    if not f or not os.path.isfile(f): continue
    text = open(f, encoding="utf-8", errors="replace").read()
    try:
        c = dep5.Copyright(text.splitlines(True), strict=False)
        names = []
        for p in c.all_files_paragraphs():
            if p.license is None: continue
            for alt in re.split(r"\s+or\s+", p.license.synopsis.strip()):
                for n in re.split(r"\s+and\s+|,", alt):
                    n = n.strip()
                    if n and n not in names: names.append(n)
        out[pkg] = {"dep5": True, "names": names}
    except (dep5.NotMachineReadableError, ValueError, Exception):
        refs = sorted(set(re.findall(r"/usr/share/common-licenses/([A-Za-z0-9.+_-]+[A-Za-z0-9+])", text)))
        out[pkg] = {"dep5": False, "names": refs}
json.dump(out, sys.stdout, indent=1, sort_keys=True)
