//! The search order of each loader family and the load simulation of one program, which
//! yields the findings ([`RULES`]).

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use super::env::LoaderEnv;
use super::tokens::{self, Tokens};
use super::{config, LoaderFinding, RootObject};
use crate::image::linking::{FileIndex, Lookup};
use crate::model::loader::ElfFacts;
use crate::model::Severity;

/// Every rule id, with what it predicts.
pub const RULES: &[(&str, &str)] = &[
    (
        "interpreter-missing",
        "the program's PT_INTERP loader is not in the root filesystem: exec fails (ENOENT)",
    ),
    (
        "libc-family-mismatch",
        "a glibc program in a musl root filesystem, or the reverse",
    ),
    (
        "library-not-found",
        "a DT_NEEDED library (ELF) or a non-weak dylib (Mach-O) is not where the loader looks",
    ),
    (
        "preload-not-found",
        "an LD_PRELOAD library (image config Env) glibc cannot open: it prints an error and runs the program without it",
    ),
    (
        "symbol-version-missing",
        "a version requirement (GLIBC_2.38, OPENSSL_3.0.0) no loaded library defines",
    ),
    (
        "undefined-symbol",
        "an imported symbol nothing in the loaded set defines (error when bound at load time, warning when bound lazily on first call)",
    ),
];

/// Objects one program may load at most (bounds hostile dependency graphs).
const MAX_LOADED: usize = 4096;
/// Symbols named in one finding's evidence.
const MAX_LISTED: usize = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    Glibc,
    Musl,
}

impl Family {
    /// From the interpreter's name: `ld-musl-*` is musl; anything else (`ld-linux-*`,
    /// `ld64.so.*`, `ld.so.1`) follows glibc's rules.
    pub fn of_interpreter(interp: &str) -> Family {
        if basename(interp).starts_with("ld-musl-") {
            Family::Musl
        } else {
            Family::Glibc
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Family::Glibc => "glibc",
            Family::Musl => "musl",
        }
    }
}

fn basename(p: &str) -> &str {
    p.rsplit('/').next().unwrap_or(p)
}

fn dirname(p: &str) -> &str {
    p.rsplit_once('/').map_or("", |(d, _)| d)
}

/// What the root filesystem offers every program.
pub struct RootInfo<'t> {
    conf_dirs: Vec<String>,
    cache: config::Cache,
    texts: &'t BTreeMap<&'t str, &'t [u8]>,
    /// Loaders present (`lib/ld-musl-x86_64.so.1`, `lib64/ld-linux-x86-64.so.2`).
    loaders: Vec<(Family, String)>,
    env: LoaderEnv,
    /// What the searches met that a reader should know (property name, value): a library
    /// found through `LD_LIBRARY_PATH`, a `glibc-hwcaps` variant not picked.
    notes: RefCell<BTreeSet<(String, String)>>,
}

impl<'t> RootInfo<'t> {
    pub fn new(
        index: &FileIndex<'_>,
        texts: &'t BTreeMap<&'t str, &'t [u8]>,
        conf_dirs: Vec<String>,
        env: LoaderEnv,
    ) -> RootInfo<'t> {
        let loaders = index
            .paths()
            .filter_map(|p| {
                let base = basename(p);
                let family = if base.starts_with("ld-musl-") {
                    Family::Musl
                } else if base.starts_with("ld-linux") {
                    Family::Glibc
                } else {
                    return None;
                };
                matches!(index.file(p), Lookup::Found(_)).then(|| (family, p.to_string()))
            })
            .collect();
        RootInfo {
            cache: config::ld_so_cache(texts),
            conf_dirs,
            texts,
            loaders,
            env,
            notes: RefCell::new(BTreeSet::new()),
        }
    }

    /// Whether a glibc loader is present (the CPU-level assumption then matters).
    pub fn has_glibc(&self) -> bool {
        self.loaders.iter().any(|(f, _)| *f == Family::Glibc)
    }

    pub fn take_notes(&self) -> BTreeSet<(String, String)> {
        std::mem::take(&mut self.notes.borrow_mut())
    }

    fn note(&self, name: &str, value: String) {
        self.notes.borrow_mut().insert((name.to_string(), value));
    }

    pub fn cache_problem(&self) -> Option<String> {
        match &self.cache {
            config::Cache::Unreadable(p) => Some(format!(
                "{p}: the ld.so.conf directories stand in for it (as if ldconfig had just run)"
            )),
            _ => None,
        }
    }

    /// The family of a root whose only loaders are musl's is musl; else glibc.
    pub fn family_guess(&self) -> Family {
        if !self.loaders.is_empty() && self.loaders.iter().all(|(f, _)| *f == Family::Musl) {
            Family::Musl
        } else {
            Family::Glibc
        }
    }
}

