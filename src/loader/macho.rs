//! Which file dyld would load for each dylib load command of the Mach-O files of a directory
//! scan (a macOS app, bundle or install tree), following dyld's documented rules (`man dyld`,
//! "DYNAMIC LIBRARY LOADING"); docs/loader.md has the model.
//!
//! - `@executable_path/` is the directory of the main executable (`MH_EXECUTE`) of the
//!   process: known when a scanned program loads the image, unknown otherwise.
//! - `@loader_path/` is the directory of the image holding the load command.
//! - `@rpath/` is tried against the run-path stack: the `LC_RPATH`s of the loading image,
//!   then those of the image that loaded it, and so on up to the program, each in command
//!   order; an `LC_RPATH` itself may start with `@loader_path/` (the image holding that
//!   `LC_RPATH`) or `@executable_path/`.
//! - an absolute path is looked up below the scanned directory; `/usr/lib/…` and
//!   `/System/Library/…` not there are system libraries, in the dyld shared cache.
//! - a candidate file without a slice of the loader's CPU type is skipped, as dyld does.
//!
//! Every program is loaded in simulation (its dependencies breadth first, each image once,
//! each with the run-path stack of the chain that first reached it). An image no scanned
//! program loads is resolved alone: its own `LC_RPATH`s, `@executable_path` unknown.
//! Paths are names of the scan (`./App.app/Contents/MacOS/app`); `..` is applied lexically.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::catalog::native::dyld_facts::{DylibKind, MachoImage};
use crate::model::loader::{LoaderFinding, STATUS_PROPERTY};
use crate::model::{Component, ComponentKind, GraphBuilder, Property, RelationshipKind, Severity};
use crate::scan::DirScan;

/// Images loaded per program at most (hostile or huge trees).
const MAX_IMAGES: usize = 4096;

/// Install-name prefixes of the libraries macOS ships in the dyld shared cache (since
/// macOS 11 they are not on disk at all).
const SYSTEM_PREFIXES: [&str; 2] = ["/usr/lib/", "/System/Library/"];

/// What a system library's slice property says.
pub const SYSTEM_LIBRARY: &str = "system library, in the dyld shared cache";

/// One image: (index of the file in [`DirScan::macho`], index of its slice).
pub type ImageRef = (usize, usize);

/// Where one dylib load command goes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// A scanned image (the matching slice of the file).
    Image(ImageRef),
    /// Not below the scanned directory, but a system library (dyld shared cache).
    System,
    /// Looked for where dyld looks, in the scan, and not there; `tried` lists the candidates.
    NotFound { tried: Vec<String> },
    /// The answer depends on what the scan does not show (the program that loads the image,
    /// a file outside the scanned directory); says why.
    Unknown(String),
}

/// One answer for one load command, with how it was reached.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Resolution {
    pub target: Target,
    /// The derivation (`@rpath = @loader_path/../lib (LC_RPATH of ./app)`).
    pub method: String,
}

/// Every answer for every load command, and the predicted load failures.
#[derive(Debug, Default)]
pub struct Outcome {
    /// (image, index of the dylib command) → the distinct answers over every load context.
    pub resolutions: BTreeMap<(ImageRef, usize), BTreeSet<Resolution>>,
    pub findings: Vec<LoaderFinding>,
}

/// One entry of the run-path stack: an `LC_RPATH` and the image holding it.
#[derive(Clone, Copy)]
struct Rpath<'a> {
    path: &'a str,
    owner: ImageRef,
}

struct Resolver<'a> {
    scan: &'a DirScan,
    /// Normalised file name → index in `scan.macho`.
    by_name: BTreeMap<String, usize>,
}

/// What a candidate path holds for a loader of one CPU type.
enum Candidate {
    Image(ImageRef),
    WrongArch,
    Missing,
    /// Not below a scanned directory: the scan cannot say whether it exists.
    Outside,
}

impl<'a> Resolver<'a> {
    fn new(scan: &'a DirScan) -> Self {
        let by_name = scan
            .macho
            .iter()
            .enumerate()
            .map(|(i, f)| (normalise(&f.name), i))
            .collect();
        Resolver { scan, by_name }
    }

