//! The NTIA minimum elements and CISA 2024 baseline attributes that the catalogers do not
//! record as such: the SBOM root's name and version, component suppliers, source-code
//! (VCS) locations and CPEs. Each is either read from what the artifact or the user states
//! or derived by a stated rule, and comes with its method (`assay:…-method`), so a consumer
//! can tell a recorded fact from a derivation. When no rule applies the value stays absent
//! and the writers state it as unknown the way their format allows (SPDX `NOASSERTION`).
//!
//! The rules are documented in docs/formats.md; they only ever name what is certain (a
//! GitHub module path names its repository and owner; a vanity path such as `go.example.org`
//! does not, so it gets nothing).

use crate::model::{Component, ComponentKind, Document};

/// Who supplies a component, and how assay knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supplier {
    pub name: String,
    /// `NAME <EMAIL>` style contact when the record has one.
    pub email: Option<String>,
    /// `assay:supplier-method` value.
    pub method: &'static str,
}

impl Supplier {
    fn org(name: impl Into<String>, method: &'static str) -> Supplier {
        Supplier {
            name: name.into(),
            email: None,
            method,
        }
    }

    /// SPDX 2.3 `supplier`: `Organization: NAME (EMAIL)`. Forge owners, Debian maintainer
    /// teams and projects are not known to be persons, so every supplier is an organization.
    pub fn spdx(&self) -> String {
        match &self.email {
            Some(e) => format!("Organization: {} ({e})", self.name),
            None => format!("Organization: {}", self.name),
        }
    }
}

/// A value with the method that produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    pub value: String,
    pub method: &'static str,
}

/// The SBOM root's name: `--source-name`, else the subject as the user named it.
pub fn root_name(doc: &Document) -> String {
    doc.sbom
        .source_name
        .clone()
        .unwrap_or_else(|| doc.subject.name.clone())
}

/// The SBOM root's version: `--source-version`; an image's digest; the version of the one
/// program a single-file scan holds (Go main module, Rust root crate). `None`: unknown.
pub fn root_version(doc: &Document) -> Option<Derived> {
    if let Some(v) = &doc.sbom.source_version {
        return Some(Derived {
            value: v.clone(),
            method: "source-version-option",
        });
    }
    if let Some(image) = &doc.subject.image {
        return image.digest.as_ref().map(|d| Derived {
            value: d.clone(),
            method: "image-digest",
        });
    }
    let program = sole_program(doc)?;
    Some(Derived {
        value: component_version(program)?.value.to_string(),
        method: match program.kind {
            ComponentKind::GoMainModule => "go-main-module-version",
            ComponentKind::RustRootCrate => "rust-root-crate-version",
            _ => "package-note-version",
        },
    })
}

/// A version and, when it is not the component's own, how it was found.
pub struct ComponentVersion<'a> {
    pub value: &'a str,
    pub method: Option<&'static str>,
}

/// A component's version for the SBOM: its own, else the string the Go build info records
/// for it (`(devel)` for a main module built from a checkout); `None`: unknown.
pub fn component_version(c: &Component) -> Option<ComponentVersion<'_>> {
    if let Some(v) = &c.version {
        return Some(ComponentVersion {
            value: v,
            method: None,
        });
    }
    property(c, "assay:go:recorded-version")
        .filter(|v| !v.is_empty())
        .map(|v| ComponentVersion {
            value: v,
            method: Some("go-buildinfo-recorded"),
        })
}

/// The SBOM root's supplier: `--supplier`; an image's `org.opencontainers.image.vendor`
/// label; the supplier of the one program a single-file scan holds.
pub fn root_supplier(doc: &Document) -> Option<Supplier> {
    if let Some(s) = &doc.sbom.supplier {
        return Some(Supplier::org(s, "supplier-option"));
    }
    if let Some(image) = &doc.subject.image {
        return image
            .platforms
            .iter()
            .find_map(|p| p.labels.get("org.opencontainers.image.vendor"))
            .map(|v| Supplier::org(v, "image-label-vendor"));
    }
    sole_program(doc).and_then(|c| supplier(doc, c))
}

