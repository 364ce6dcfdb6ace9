//! What the dynamic loader of a root filesystem will do with each program in it: which file
//! each DT_NEEDED name loads (glibc's or musl's search order, inside the root), and the
//! findings that predict a load failure, each worded as the loader words it.
//!
//! Model (docs/images.md): the kernel runs `PT_INTERP`; glibc then searches, per needed name,
//! DT_RPATH (requester and its loaders, only without DT_RUNPATH), DT_RUNPATH (requester),
//! `/etc/ld.so.cache` (what `ldconfig` built from `ld.so.conf`; without a readable cache the
//! `ld.so.conf` directories stand in), the default directories;
//! musl searches the requester chain's RUNPATH/RPATH, then `/etc/ld-musl-ARCH.path` (or its
//! default), and answers `libc`, `libm`, `libpthread`, … with itself. Dependencies load
//! breadth first; glibc then checks every version requirement of every loaded object, and
//! symbols are looked up in the global scope (the program, its dependencies, the loader).

pub mod config;
pub mod env;
pub mod graph;
pub mod macho;
mod rules;
pub mod tokens;

use std::collections::BTreeMap;

pub use crate::model::loader::{ElfFacts, LoaderFinding};
pub use rules::{Family, RULES};

use crate::image::linking::FileIndex;

/// One ELF file of the root, as the resolver needs it.
pub struct RootObject<'a> {
    pub file_id: &'a str,
    /// Document file name (`./usr/bin/curl`).
    pub name: &'a str,
    pub facts: &'a ElfFacts,
}

/// Where one DT_NEEDED of one file goes, from that file's own search context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub from: String,
    pub needed: String,
    pub to: Target,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An analysed file.
    File(String),
    /// A path that exists but is not an analysed ELF file.
    Path(String),
    /// The musl loader itself answers (`libc.so.6`, `libm.so.6`, …).
    Loader(String),
    NotFound,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub links: Vec<Link>,
    pub findings: Vec<LoaderFinding>,
    /// Problems with the root itself (include cycles, symlink loops), by path.
    pub problems: Vec<(String, String)>,
    /// What the model assumed and what the environment changed, as (name, value)
    /// properties of the image: `env:LD_LIBRARY_PATH`, `cpu-level`,
    /// `resolved-by:LD_LIBRARY_PATH`, `hwcaps-variant-not-picked`.
    pub properties: Vec<(String, String)>,
}