    fn image(&self, r: ImageRef) -> Option<&'a MachoImage> {
        self.scan.macho.get(r.0)?.images.get(r.1)
    }

    fn name(&self, r: ImageRef) -> &'a str {
        self.scan.macho.get(r.0).map_or("", |f| f.name.as_str())
    }

    fn candidate(&self, path: &str, cpu: u32) -> Candidate {
        let path = normalise(path);
        let Some(&file) = self.by_name.get(&path) else {
            return if self.inside(&path) {
                Candidate::Missing
            } else {
                Candidate::Outside
            };
        };
        match self.scan.macho[file]
            .images
            .iter()
            .position(|i| i.cpu == cpu)
        {
            Some(slice) => Candidate::Image((file, slice)),
            None => Candidate::WrongArch,
        }
    }

    /// Whether a normalised path lies below one of the scanned directories (a file target's
    /// neighbours were not scanned: their absence proves nothing).
    fn inside(&self, path: &str) -> bool {
        self.scan.roots.iter().any(|root| {
            let root = normalise(root);
            let prefix = if root.ends_with('/') {
                root
            } else {
                format!("{root}/")
            };
            path.strip_prefix(&prefix)
                .is_some_and(|rest| rest != ".." && !rest.starts_with("../"))
        })
    }

    /// Directories a path prefix (`@loader_path/x`, `@executable_path/x`, `/abs`) stands
    /// for, as scan names; `Err` says why it cannot be known.
    fn expand(
        &self,
        path: &str,
        owner: ImageRef,
        exe_dir: Option<&str>,
    ) -> Result<Vec<String>, String> {
        if let Some(rest) = strip_token(path, "@loader_path") {
            return Ok(vec![join(parent(self.name(owner)), rest)]);
        }
        if let Some(rest) = strip_token(path, "@executable_path") {
            return match exe_dir {
                Some(dir) => Ok(vec![join(dir, rest)]),
                None => Err("@executable_path unknown: no scanned program loads this image".into()),
            };
        }
        if path.starts_with('/') {
            return Ok(self.scan.roots.iter().map(|r| join(r, path)).collect());
        }
        if path.starts_with('@') {
            return Err(format!("{path}: not a path dyld expands here"));
        }
        Err(format!(
            "{path}: relative to the process's working directory"
        ))
    }

    /// Where dyld finds `name`, loaded by `loader` (of `cpu`) with run-path stack `stack`.
    fn resolve(
        &self,
        loader: ImageRef,
        cpu: u32,
        exe_dir: Option<&str>,
        stack: &[Rpath<'_>],
        name: &str,
    ) -> Resolution {
        let mut tried = Vec::new();
        let mut unknown = Vec::new();
        if let Some(rest) = strip_token(name, "@rpath") {
            for rpath in stack {
                let origin = format!("{} (LC_RPATH of {})", rpath.path, self.name(rpath.owner));
                match self.expand(rpath.path, rpath.owner, exe_dir) {
                    Ok(dirs) => {
                        for dir in dirs {
                            let path = join(&dir, rest);
                            match self.candidate(&path, cpu) {
                                Candidate::Image(found) => {
                                    return Resolution {
                                        target: Target::Image(found),
                                        method: format!("@rpath = {origin}"),
                                    }
                                }
                                Candidate::WrongArch => {
                                    tried.push(format!("{path} (incompatible architecture)"))
                                }
                                Candidate::Missing => tried.push(format!("{path} (no such file)")),
                                Candidate::Outside => {
                                    unknown.push(format!("{path}: outside the scanned directories"))
                                }
                            }
                        }
                    }
                    Err(why) => unknown.push(format!("{origin}: {why}")),
                }
            }
            let whose = if exe_dir.is_some() {
                "the run-path stack of the load chain"
            } else {
                "the image's own LC_RPATHs (no scanned program loads it)"
            };
            if exe_dir.is_none() || !unknown.is_empty() {
                let mut why = format!("@rpath not found from {whose}");
                for u in unknown {
                    why.push_str("; ");
                    why.push_str(&u);
                }
                return Resolution {
                    target: Target::Unknown(why),
                    method: tried_text(&tried),
                };
            }
            return Resolution {
                target: Target::NotFound { tried },
                method: format!("@rpath, searched along {whose}"),
            };
        }
        let dirs = match self.expand(name, loader, exe_dir) {
            Ok(d) => d,
            Err(why) => {
                return Resolution {
                    target: Target::Unknown(why),
                    method: String::new(),
                }
            }
        };
        let how = if name.starts_with("@loader_path") {
            format!("@loader_path = {}", parent(self.name(loader)))
        } else if name.starts_with("@executable_path") {
            format!("@executable_path = {}", exe_dir.unwrap_or_default())
        } else {
            "absolute path, below the scanned directory".to_string()
        };
        let mut outside = false;
        for path in dirs {
            match self.candidate(&path, cpu) {
                Candidate::Image(found) => {
                    return Resolution {
                        target: Target::Image(found),
                        method: how,
                    }
                }
                Candidate::WrongArch => tried.push(format!("{path} (incompatible architecture)")),
                Candidate::Missing => tried.push(format!("{path} (no such file)")),
                Candidate::Outside => outside = true,
            }
        }
        if name.starts_with('/') {
            let target = if SYSTEM_PREFIXES.iter().any(|p| name.starts_with(p)) {
                Target::System
            } else {
                Target::Unknown(
                    "absolute path outside the scanned directory (not a system library)".into(),
                )
            };
            return Resolution {
                target,
                method: tried_text(&tried),
            };
        }
        if outside {
            return Resolution {
                target: Target::Unknown(format!("{how}: outside the scanned directories")),
                method: tried_text(&tried),
            };
        }
        Resolution {
            target: Target::NotFound { tried },
            method: how,
        }
    }
}

