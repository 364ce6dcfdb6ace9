//! The crate's layering (docs/architecture.md): no import circle between the top-level modules
//! of `src/`, the model imports nothing else in the crate, and no module imports a layer above
//! its own. Read from the sources, as a newcomer's import map would be.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Layer of each top-level module, bottom first; a module may use only lower or equal layers.
const LAYERS: &[(&str, u8)] = &[
    ("model", 0),
    ("hash", 1),
    ("purl", 1),
    ("json", 1),
    ("timestamp", 1),
    ("source", 2),
    ("binary", 2),
    ("upx", 2),
    ("catalog", 3),
    ("scan", 4),
    ("image", 4),
    ("license", 5),
    ("check", 6),
    ("diff", 6),
    ("plugin", 6),
    ("abi", 6),
    ("loader", 5),
    ("cache", 1),
    ("spill", 1),
    ("sbom", 7),
    ("report", 7),
    ("attribution", 7),
    ("output", 8),
    ("cli", 9),
];

fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in walk(&src) {
        let rel = entry.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let top = first.trim_end_matches(".rs").to_string();
        if top == "lib" || top == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&entry).unwrap();
        // Unit tests may reach anywhere; only the code proper is layered.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        let set = out.entry(top.clone()).or_default();
        for (i, _) in code.match_indices("crate::") {
            let name: String = code[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != top {
                set.insert(name);
            }
        }
    }
    let known: BTreeSet<String> = out.keys().cloned().collect();
    for deps in out.values_mut() {
        deps.retain(|d| known.contains(d));
    }
    out
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            files.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            files.push(p);
        }
    }
    files
}

#[test]
fn the_model_imports_nothing_else_in_the_crate() {
    let map = imports();
    assert_eq!(
        map.get("model"),
        Some(&BTreeSet::new()),
        "model imports {:?}",
        map.get("model")
    );
}

#[test]
fn no_module_imports_a_higher_layer() {
    let layer: BTreeMap<&str, u8> = LAYERS.iter().copied().collect();
    let map = imports();
    let mut wrong = Vec::new();
    for (m, deps) in &map {
        let Some(&own) = layer.get(m.as_str()) else {
            wrong.push(format!(
                "{m}: not placed in a layer (add it to LAYERS and docs/architecture.md)"
            ));
            continue;
        };
        for d in deps {
            if layer.get(d.as_str()).is_some_and(|&l| l > own) {
                wrong.push(format!(
                    "{m} (layer {own}) imports {d} (layer {})",
                    layer[d.as_str()]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_import_circle_between_top_level_modules() {
    let map = imports();
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(m) = stack.pop() {
            for d in map.get(&m).into_iter().flatten() {
                if seen.insert(d.clone()) {
                    stack.push(d.clone());
                }
            }
        }
        seen
    };
    let circles: Vec<&String> = map.keys().filter(|m| reach(m).contains(*m)).collect();
    assert!(
        circles.is_empty(),
        "modules in an import circle: {circles:?}"
    );
}
