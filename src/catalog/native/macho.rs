//! Mach-O specifics: the image's own install name (`LC_ID_DYLIB`), `LC_RPATH`, the dylib
//! load command kinds and the packed `xxxx.yy.zz` version numbers.

use object::macho;
use object::read::macho::{MachHeader, MachOFile};

use super::{Library, Linkage, SearchPath};

pub(super) fn read_commands(file: &object::File<'_>, out: &mut Linkage) {
    match file {
        object::File::MachO32(f) => walk(f, out),
        object::File::MachO64(f) => walk(f, out),
        _ => {}
    }
}

fn walk<Mach: MachHeader>(file: &MachOFile<'_, Mach>, out: &mut Linkage) {
    let endian = file.endian();
    let mut commands = match file.macho_load_commands() {
        Ok(c) => c,
        Err(e) => return out.problems.push(format!("load commands: {e}")),
    };
    loop {
        let command = match commands.next() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => {
                out.problems.push(format!("load commands: {e}"));
                break;
            }
        };
        match command.variant() {
            Ok(object::read::macho::LoadCommandVariant::IdDylib(dylib)) => {
                match command.string(endian, dylib.dylib.name) {
                    Ok(name) => {
                        out.id = Some(Library {
                            name: String::from_utf8_lossy(name).into_owned(),
                            kind: "id".into(),
                            version: Some(version_text(dylib.dylib.current_version.get(endian).0)),
                            compatibility_version: Some(version_text(
                                dylib.dylib.compatibility_version.get(endian).0,
                            )),
                        })
                    }
                    Err(e) => out.problems.push(format!("LC_ID_DYLIB: {e}")),
                }
            }
            Ok(object::read::macho::LoadCommandVariant::Rpath(rpath)) => {
                match command.string(endian, rpath.path) {
                    Ok(path) => out.search_paths.push(SearchPath {
                        kind: "rpath".into(),
                        path: String::from_utf8_lossy(path).into_owned(),
                    }),
                    Err(e) => out.problems.push(format!("LC_RPATH: {e}")),
                }
            }
            Ok(_) => {}
            Err(e) => out.problems.push(format!("load command: {e}")),
        }
    }
}

pub(super) fn dylib_kind(cmd: macho::LoadCommandType) -> &'static str {
    match cmd {
        macho::LC_LOAD_WEAK_DYLIB => "weak",
        macho::LC_REEXPORT_DYLIB => "reexport",
        macho::LC_LAZY_LOAD_DYLIB => "lazy",
        macho::LC_LOAD_UPWARD_DYLIB => "upward",
        _ => "load",
    }
}

/// `xxxx.yy.zz` packed in nibbles, printed the way `otool -L` does.
pub(super) fn version_text(v: u32) -> String {
    format!("{}.{}.{}", v >> 16, (v >> 8) & 0xff, v & 0xff)
}