/// Resolves every dylib load command of every Mach-O file of a directory scan.
pub fn analyse(scan: &DirScan) -> Outcome {
    let resolver = Resolver::new(scan);
    let mut out = Outcome::default();
    let mut reached: BTreeSet<ImageRef> = BTreeSet::new();
    for (f, file) in scan.macho.iter().enumerate() {
        for (s, image) in file.images.iter().enumerate() {
            if image.is_program() {
                load_program(&resolver, (f, s), &mut reached, &mut out);
            }
        }
    }
    // Images no program loads: alone, with their own LC_RPATHs.
    for (f, file) in scan.macho.iter().enumerate() {
        for (s, image) in file.images.iter().enumerate() {
            if reached.contains(&(f, s)) {
                continue;
            }
            let stack: Vec<Rpath<'_>> = image
                .rpaths
                .iter()
                .map(|p| Rpath {
                    path: p,
                    owner: (f, s),
                })
                .collect();
            for (d, dylib) in image.dylibs.iter().enumerate() {
                let r = resolver.resolve((f, s), image.cpu, None, &stack, &dylib.name);
                out.resolutions.entry(((f, s), d)).or_default().insert(r);
            }
        }
    }
    out.findings.sort();
    out.findings.dedup();
    out
}

/// An image waiting for its dependencies: itself, its run-path stack (LC_RPATH, owner),
/// the load chain that reached it.
type Pending = (ImageRef, Vec<(String, ImageRef)>, Vec<ImageRef>);

/// Loads one program in simulation: breadth first, each image once, each with the run-path
/// stack (its own LC_RPATHs, then its loaders') of the chain that first reached it.
fn load_program(
    resolver: &Resolver<'_>,
    program: ImageRef,
    reached: &mut BTreeSet<ImageRef>,
    out: &mut Outcome,
) {
    let Some(main) = resolver.image(program) else {
        return;
    };
    let exe_dir = parent(resolver.name(program)).to_string();
    let own = |r: ImageRef, image: &'_ MachoImage| -> Vec<(String, ImageRef)> {
        image.rpaths.iter().map(|p| (p.clone(), r)).collect()
    };
    let mut loaded: BTreeSet<ImageRef> = BTreeSet::from([program]);
    let mut queue: VecDeque<Pending> =
        VecDeque::from([(program, own(program, main), vec![program])]);
    while let Some((at, stack, chain)) = queue.pop_front() {
        reached.insert(at);
        let Some(image) = resolver.image(at) else {
            continue;
        };
        let rpaths: Vec<Rpath<'_>> = stack
            .iter()
            .map(|(path, owner)| Rpath {
                path,
                owner: *owner,
            })
            .collect();
        for (d, dylib) in image.dylibs.iter().enumerate() {
            let r = resolver.resolve(at, main.cpu, Some(&exe_dir), &rpaths, &dylib.name);
            match &r.target {
                Target::Image(next) if loaded.len() < MAX_IMAGES && loaded.insert(*next) => {
                    if let Some(next_image) = resolver.image(*next) {
                        let mut next_stack = own(*next, next_image);
                        next_stack.extend(stack.iter().cloned());
                        let mut next_chain = chain.clone();
                        next_chain.push(*next);
                        queue.push_back((*next, next_stack, next_chain));
                    }
                }
                Target::NotFound { tried } if dylib.kind != DylibKind::Weak => {
                    out.findings.push(not_found(
                        resolver,
                        program,
                        &chain,
                        &dylib.name,
                        tried,
                        &rpaths,
                    ));
                }
                _ => {}
            }
            out.resolutions.entry((at, d)).or_default().insert(r);
        }
    }
}