/// Resolves every ELF file's DT_NEEDED and checks every program (`PT_INTERP`) of one root.
/// `objects` is keyed by path inside the root (no leading `/`).
pub fn analyse(
    index: &FileIndex<'_>,
    texts: &BTreeMap<&str, &[u8]>,
    objects: &BTreeMap<&str, RootObject<'_>>,
    env: &env::LoaderEnv,
) -> Outcome {
    let mut out = Outcome::default();
    let mut conf_problems = Vec::new();
    let conf_dirs = config::ld_so_conf_dirs(texts, &mut conf_problems);
    for p in conf_problems {
        out.problems.push(("/etc/ld.so.conf".into(), p));
    }
    let root = rules::RootInfo::new(index, texts, conf_dirs, env.clone());
    if let Some(p) = root.cache_problem() {
        out.problems.push(("/etc/ld.so.cache".into(), p));
    }
    for (path, object) in objects {
        let family = object
            .facts
            .interpreter
            .as_deref()
            .map(Family::of_interpreter)
            .unwrap_or_else(|| root.family_guess());
        let sim = rules::Simulation::new(&root, index, objects, family);
        for needed in &object.facts.needed {
            let to = match sim.search_alone(path, object.facts, needed, &mut out.problems) {
                rules::Found::Object(p, _) => match index.file_id(&p) {
                    Some(id) => Target::File(id.to_string()),
                    None => Target::Path(p),
                },
                rules::Found::Loader(p) => Target::Loader(p),
                rules::Found::Nothing(_) => Target::NotFound,
            };
            out.links.push(Link {
                from: object.file_id.to_string(),
                needed: needed.clone(),
                to,
            });
        }
        if object.facts.is_program() {
            sim.run_program(path, object, &mut out.findings, &mut out.problems);
        }
    }
    out.findings.sort();
    out.findings.dedup();
    out.problems.sort();
    out.problems.dedup();
    out.properties = env
        .vars
        .iter()
        .map(|(k, v)| (format!("env:{k}"), v.clone()))
        .collect();
    if root.has_glibc() {
        out.properties.push((
            "cpu-level".into(),
            "baseline: glibc-hwcaps subdirectories and ld.so.cache hwcaps entries are not picked"
                .into(),
        ));
    }
    out.properties.extend(root.take_notes());
    out.properties.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(needed: &[&str], rpath: &[&str], runpath: &[&str]) -> ElfFacts {
        ElfFacts {
            class64: true,
            machine: 62,
            needed: needed.iter().map(|s| s.to_string()).collect(),
            rpath: rpath.iter().map(|s| s.to_string()).collect(),
            runpath: runpath.iter().map(|s| s.to_string()).collect(),
            ..ElfFacts::default()
        }
    }

    #[test]
    fn rpath_is_inherited_runpath_is_not_and_cycles_end() {
        let mut program = facts(&["liba.so"], &["/opt/r"], &[]);
        program.interpreter = Some("/lib64/ld-linux-x86-64.so.2".into());
        // liba (found through the program's RPATH) needs libb, found only through the
        // program's RPATH (inherited: liba has no RUNPATH), and libc, which needs liba back.
        let liba = facts(&["libb.so", "libc.so.6"], &[], &[]);
        let libb = facts(&["libc.so.6"], &[], &[]);
        let libc = facts(&["liba.so"], &[], &[]);
        let ld = facts(&[], &[], &[]);
        // The same program with RUNPATH instead: libb is not found from liba.
        let mut program2 = facts(&["liba.so"], &[], &["/opt/r"]);
        program2.interpreter = program.interpreter.clone();
        let mut wrong_class = facts(&[], &[], &[]);
        wrong_class.class64 = false;

        let mut index = crate::image::linking::FileIndex::default();
        for (p, id) in [
            ("bin/prog", "p"),
            ("bin/prog2", "p2"),
            ("opt/r/liba.so", "a"),
            ("opt/r/libb.so", "b"),
            ("lib64/ld-linux-x86-64.so.2", "ld"),
            ("lib64/libc.so.6", "c32"),
            ("usr/lib64/libc.so.6", "c"),
        ] {
            index.insert(p, None, Some(id));
        }
        let objects: BTreeMap<&str, RootObject<'_>> = [
            ("bin/prog", "p", &program),
            ("bin/prog2", "p2", &program2),
            ("opt/r/liba.so", "a", &liba),
            ("opt/r/libb.so", "b", &libb),
            ("lib64/ld-linux-x86-64.so.2", "ld", &ld),
            // A 32-bit libc first on the default path is skipped, as glibc does.
            ("lib64/libc.so.6", "c32", &wrong_class),
            ("usr/lib64/libc.so.6", "c", &libc),
        ]
        .into_iter()
        .map(|(p, id, f)| {
            (
                p,
                RootObject {
                    file_id: id,
                    name: p,
                    facts: f,
                },
            )
        })
        .collect();
        let out = analyse(
            &index,
            &BTreeMap::new(),
            &objects,
            &env::LoaderEnv::default(),
        );
        let missing: Vec<(&str, &str)> = out
            .findings
            .iter()
            .map(|f| (f.file_id.as_str(), f.rule))
            .collect();
        assert_eq!(
            missing,
            [("p2", "library-not-found")],
            "{:#?}",
            out.findings
        );
        assert!(out.findings[0].message.contains("libb.so"));
        let link = |from: &str, needed: &str| {
            out.links
                .iter()
                .find(|l| l.from == from && l.needed == needed)
                .map(|l| l.to.clone())
        };
        assert_eq!(link("a", "libc.so.6"), Some(Target::File("c".into())));
        assert_eq!(link("p", "liba.so"), Some(Target::File("a".into())));
        // On its own, liba has no search path that reaches libb.
        assert_eq!(link("a", "libb.so"), Some(Target::NotFound));
    }
}