/// The program of a scan of exactly one file, when the file names one.
fn sole_program(doc: &Document) -> Option<&Component> {
    let [file] = doc.files.as_slice() else {
        return None;
    };
    let mut programs = doc
        .components
        .iter()
        .filter(|c| c.kind.is_application() && c.occurrences.contains(&file.name));
    let one = programs.next()?;
    programs.next().is_none().then_some(one)
}

fn property<'a>(c: &'a Component, name: &str) -> Option<&'a str> {
    c.properties
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.value.as_str())
}

/// A component's supplier, from its record or its identity; `None` when nothing says.
pub fn supplier(doc: &Document, c: &Component) -> Option<Supplier> {
    match c.kind {
        ComponentKind::GoModule | ComponentKind::GoMainModule => go_module_supplier(doc, c),
        ComponentKind::GoStdlib => Some(Supplier::org("The Go Authors", "go-stdlib")),
        ComponentKind::RustStdlib => Some(Supplier::org(
            "The Rust Project Developers",
            "rust-toolchain-component",
        )),
        ComponentKind::DebPackage
        | ComponentKind::ApkPackage
        | ComponentKind::XbpsPackage
        | ComponentKind::RpmPackage => {
            let m = property(c, "assay:package:maintainer")?;
            let (name, email) = split_contact(m);
            Some(Supplier {
                name,
                email,
                method: "os-package-maintainer",
            })
        }
        // The distribution that built the package the note names.
        ComponentKind::OsPackage => property(c, "assay:package:os")
            .map(|os| Supplier::org(os, "elf-package-note-os"))
            .or_else(|| {
                purl_namespace(&c.purl).map(|ns| Supplier::org(ns, "elf-package-note-purl"))
            }),
        ComponentKind::Compiler => {
            let project = match c.name.as_str() {
                "gcc" | "gas" => "GNU Project",
                "clang" => "LLVM Project",
                _ => return None,
            };
            Some(Supplier::org(project, "compiler-project"))
        }
        ComponentKind::StaticLibrary => {
            known_library(&c.name).map(|l| Supplier::org(l.project, "recognised-library-project"))
        }
        // The distribution supplies its operating system: os-release's NAME.
        ComponentKind::OperatingSystem => {
            property(c, "assay:os:name").map(|n| Supplier::org(n, "os-release-name"))
        }
        ComponentKind::RustCrate
        | ComponentKind::RustRootCrate
        | ComponentKind::NativeLibrary
        | ComponentKind::ContainerImage => None,
    }
}

/// `pkg:deb/debian/systemd@…` → `debian`.
fn purl_namespace(purl: &str) -> Option<&str> {
    let rest = purl.strip_prefix("pkg:")?;
    let mut segs = rest.split('/');
    let _type = segs.next()?;
    let ns = segs.next()?;
    segs.next()?; // a name follows: the segment was a namespace
    Some(ns).filter(|n| !n.is_empty() && !n.contains(['@', '?', '#']))
}

/// `Name <mail@x>` → (`Name`, `mail@x`).
pub fn split_contact(s: &str) -> (String, Option<String>) {
    match (s.find('<'), s.rfind('>')) {
        (Some(open), Some(close)) if open < close => {
            let email = s[open + 1..close].trim();
            (
                s[..open].trim().to_string(),
                Some(email.to_string()).filter(|e| !e.is_empty()),
            )
        }
        _ => (s.trim().to_string(), None),
    }
}

