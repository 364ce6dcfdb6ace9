#!/usr/bin/env python3
"""Extracts seed lists for the bundled license-db from saved copies of two curated popularity
lists: avelino/awesome-go and rust-unofficial/awesome-rust (README.md of each).

  python3 license-db/awesome.py            # reads license-db/.cache/awesome/{go,rust}-*.txt
                                           # writes license-db/go-awesome.txt, rust-awesome.txt

The saved copies (not committed) hold the link targets of the READMEs' list entries, one a line,
read page by page through the reference store: for awesome-go the project link of every entry
(`https://github.com/OWNER/REPO...`, other hosts kept whole), for awesome-rust the crate names
the entries link on crates.io (`https://crates.io/crates/NAME`, badges `img.shields.io/crates/v/NAME`).
A GitHub repository without such a link is NOT turned into a crate name: guessing names is not
a source; for a dozen of the most widely installed such applications the saved copy also holds
`OWNER/REPO<TAB>NAME` lines, NAME being the `[package] name` (or, for a workspace, the
binary's member) that the repository's own Cargo.toml states, read the same way. Full URLs, bare `host/path` lines and `- [name](url)` markdown lines are all accepted.

Go: a link becomes a module path (`github.com/OWNER/REPO`, the `tree/...` of a sub-directory
dropped; `pkg.go.dev/PATH` becomes PATH); every major-version path `PATH/vN` that
/work/.library/env/packages/go-partial.tsv (the build machine's list of modules its proxy serves)
records is added too, since `PATH/@v/list` lists only v0/v1. Paths the proxy refuses are skipped
and counted by crawl.py. Programs of held-out.txt (and their other majors) are never seeds.
Only the Python standard library is used.
"""
import os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
SAVED = os.path.join(HERE, ".cache", "awesome")
PARTIAL = "/work/.library/env/packages/go-partial.tsv"
SOURCES = {
    "go": ("avelino/awesome-go", "README.md", "0002f6392bbed4270218fe1a44e3635e159a998e"),
    "rust": ("rust-unofficial/awesome-rust", "README.md", "124ad9dad30151ea975bdb165f4c45987e9164e8"),
}
# held-out programs whose awesome-go link is not their module path (go.k6.io/k6)
HELD_ALIASES = {"github.com/grafana/k6"}
URL = re.compile(r"(?:https?://)?([A-Za-z0-9.-]+\.[A-Za-z]{2,}(?:/[^\s)\]\"'<>]*)?)")


def major_base(path):
    m = re.match(r"^(.*)/v\d+$", path)
    return m.group(1) if m else path


def held_out():
    go, crates = set(), set()
    for line in open(os.path.join(HERE, "held-out.txt")):
        f = line.split("#")[0].split()
        if len(f) == 2:
            name = f[1].rsplit("@", 1)[0]
            (go if f[0] == "go" else crates).add(major_base(name) if f[0] == "go" else name)
    return go | HELD_ALIASES, crates


def saved_lines(kind):
    for name in sorted(os.listdir(SAVED)):
        if name.startswith(kind + "-") and name.endswith(".txt"):
            yield from open(os.path.join(SAVED, name))


def go_path(link):
    """The module path a project link names, or None for what cannot be one."""
    link = link.rstrip("/").removesuffix(".git")
    if link.startswith("pkg.go.dev/"):
        link = link[len("pkg.go.dev/"):]
    parts = link.split("/")
    host = parts[0].lower()
    if host in ("github.com", "gitea.com", "bitbucket.org", "codeberg.org"):
        if len(parts) < 3 or parts[1] in ("marketplace", "orgs", "topics"):
            return None
        return "/".join([host, parts[1], parts[2]])
    if len(parts) < 2 and "." not in host:
        return None
    if "?" in link or "#" in link:
        return None
    return link


def extract_go(hold):
    served = {}
    if not os.path.exists(PARTIAL):  # another machine: no list of what its proxy serves
        print(f"note: {PARTIAL} missing, no /vN majors added", file=sys.stderr)
    for line in open(PARTIAL) if os.path.exists(PARTIAL) else ():
        f = line.rstrip("\n").split("\t")
        if len(f) >= 2 and f[1] != "not-served" and not line.startswith("module"):
            served.setdefault(major_base(f[0]), set()).add(f[0])
    out, dropped = {}, []
    for line in saved_lines("go"):
        m = URL.search(line.strip().lstrip("-* "))
        path = go_path(m.group(1)) if m else None
        if not path:
            continue
        if major_base(path) in hold:
            dropped.append(path)
            continue
        out[path] = None
        for p in sorted(served.get(path, ())):  # the majors the proxy is known to serve
            out[p] = None
    return sorted(out), dropped


def extract_rust(hold):
    names, dropped = {}, []
    pat = re.compile(r"(?:crates\.io/crates/|img\.shields\.io/crates/[a-z]/)([A-Za-z0-9_-]+)")
    for line in saved_lines("rust"):
        line = line.strip()
        if "\t" in line:  # `OWNER/REPO<TAB>NAME`: the package name the repository's Cargo.toml gives
            found = [line.split("\t")[1]]
        else:
            found = pat.findall(line)
        if not found and re.fullmatch(r"[A-Za-z0-9_-]+", line):
            found = [line]  # a saved copy of names only
        for n in found:
            if n in hold:
                dropped.append(n)
            else:
                names[n] = None
    return sorted(names, key=str.lower), dropped


def write(path, kind, names, dropped, already):
    repo, file, commit = SOURCES[kind]
    new = [n for n in names if n not in already]
    what = "module path" if kind == "go" else "crate name"
    extra = ("\n# Also the package names that the Cargo.toml of 12 of its linked applications states."
             if kind == "rust" else "")
    with open(path, "w") as f:
        f.write(f"# Seeds for the bundled license-db ({'Go' if kind == 'go' else 'Rust'}), one {what} a line, written by\n"
                f"# license-db/awesome.py from the curated popularity list {repo}\n"
                f"# ({file} at commit {commit}),\n"
                f"# read page by page through the reference store.{extra}\n"
                f"# {len(names)} {what}s extracted, {len(names) - len(new)} already seeds in the hand-kept list,\n"
                f"# {len(set(dropped))} held out (license-db/held-out.txt) and left out. Libraries are seeds like\n"
                f"# programs: their {'go.mod requirements' if kind == 'go' else 'crate dependencies'} are walked."
                f" Regenerate with awesome.py; do not edit by hand.\n")
        for n in new:
            f.write(n + "\n")
    return len(new)


def main():
    hold_go, hold_crates = held_out()
    go, go_dropped = extract_go(hold_go)
    rust, rust_dropped = extract_rust(hold_crates)
    known_go = {l.split("#")[0].strip() for l in open(os.path.join(HERE, "go-programs.txt"))}
    known_rust = {l.split("#")[0].strip() for l in open(os.path.join(HERE, "rust-crates.txt"))}
    n_go = write(os.path.join(HERE, "go-awesome.txt"), "go", go, go_dropped, known_go)
    n_rust = write(os.path.join(HERE, "rust-awesome.txt"), "rust", rust, rust_dropped, known_rust)
    print(f"go: {len(go)} module paths, {n_go} new; held out: {sorted(set(go_dropped))}", file=sys.stderr)
    print(f"rust: {len(rust)} crate names, {n_rust} new; held out: {sorted(set(rust_dropped))}", file=sys.stderr)


if __name__ == "__main__":
    main()