fn not_found(
    resolver: &Resolver<'_>,
    program: ImageRef,
    chain: &[ImageRef],
    name: &str,
    tried: &[String],
    stack: &[Rpath<'_>],
) -> LoaderFinding {
    let requester = chain.last().copied().unwrap_or(program);
    let mut evidence = vec![format!(
        "needed by: {}",
        chain
            .iter()
            .map(|r| resolver.name(*r))
            .collect::<Vec<_>>()
            .join(" → ")
    )];
    if name.starts_with("@rpath") {
        evidence.push(format!(
            "run-path stack: {}",
            if stack.is_empty() {
                "(empty: no LC_RPATH in the load chain)".to_string()
            } else {
                stack
                    .iter()
                    .map(|r| format!("{} ({})", r.path, resolver.name(r.owner)))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ));
    }
    evidence.extend(tried.iter().map(|t| format!("tried: {t}")));
    let file = &resolver.scan.macho[program.0];
    LoaderFinding {
        rule: "library-not-found",
        severity: Severity::Error,
        file: file.name.clone(),
        file_id: file.id.clone(),
        message: format!(
            "Library not loaded: {name} (referenced from {})",
            resolver.name(requester)
        ),
        evidence,
    }
}

/// Runs as the directory scan's pass ([`crate::scan::Options::dir_pass`]): points each
/// dylib's DYNAMIC_LINK at the file dyld would load, records on each slice what every load
/// command resolved to and how, and adds the findings.
pub fn apply(scan: &DirScan, graph: &mut GraphBuilder) {
    let outcome = analyse(scan);
    let mut props: BTreeMap<String, Vec<(Option<String>, Property)>> = BTreeMap::new();
    for (((f, s), d), answers) in &outcome.resolutions {
        let Some(file) = scan.macho.get(*f) else {
            continue;
        };
        let Some(image) = file.images.get(*s) else {
            continue;
        };
        let Some(dylib) = image.dylibs.get(*d) else {
            continue;
        };
        let old = format!("native:{}", dylib.name);
        let weak = dylib.kind == DylibKind::Weak;
        for answer in answers {
            let result = match &answer.target {
                Target::Image((tf, ts)) => {
                    let to = &scan.macho[*tf];
                    if to.id != file.id {
                        graph.retarget(&file.id, RelationshipKind::DynamicLink, &old, &to.id);
                        graph.relate(&file.id, RelationshipKind::DynamicLink, &to.id);
                    }
                    match &to.images[*ts].label {
                        Some(label) => format!("{} [{label}]", to.name),
                        None => to.name.clone(),
                    }
                }
                Target::System => {
                    graph.add_component(dylib_component(
                        &old,
                        &dylib.name,
                        vec![
                            Property::new(STATUS_PROPERTY, "dyld-shared-cache"),
                            Property::new("assay:dyld:system", SYSTEM_LIBRARY),
                        ],
                        Vec::new(),
                    ));
                    SYSTEM_LIBRARY.to_string()
                }
                Target::NotFound { .. } => {
                    let id = format!("native-missing:{}", dylib.name);
                    graph.add_component(dylib_component(
                        &id,
                        &dylib.name,
                        vec![Property::new(STATUS_PROPERTY, "not-found")],
                        vec![file.name.clone()],
                    ));
                    graph.retarget(&file.id, RelationshipKind::DynamicLink, &old, &id);
                    if weak {
                        "not found (weak: dyld goes on without it)".to_string()
                    } else {
                        "not found".to_string()
                    }
                }
                Target::Unknown(why) => {
                    // A load path that depends on the loader (`@rpath`, `@executable_path`)
                    // must not be linked by install name to some same-named file: in a tree
                    // with several copies of a bundle that picks another copy's file.
                    if dylib.name.starts_with('@') {
                        graph.add_component(dylib_component(
                            &old,
                            &dylib.name,
                            vec![Property::new(STATUS_PROPERTY, "unresolved")],
                            Vec::new(),
                        ));
                    }
                    format!("unresolved: {why}")
                }
            };
            let label = image.label.clone();
            let entry = props.entry(file.id.clone()).or_default();
            entry.push((
                label.clone(),
                Property::new(format!("assay:dyld:{}", dylib.name), result),
            ));
            let method = match &answer.target {
                Target::NotFound { tried } if !tried.is_empty() => {
                    format!("{}; {}", answer.method, tried_text(tried))
                }
                _ => answer.method.clone(),
            };
            if !method.is_empty() {
                entry.push((
                    label,
                    Property::new(
                        format!("assay:dyld-method:{}", dylib.name),
                        format!("{} {method}", dylib.kind.command()),
                    ),
                ));
            }
        }
    }
    graph.slice_properties(props);
    for f in outcome.findings {
        graph.loader_finding(f);
    }
}

fn tried_text(tried: &[String]) -> String {
    if tried.is_empty() {
        String::new()
    } else {
        format!("tried {}", tried.join(", "))
    }
}

/// `rest` after `token` when `path` is `token` or `token/rest`.
fn strip_token<'p>(path: &'p str, token: &str) -> Option<&'p str> {
    let rest = path.strip_prefix(token)?;
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix('/')
    }
}