fn go_module_supplier(doc: &Document, c: &Component) -> Option<Supplier> {
    if let Some(owner) = go_forge(&c.name).map(|f| f.owner) {
        return Some(Supplier::org(owner, "go-module-path-owner"));
    }
    // A directory inside the main module's tree is the main module's own code.
    if property(c, "assay:go:replaced-by-directory").is_some_and(|d| d.starts_with("./")) {
        let main = doc.components.iter().find(|m| {
            m.kind == ComponentKind::GoMainModule
                && m.occurrences.iter().any(|o| c.occurrences.contains(o))
        })?;
        let s = go_module_supplier(doc, main)?;
        return Some(Supplier {
            method: "go-directory-replacement-in-main-module",
            ..s
        });
    }
    // The main module is the subject's own code: whoever supplies the subject.
    if c.kind == ComponentKind::GoMainModule {
        if let Some(s) = &doc.sbom.supplier {
            return Some(Supplier::org(s, "supplier-option"));
        }
    }
    None
}

/// What a Go module path says for certain about where its code lives.
#[derive(Debug, PartialEq, Eq)]
pub struct GoForge {
    /// The forge account owning the repository (may be a person or an organization).
    pub owner: String,
    /// The repository, when the path determines it.
    pub repository: Option<String>,
}

/// Forge owner and repository of a module path: `github.com/OWNER/REPO/...` and the
/// like, `golang.org/x/NAME` (go.googlesource.com, the Go project's), `gopkg.in` (its
/// documented mapping to GitHub). Other vanity paths say nothing certain.
pub fn go_forge(path: &str) -> Option<GoForge> {
    let segs: Vec<&str> = path.split('/').collect();
    let valid = |s: &&str| !s.is_empty() && *s != "." && *s != "..";
    match segs.as_slice() {
        [host @ ("github.com" | "bitbucket.org"), owner, repo, ..]
            if valid(owner) && valid(repo) =>
        {
            Some(GoForge {
                owner: owner.to_string(),
                repository: Some(format!("https://{host}/{owner}/{repo}")),
            })
        }
        // GitLab groups nest: the owner is certain, the repository is not.
        ["gitlab.com", owner, _, ..] if valid(owner) => Some(GoForge {
            owner: owner.to_string(),
            repository: None,
        }),
        ["golang.org", "x", name, ..] if valid(name) => Some(GoForge {
            owner: "golang".into(),
            repository: Some(format!("https://go.googlesource.com/{name}")),
        }),
        // gopkg.in/USER/PKG.vN → github.com/USER/PKG; gopkg.in/PKG.vN → github.com/go-PKG/PKG.
        ["gopkg.in", user, pkg, ..] if valid(user) && gopkg_name(pkg).is_some() => {
            let name = gopkg_name(pkg)?;
            Some(GoForge {
                owner: user.to_string(),
                repository: Some(format!("https://github.com/{user}/{name}")),
            })
        }
        ["gopkg.in", pkg, ..] => {
            let name = gopkg_name(pkg)?;
            Some(GoForge {
                owner: format!("go-{name}"),
                repository: Some(format!("https://github.com/go-{name}/{name}")),
            })
        }
        _ => None,
    }
}

/// `yaml.v3` → `yaml`.
fn gopkg_name(seg: &str) -> Option<&str> {
    let (name, major) = seg.rsplit_once(".v")?;
    (!name.is_empty() && !major.is_empty() && major.chars().all(|c| c.is_ascii_digit()))
        .then_some(name)
}

/// The source repository of a component, when its identity determines it.
pub fn vcs_url(c: &Component) -> Option<String> {
    match c.kind {
        ComponentKind::GoModule | ComponentKind::GoMainModule => {
            // A directory replacement's code is not in the module's repository.
            if c.properties
                .iter()
                .any(|p| p.name == "assay:go:replaced-by-directory")
            {
                return None;
            }
            go_forge(&c.name)?.repository
        }
        _ => None,
    }
}

/// A C library assay recognises, with its NVD CPE vendor/product.
struct KnownLibrary {
    name: &'static str,
    project: &'static str,
    vendor: &'static str,
    product: &'static str,
}

