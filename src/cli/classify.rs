//! `assay classify FILE...`: the license classifier on its own (also what
//! `license-db/generate.py` runs to build the bundled license-db).

use clap::Args;

use super::exit;
use crate::license::classify::classify_text;

#[derive(Args)]
pub struct ClassifyArgs {
    /// License files to classify
    #[arg(required = true, value_name = "FILE")]
    files: Vec<std::path::PathBuf>,
    /// One JSON object per line: {path, expression, confidence, method, ambiguous}
    #[arg(long)]
    json: bool,
}

pub fn run(args: ClassifyArgs) -> u8 {
    let db = crate::license::db::bundled();
    let mut code = exit::OK;
    for path in &args.files {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                super::error(format!("{}: {e}", path.display()));
                code = exit::ERROR;
                continue;
            }
        };
        let c = classify_text(&String::from_utf8_lossy(&bytes), db);
        if args.json {
            let v = serde_json::json!({"path": path.display().to_string(), "expression": c.expression, "confidence": c.confidence, "method": c.method, "ambiguous": c.ambiguous});
            println!("{v}");
        } else {
            println!(
                "{}\t{}\t{:.3}\t{}{}",
                path.display(),
                c.expression.as_deref().unwrap_or("-"),
                c.confidence,
                c.method,
                if c.ambiguous { " (ambiguous)" } else { "" }
            );
        }
    }
    code
}