/// Where a search ended.
pub enum Found {
    /// The file the loader opens: its canonical path, and the path it was found at.
    Object(String, String),
    /// musl answers the name with itself (the loader's path).
    Loader(String),
    /// Not found; the directories searched, in order.
    Nothing(Vec<String>),
}

/// One object in a simulated load.
struct Loaded<'f> {
    /// Path as found (for `$ORIGIN`), without a leading `/`.
    path: String,
    canonical: String,
    /// Names it answers to: the names it was needed as, and its SONAME.
    names: Vec<String>,
    facts: Option<&'f ElfFacts>,
    /// Index of the object whose DT_NEEDED loaded it.
    loader: Option<usize>,
}

pub struct Simulation<'r, 'a> {
    root: &'r RootInfo<'r>,
    index: &'r FileIndex<'a>,
    objects: &'r BTreeMap<&'a str, RootObject<'a>>,
    family: Family,
}

impl<'r, 'a> Simulation<'r, 'a> {
    pub fn new(
        root: &'r RootInfo<'r>,
        index: &'r FileIndex<'a>,
        objects: &'r BTreeMap<&'a str, RootObject<'a>>,
        family: Family,
    ) -> Simulation<'r, 'a> {
        Simulation {
            root,
            index,
            objects,
            family,
        }
    }