const KNOWN_LIBRARIES: &[KnownLibrary] = &[
    KnownLibrary {
        name: "zlib",
        project: "zlib",
        vendor: "zlib",
        product: "zlib",
    },
    KnownLibrary {
        name: "openssl",
        project: "OpenSSL Project",
        vendor: "openssl",
        product: "openssl",
    },
    KnownLibrary {
        name: "curl",
        project: "curl",
        vendor: "haxx",
        product: "libcurl",
    },
    KnownLibrary {
        name: "sqlite",
        project: "SQLite",
        vendor: "sqlite",
        product: "sqlite",
    },
    KnownLibrary {
        name: "node",
        project: "Node.js",
        vendor: "nodejs",
        product: "node.js",
    },
    KnownLibrary {
        name: "python",
        project: "Python Software Foundation",
        vendor: "python",
        product: "python",
    },
];

fn known_library(name: &str) -> Option<&'static KnownLibrary> {
    KNOWN_LIBRARIES.iter().find(|l| l.name == name)
}

/// A CPE 2.3 name, only for components whose vendor and product are known: the C libraries
/// the classifier recognises. Never for modules or crates (no CPE dictionary maps them).
pub fn cpe(c: &Component) -> Option<String> {
    // A CPE the artifact records (os-release `CPE_NAME` on the operating system) comes first.
    if let Some(recorded) = super::cpe_of(c) {
        return Some(recorded.to_string());
    }
    if c.kind != ComponentKind::StaticLibrary {
        return None;
    }
    let lib = known_library(&c.name)?;
    let version = cpe_escape(c.version.as_deref()?);
    Some(format!(
        "cpe:2.3:a:{}:{}:{version}:*:*:*:*:*:*:*",
        lib.vendor, lib.product
    ))
}

/// CPE 2.3 formatted-string quoting: letters, digits, `_`, `-` and `.` stay; others escaped.
fn cpe_escape(s: &str) -> String {
    let mut out = String::new();
    for ch in s.chars() {
        if !(ch.is_ascii_alphanumeric() || matches!(ch, '_' | '-' | '.')) {
            out.push('\\');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forge_owner_and_repository_only_when_certain() {
        let f = go_forge("github.com/google/uuid").unwrap();
        assert_eq!(f.owner, "google");
        assert_eq!(
            f.repository.as_deref(),
            Some("https://github.com/google/uuid")
        );
        let f = go_forge("github.com/x/y/v2/sub").unwrap();
        assert_eq!(f.repository.as_deref(), Some("https://github.com/x/y"));
        let f = go_forge("golang.org/x/text").unwrap();
        assert_eq!(
            f.repository.as_deref(),
            Some("https://go.googlesource.com/text")
        );
        let f = go_forge("gopkg.in/yaml.v3").unwrap();
        assert_eq!(f.owner, "go-yaml");
        assert_eq!(
            f.repository.as_deref(),
            Some("https://github.com/go-yaml/yaml")
        );
        let f = go_forge("gopkg.in/alecthomas/kingpin.v2").unwrap();
        assert_eq!(
            f.repository.as_deref(),
            Some("https://github.com/alecthomas/kingpin")
        );
        assert_eq!(go_forge("gitlab.com/a/b/c").unwrap().repository, None);
        assert_eq!(go_forge("go.uber.org/zap"), None);
        assert_eq!(go_forge("github.com/onlyowner"), None);
        assert_eq!(go_forge("example.com/x"), None);
    }

    #[test]
    fn contacts_and_cpes() {
        assert_eq!(
            split_contact("Debian GNU C Library Maintainers <debian-glibc@lists.debian.org>"),
            (
                "Debian GNU C Library Maintainers".to_string(),
                Some("debian-glibc@lists.debian.org".to_string())
            )
        );
        assert_eq!(
            split_contact("Natanael Copa"),
            ("Natanael Copa".into(), None)
        );
        assert_eq!(cpe_escape("1.1.1w"), "1.1.1w");
        assert_eq!(cpe_escape("3.0.0+x"), "3.0.0\\+x");
    }
}