/// The directory part of a scan name (`./a/b` → `./a`; a bare name → `.`).
fn parent(name: &str) -> &str {
    match name.rfind('/') {
        Some(0) => "/",
        Some(i) => &name[..i],
        None => ".",
    }
}

fn join(dir: &str, rest: &str) -> String {
    let rest = rest.trim_start_matches('/');
    if rest.is_empty() {
        dir.to_string()
    } else if dir.ends_with('/') {
        format!("{dir}{rest}")
    } else {
        format!("{dir}/{rest}")
    }
}

/// Lexical normalisation: `.` components and `x/..` pairs go, a leading `./` and `/` stay;
/// `..` above the start stays (it names nothing scanned).
fn normalise(path: &str) -> String {
    let absolute = path.starts_with('/');
    let dot = path.starts_with("./") || path == ".";
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    let body = parts.join("/");
    if absolute {
        format!("/{body}")
    } else if dot {
        format!("./{body}")
    } else {
        body
    }
}

/// A dylib as a library component (`native:` / `native-missing:` id), no version or purl:
/// the load command names a path, nothing more.
fn dylib_component(
    id: &str,
    name: &str,
    properties: Vec<Property>,
    occurrences: Vec<String>,
) -> Component {
    Component {
        id: id.to_string(),
        kind: ComponentKind::NativeLibrary,
        name: name.to_string(),
        version: None,
        purl: String::new(),
        ancestors: Vec::new(),
        properties,
        occurrences,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_normalise_lexically() {
        assert_eq!(normalise("./a/b/../c/./d"), "./a/c/d");
        assert_eq!(normalise("./a/../../x"), "./../x");
        assert_eq!(normalise("/usr//lib/../lib/x"), "/usr/lib/x");
        assert_eq!(
            parent("./App.app/Contents/MacOS/app"),
            "./App.app/Contents/MacOS"
        );
        assert_eq!(parent("app"), ".");
        assert_eq!(
            strip_token("@rpath/libx.dylib", "@rpath"),
            Some("libx.dylib")
        );
        assert_eq!(strip_token("@rpathx/libx.dylib", "@rpath"), None);
        assert_eq!(join("./a", "../lib"), "./a/../lib");
    }
}