    /// An object just loaded as `name` (needed by object `loader`): it answers to that name
    /// and to its SONAME.
    fn loaded(&self, path: String, canonical: String, name: &str, loader: usize) -> Loaded<'a> {
        let facts = self.objects.get(canonical.as_str()).map(|o| o.facts);
        let mut names = vec![name.to_string()];
        names.extend(facts.and_then(|f| f.soname.clone()));
        Loaded {
            path,
            canonical,
            names,
            facts,
            loader: Some(loader),
        }
    }

    /// The default directories. glibc's are compiled in: a Debian-style (multiarch) glibc,
    /// recognised by its loader living in `lib/<triplet>/`, searches `lib/<triplet>`,
    /// `usr/lib/<triplet>`, `lib`, `usr/lib`; others `lib64`, `usr/lib64` (64-bit) or `lib`,
    /// `usr/lib`.
    fn default_dirs(&self, facts: &ElfFacts, interp: Option<&str>) -> Vec<String> {
        match self.triplet(interp).as_deref() {
            Some(t) => vec![
                format!("lib/{t}"),
                format!("usr/lib/{t}"),
                "lib".into(),
                "usr/lib".into(),
            ],
            None if facts.class64 => vec!["lib64".into(), "usr/lib64".into()],
            None => vec!["lib".into(), "usr/lib".into()],
        }
    }

    /// The multiarch triplet of a Debian-style glibc, from where its loader lives.
    fn triplet(&self, interp: Option<&str>) -> Option<String> {
        let canonical = match self.index.file(interp?) {
            Lookup::Found(c) => c,
            _ => return None,
        };
        let dir = dirname(&canonical);
        let dir = dir.strip_prefix("usr/").unwrap_or(dir);
        dir.strip_prefix("lib/")
            .filter(|t| t.contains("-linux-"))
            .map(str::to_string)
    }

    /// `$LIB` and `$PLATFORM` for a requester: glibc's `$LIB` is its library directory
    /// (`lib/<triplet>` on Debian, checked with the loader's own `LD_DEBUG=libs`), musl
    /// expands `$ORIGIN` only.
    fn tokens(&self, facts: &ElfFacts, interp: Option<&str>) -> Tokens {
        match self.family {
            Family::Musl => Tokens::default(),
            Family::Glibc => Tokens {
                lib: Some(match self.triplet(interp) {
                    Some(t) => format!("lib/{t}"),
                    None if facts.class64 => "lib64".into(),
                    None => "lib".into(),
                }),
                platform: tokens::platform_of(facts.machine).map(str::to_string),
            },
        }
    }

    /// Search for a name needed by `chain[0]` (then its loaders, up to the program, which
    /// is last: `LD_LIBRARY_PATH`'s `$ORIGIN` is the program's).
    fn search(
        &self,
        chain: &[(&str, &ElfFacts)],
        interp: Option<&str>,
        name: &str,
        problems: &mut Vec<(String, String)>,
    ) -> Found {
        let Some(&(requester_path, requester)) = chain.first() else {
            return Found::Nothing(Vec::new());
        };
        let tokens = self.tokens(requester, interp);
        let origin_of = |p: &str| format!("/{}", dirname(p));
        let expand = |dirs: &[String], of: &str| -> Vec<String> {
            let origin = origin_of(of);
            dirs.iter()
                .filter_map(|d| tokens::expand(d, &origin, &tokens))
                .map(|d| d.trim_start_matches('/').trim_end_matches('/').to_string())
                .collect()
        };
        // A needed name with tokens (`$ORIGIN/libx.so`) is expanded first, as glibc does.
        let expanded_name;
        let name = if name.contains('$') {
            match tokens::expand(name, &origin_of(requester_path), &tokens) {
                Some(n) => {
                    expanded_name = n;
                    expanded_name.as_str()
                }
                None => return Found::Nothing(Vec::new()),
            }
        } else {
            name
        };
        let program_path = chain.last().map_or(requester_path, |(p, _)| *p);
        let env_dirs = expand(&self.root.env.library_path, program_path);
        // Directories before and after glibc's cache lookup; `true` marks LD_LIBRARY_PATH.
        let mut dirs: Vec<(String, bool)> = Vec::new();
        let mut after_cache: Vec<String> = Vec::new();
        let mut use_cache = false;
        let plain = |v: Vec<String>| v.into_iter().map(|d| (d, false));
        if name.contains('/') {
            dirs.push((String::new(), false));
        } else {
            match self.family {
                Family::Glibc => {
                    if requester.runpath.is_empty() {
                        for (p, f) in chain {
                            if f.runpath.is_empty() {
                                dirs.extend(plain(expand(&f.rpath, p)));
                            }
                        }
                    }
                    dirs.extend(env_dirs.iter().map(|d| (d.clone(), true)));
                    dirs.extend(plain(expand(&requester.runpath, requester_path)));
                    match &self.root.cache {
                        config::Cache::Entries { .. } => use_cache = true,
                        config::Cache::Unreadable(_) => {
                            after_cache.extend(self.root.conf_dirs.iter().cloned())
                        }
                        config::Cache::Absent => {}
                    }
                    after_cache.extend(self.default_dirs(requester, interp));
                }
                Family::Musl => {
                    if is_musl_reserved(name) {
                        return Found::Loader(interp.unwrap_or_default().to_string());
                    }
                    // musl searches LD_LIBRARY_PATH before any RPATH/RUNPATH.
                    dirs.extend(env_dirs.iter().map(|d| (d.clone(), true)));
                    for (p, f) in chain {
                        let paths = if f.runpath.is_empty() {
                            &f.rpath
                        } else {
                            &f.runpath
                        };
                        dirs.extend(plain(expand(paths, p)));
                    }
                    let arch = interp
                        .map(basename)
                        .and_then(|b| b.strip_prefix("ld-musl-"))
                        .and_then(|b| b.split('.').next())
                        .unwrap_or("x86_64");
                    dirs.extend(plain(config::musl_sys_path(self.root.texts, arch).0));
                }
            }
        }
        let mut seen = BTreeSet::new();
        dirs.retain(|(d, _)| seen.insert(d.clone()));
        after_cache.retain(|d| seen.insert(d.clone()));
        let try_path = |candidate: String, problems: &mut Vec<(String, String)>| {
            match self.index.file(&candidate) {
                Lookup::Found(canonical) => {
                    // glibc skips a file of another ELF class or machine and searches on.
                    if let Some(o) = self.objects.get(canonical.as_str()) {
                        if o.facts.class64 != requester.class64
                            || o.facts.machine != requester.machine
                        {
                            return None;
                        }
                    }
                    Some(Found::Object(canonical, candidate.clone()))
                }
                Lookup::Loop => {
                    problems.push((
                        format!("/{candidate}"),
                        format!(
                            "symlink loop (more than 40 links) while looking for {name}: skipped, as the loader does"
                        ),
                    ));
                    None
                }
                Lookup::Missing => None,
            }
        };
        let in_dir = |dir: &str| {
            if dir.is_empty() {
                name.trim_start_matches('/').to_string()
            } else {
                format!("{dir}/{name}")
            }
        };
        // A find in a directory: say so when LD_LIBRARY_PATH led there, and name the
        // glibc-hwcaps variants a more capable CPU would load instead.
        let found_in = |dir: &str, from_env: bool, found: Found| {
            if !dir.is_empty() {
                if from_env {
                    self.root.note(
                        "resolved-by:LD_LIBRARY_PATH",
                        format!("{name}=/{dir}/{name}"),
                    );
                }
                if self.family == Family::Glibc {
                    for v in self.hwcaps_variants(dir, name, requester.machine) {
                        self.root.note(
                            "hwcaps-variant-not-picked",
                            format!("{v} (baseline CPU level assumed; /{dir}/{name} is loaded)"),
                        );
                    }
                }
            }
            found
        };
        for (dir, from_env) in &dirs {
            if let Some(found) = try_path(in_dir(dir), problems) {
                return found_in(dir, *from_env, found);
            }
        }
        let mut searched: Vec<String> = dirs.iter().map(|(d, _)| format!("/{d}")).collect();
        if use_cache {
            if let config::Cache::Entries { baseline, hwcaps } = &self.root.cache {
                for (_, path) in baseline.iter().filter(|(k, _)| k == name) {
                    if let Some(found) = try_path(path.clone(), problems) {
                        for (_, v) in hwcaps.iter().filter(|(k, _)| k == name) {
                            self.root.note(
                                "hwcaps-variant-not-picked",
                                format!("/{v} (in /etc/ld.so.cache; baseline CPU level assumed; /{path} is loaded)"),
                            );
                        }
                        return found;
                    }
                }
            }
            searched.push("/etc/ld.so.cache".into());
        }
        for dir in &after_cache {
            if let Some(found) = try_path(in_dir(dir), problems) {
                return found_in(dir, false, found);
            }
        }
        searched.extend(after_cache.iter().map(|d| format!("/{d}")));
        Found::Nothing(searched)
    }

    /// `DIR/glibc-hwcaps/LEVEL/NAME` files present (as `/…` paths), best level first.
    fn hwcaps_variants(&self, dir: &str, name: &str, machine: u16) -> Vec<String> {
        tokens::hwcaps_levels(machine)
            .iter()
            .map(|level| format!("{dir}/glibc-hwcaps/{level}/{name}"))
            .filter(|p| matches!(self.index.file(p), Lookup::Found(_)))
            .map(|p| format!("/{p}"))
            .collect()
    }

    /// A library not found at the baseline CPU level that a `glibc-hwcaps` subdirectory of a
    /// searched directory (or the cache) holds: a CPU of that level would load it.
    fn hwcaps_hint(&self, searched: &[String], name: &str, machine: u16) -> Option<String> {
        if self.family != Family::Glibc || name.contains('/') {
            return None;
        }
        let mut found: Vec<String> = searched
            .iter()
            .filter(|d| d.as_str() != "/etc/ld.so.cache")
            .flat_map(|d| self.hwcaps_variants(d.trim_start_matches('/'), name, machine))
            .collect();
        if let config::Cache::Entries { hwcaps, .. } = &self.root.cache {
            found.extend(
                hwcaps
                    .iter()
                    .filter(|(k, _)| k == name)
                    .map(|(_, v)| format!("/{v}")),
            );
        }
        found.dedup();
        (!found.is_empty()).then(|| {
            format!(
                "only glibc-hwcaps variants exist ({}): a CPU of that level loads them; assay assumes the baseline level",
                found.join(", ")
            )
        })
    }

    /// A library that sits in an `ld.so.conf` directory but is missing from the cache
    /// (`ldconfig` not run after it was added): glibc does not find it there.
    fn stale_cache_hint(&self, name: &str) -> Option<String> {
        if self.family != Family::Glibc || name.contains('/') {
            return None;
        }
        if !matches!(self.root.cache, config::Cache::Entries { .. }) {
            return None;
        }
        self.root.conf_dirs.iter().find_map(|d| {
            matches!(self.index.file(&format!("{d}/{name}")), Lookup::Found(_)).then(|| {
                format!("/{d}/{name} exists in an ld.so.conf directory but /etc/ld.so.cache does not list it (ldconfig not run)")
            })
        })
    }

    /// A file's own DT_NEEDED resolution (its RPATH/RUNPATH only), for DYNAMIC_LINK edges.
    pub fn search_alone(
        &self,
        path: &str,
        facts: &ElfFacts,
        name: &str,
        problems: &mut Vec<(String, String)>,
    ) -> Found {
        let interp = facts
            .interpreter
            .clone()
            .or_else(|| self.root_interpreter(facts));
        self.search(&[(path, facts)], interp.as_deref(), name, problems)
    }

    /// A loader of this family and class in the root, for libraries (no PT_INTERP).
    fn root_interpreter(&self, _facts: &ElfFacts) -> Option<String> {
        self.root
            .loaders
            .iter()
            .find(|(f, _)| *f == self.family)
            .map(|(_, p)| format!("/{p}"))
    }

    /// Loads one program as its loader would and reports every predicted failure.
    pub fn run_program(
        &self,
        path: &str,
        program: &RootObject<'_>,
        findings: &mut Vec<LoaderFinding>,
        problems: &mut Vec<(String, String)>,
    ) {
        let facts = program.facts;
        let Some(interp) = facts.interpreter.as_deref() else {
            return;
        };
        let first = findings.len();
        let finding =
            |rule: &'static str, severity, message: String, evidence: Vec<String>| LoaderFinding {
                rule,
                severity,
                file: program.name.to_string(),
                file_id: program.file_id.to_string(),
                message,
                evidence,
            };
        let shown = format!("/{path}");
        let interp_canonical = match self.index.file(interp) {
            Lookup::Found(c) => c,
            other => {
                let present: Vec<String> = self
                    .root
                    .loaders
                    .iter()
                    .map(|(f, p)| format!("/{p} ({})", f.as_str()))
                    .collect();
                let mut evidence = vec![format!(
                    "PT_INTERP {interp} ({}): {}",
                    self.family.as_str(),
                    if other == Lookup::Loop {
                        "symlink loop"
                    } else {
                        "not in the root filesystem"
                    }
                )];
                if !present.is_empty() {
                    evidence.push(format!("loaders present: {}", present.join(", ")));
                }
                findings.push(finding(
                    "interpreter-missing",
                    Severity::Error,
                    format!(
                        "{shown}: cannot execute: interpreter {interp}: No such file or directory"
                    ),
                    evidence.clone(),
                ));
                let others: Vec<&(Family, String)> = self.root.loaders.iter().collect();
                if !others.is_empty() && others.iter().all(|(f, _)| *f != self.family) {
                    let root_family = others[0].0;
                    findings.push(finding(
                        "libc-family-mismatch",
                        Severity::Error,
                        format!(
                            "{shown}: a {} program in a {} root filesystem",
                            self.family.as_str(),
                            root_family.as_str()
                        ),
                        evidence,
                    ));
                }
                return;
            }
        };

        // Breadth-first, as both loaders map dependencies.
        let mut loaded: Vec<Loaded<'_>> = vec![Loaded {
            path: path.to_string(),
            canonical: path.to_string(),
            names: Vec::new(),
            facts: Some(facts),
            loader: None,
        }];
        let rtld_facts = self.objects.get(interp_canonical.as_str()).map(|o| o.facts);
        let mut rtld = Loaded {
            path: interp.trim_start_matches('/').to_string(),
            canonical: interp_canonical.clone(),
            names: vec![basename(interp).to_string()],
            facts: rtld_facts,
            loader: None,
        };
        if let Some(s) = rtld_facts.and_then(|f| f.soname.clone()) {
            rtld.names.push(s);
        }
        self.preload(
            path,
            interp,
            &mut loaded,
            &rtld,
            &mut |m, e| findings.push(finding("preload-not-found", Severity::Warning, m, e)),
            problems,
        );
        let mut i = 0;
        while i < loaded.len() && loaded.len() < MAX_LOADED {
            let Some(requester) = loaded[i].facts else {
                i += 1;
                continue;
            };
            for name in &requester.needed {
                if loaded.iter().chain([&rtld]).any(|l| l.names.contains(name)) {
                    continue;
                }
                let mut chain: Vec<(&str, &ElfFacts)> = Vec::new();
                let mut at = Some(i);
                while let Some(j) = at {
                    if let Some(f) = loaded[j].facts {
                        chain.push((loaded[j].path.as_str(), f));
                    }
                    at = loaded[j].loader;
                    if chain.len() > MAX_LOADED {
                        break;
                    }
                }
                match self.search(&chain, Some(interp), name, problems) {
                    Found::Loader(_) => rtld.names.push(name.clone()),
                    Found::Object(canonical, found_at) => {
                        if canonical == rtld.canonical {
                            rtld.names.push(name.clone());
                        } else if let Some(l) = loaded.iter_mut().find(|l| l.canonical == canonical)
                        {
                            l.names.push(name.clone());
                        } else {
                            loaded.push(self.loaded(found_at, canonical, name, i));
                        }
                    }
                    Found::Nothing(searched) => {
                        let needed_by = format!("/{}", loaded[i].path);
                        let stale = self.stale_cache_hint(name);
                        let hwcaps = self.hwcaps_hint(&searched, name, requester.machine);
                        let env = self.root.env.evidence("LD_LIBRARY_PATH");
                        let message = match self.family {
                            Family::Glibc => format!(
                                "{shown}: error while loading shared libraries: {name}: cannot open shared object file: No such file or directory"
                            ),
                            Family::Musl => format!(
                                "Error loading shared library {name}: No such file or directory (needed by {needed_by})"
                            ),
                        };
                        findings.push(finding(
                            "library-not-found",
                            Severity::Error,
                            message,
                            [
                                format!("needed by {needed_by}"),
                                format!("searched {}", searched.join(":")),
                            ]
                            .into_iter()
                            .chain(stale)
                            .chain(hwcaps)
                            .chain(env)
                            .collect(),
                        ));
                    }
                }
            }
            i += 1;
        }
        if !loaded.iter().any(|l| l.canonical == rtld.canonical) {
            loaded.push(rtld);
        } else if let Some(l) = loaded.iter_mut().find(|l| l.canonical == rtld.canonical) {
            l.names.extend(rtld.names);
        }
        if self.family == Family::Glibc {
            self.check_versions(&shown, &loaded, &mut |m, e| {
                findings.push(finding("symbol-version-missing", Severity::Error, m, e))
            });
        }
        // With a library missing the loader stops there; its symbols would only add noise.
        if !findings[first..]
            .iter()
            .any(|f| f.rule == "library-not-found")
        {
            self.check_symbols(&shown, facts, &loaded, &mut |sev, m, e| {
                findings.push(finding("undefined-symbol", sev, m, e))
            });
        }
    }

    /// `LD_PRELOAD` (glibc): each entry is searched from the program, as a DT_NEEDED of it
    /// would be, and loaded before the program's own dependencies; one glibc cannot open is
    /// reported and skipped. musl ignores a missing one silently (no finding).
    fn preload<'f>(
        &self,
        path: &str,
        interp: &str,
        loaded: &mut Vec<Loaded<'f>>,
        rtld: &Loaded<'_>,
        report: &mut dyn FnMut(String, Vec<String>),
        problems: &mut Vec<(String, String)>,
    ) where
        'a: 'f,
    {
        let Some(program) = loaded.first().and_then(|l| l.facts) else {
            return;
        };
        for entry in &self.root.env.preload {
            if loaded.iter().chain([rtld]).any(|l| l.names.contains(entry)) {
                continue;
            }
            match self.search(&[(path, program)], Some(interp), entry, problems) {
                Found::Object(canonical, found_at) => {
                    if canonical == rtld.canonical
                        || loaded.iter().any(|l| l.canonical == canonical)
                    {
                        continue;
                    }
                    loaded.push(self.loaded(found_at, canonical, entry, 0));
                }
                Found::Loader(_) => {}
                Found::Nothing(searched) if self.family == Family::Glibc => report(
                    format!(
                        "ERROR: ld.so: object '{entry}' from LD_PRELOAD cannot be preloaded (cannot open shared object file): ignored."
                    ),
                    [
                        self.root.env.evidence("LD_PRELOAD").unwrap_or_default(),
                        format!("searched {}", searched.join(":")),
                    ]
                    .into_iter()
                    .filter(|e| !e.is_empty())
                    .collect(),
                ),
                Found::Nothing(_) => {}
            }
        }
    }

    /// glibc checks each loaded object's version requirements against the object that
    /// answers the library name; a missing node is fatal before `main`.
    fn check_versions(
        &self,
        shown: &str,
        loaded: &[Loaded<'_>],
        report: &mut dyn FnMut(String, Vec<String>),
    ) {
        for obj in loaded {
            let Some(facts) = obj.facts else { continue };
            let mut wanted: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
            for import in &facts.imports {
                if let Some((version, library)) = &import.version {
                    wanted
                        .entry((library.as_str(), version.as_str()))
                        .or_default()
                        .push(import.name.as_str());
                }
            }
            for ((library, version), symbols) in wanted {
                let Some(provider) = loaded.iter().find(|l| l.names.iter().any(|n| n == library))
                else {
                    continue; // not loaded: reported as library-not-found
                };
                let Some(pf) = provider.facts else { continue };
                if pf.defined_versions.contains(version) {
                    continue;
                }
                let required_by = if obj.loader.is_none() {
                    shown.to_string()
                } else {
                    format!("/{}", obj.path)
                };
                report(
                    format!(
                        "{shown}: /{}: version `{version}' not found (required by {required_by})",
                        provider.path
                    ),
                    vec![
                        format!(
                            "{} defines {}",
                            library,
                            newest(&pf.defined_versions, version)
                        ),
                        format!("symbols: {}", list(&symbols)),
                    ],
                );
            }
        }
    }

    /// Every non-weak import must be defined by some loaded object (the global scope).
    fn check_symbols(
        &self,
        shown: &str,
        program: &ElfFacts,
        loaded: &[Loaded<'_>],
        report: &mut dyn FnMut(Severity, String, Vec<String>),
    ) {
        let _ = program;
        for obj in loaded {
            let Some(facts) = obj.facts else { continue };
            let mut eager: Vec<String> = Vec::new();
            let mut lazy: Vec<String> = Vec::new();
            for import in facts.imports.iter().filter(|i| !i.weak) {
                let defined = match &import.version {
                    None => loaded
                        .iter()
                        .filter_map(|l| l.facts)
                        .any(|f| f.exports.contains(&import.name)),
                    Some((version, library)) => {
                        let provider = loaded
                            .iter()
                            .find(|l| l.names.iter().any(|n| n == library))
                            .and_then(|l| l.facts);
                        match provider {
                            // Missing library or version: reported by the other rules.
                            None => true,
                            Some(p) if !p.defined_versions.contains(version) => true,
                            Some(_) => loaded.iter().filter_map(|l| l.facts).any(|f| {
                                f.versioned_exports
                                    .get(version)
                                    .is_some_and(|s| s.contains(&import.name))
                                    || (f.defined_versions.is_empty()
                                        && f.exports.contains(&import.name))
                            }),
                        }
                    }
                };
                if defined {
                    continue;
                }
                let text = match &import.version {
                    Some((v, _)) => format!("{}, version {v}", import.name),
                    None => import.name.clone(),
                };
                if self.family == Family::Musl
                    || facts.bind_now
                    || import.eager
                    || self.root.env.bind_now
                {
                    eager.push(text);
                } else {
                    lazy.push(text);
                }
            }
            let at = if obj.loader.is_none() {
                shown.to_string()
            } else {
                format!("/{}", obj.path)
            };
            for (symbols, severity, when) in [
                (eager, Severity::Error, "bound at load time (BIND_NOW, data reference or musl): the program does not start"),
                (lazy, Severity::Warning, "bound lazily (PLT): fails when first called"),
            ] {
                let Some(first) = symbols.first() else { continue };
                let message = match self.family {
                    Family::Glibc => format!("{shown}: symbol lookup error: {at}: undefined symbol: {first}"),
                    Family::Musl => format!("Error relocating {at}: {first}: symbol not found"),
                };
                let refs: Vec<&str> = symbols.iter().map(String::as_str).collect();
                report(
                    severity,
                    message,
                    vec![when.to_string(), format!("undefined: {}", list(&refs))],
                );
            }
        }
    }
}

/// musl's loader answers these names itself (`libc.so.6`, `libm.so.6`, `libpthread.so.0`…).
fn is_musl_reserved(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("lib") else {
        return false;
    };
    ["c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet."]
        .iter()
        .any(|r| rest.starts_with(r))
}

fn list(items: &[&str]) -> String {
    let mut out: Vec<&str> = items.iter().take(MAX_LISTED).copied().collect();
    out.sort();
    let more = items.len().saturating_sub(MAX_LISTED);
    if more > 0 {
        format!("{} (+{more} more)", out.join(", "))
    } else {
        out.join(", ")
    }
}

/// The newest defined node with the same prefix as `wanted` (`GLIBC_2.36`), for evidence.
fn newest(defined: &BTreeSet<String>, wanted: &str) -> String {
    let prefix: String = wanted.chars().take_while(|c| !c.is_ascii_digit()).collect();
    let parse = |v: &str| -> Vec<u64> {
        v[prefix.len()..]
            .split('.')
            .map(|p| p.parse().unwrap_or(0))
            .collect()
    };
    defined
        .iter()
        .filter(|v| v.starts_with(&prefix) && v.len() > prefix.len())
        .max_by_key(|v| parse(v))
        .map(|v| format!("up to {v}"))
        .unwrap_or_else(|| format!("no {prefix}* version"))
}
