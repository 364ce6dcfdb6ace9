//! What dyld reads from a Mach-O file to find its dylibs ([`MachoImage`]), per slice: the
//! CPU type (a fat slice loads the matching slice of each dylib), the file type (a program,
//! a dylib, a bundle), `LC_ID_DYLIB`, the `LC_RPATH`s in order, and the dylib load commands
//! in order. Names only: a directory scan keeps these for every Mach-O file until the dyld
//! model (src/loader/macho.rs) resolves them.

use object::macho;
use object::read::macho::{LoadCommandVariant, MachHeader, MachOFile};

/// Upper bound on load commands read from one image (hostile `ncmds`).
const MAX_COMMANDS: usize = 1 << 16;

/// One Mach-O image (a thin file, or one slice of a fat file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MachoImage {
    /// The fat slice label (`arm64`, `x86_64`); `None` for a thin file.
    pub label: Option<String>,
    /// `cputype` of the header: dyld only loads a dylib (slice) of the same CPU type.
    pub cpu: u32,
    /// `MH_EXECUTE`, `MH_DYLIB`, `MH_BUNDLE`, … (`filetype` of the header).
    pub filetype: u32,
    /// `LC_ID_DYLIB`, the install name.
    pub id: Option<String>,
    /// `LC_RPATH` paths, in load-command order.
    pub rpaths: Vec<String>,
    /// Dylib load commands, in load-command order.
    pub dylibs: Vec<DylibCommand>,
    /// Commands that could not be read; what was read is above.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DylibCommand {
    pub name: String,
    pub kind: DylibKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DylibKind {
    /// `LC_LOAD_DYLIB`
    Load,
    /// `LC_LOAD_WEAK_DYLIB`: a missing file is not an error.
    Weak,
    /// `LC_REEXPORT_DYLIB`
    Reexport,
    /// `LC_LAZY_LOAD_DYLIB`
    Lazy,
    /// `LC_LOAD_UPWARD_DYLIB`
    Upward,
}

impl DylibKind {
    pub fn command(self) -> &'static str {
        match self {
            DylibKind::Load => "LC_LOAD_DYLIB",
            DylibKind::Weak => "LC_LOAD_WEAK_DYLIB",
            DylibKind::Reexport => "LC_REEXPORT_DYLIB",
            DylibKind::Lazy => "LC_LAZY_LOAD_DYLIB",
            DylibKind::Upward => "LC_LOAD_UPWARD_DYLIB",
        }
    }
}

impl MachoImage {
    /// The main executable of a process (`MH_EXECUTE`).
    pub fn is_program(&self) -> bool {
        self.filetype == macho::MH_EXECUTE.0
    }
}

/// Reads every Mach-O image of a thin or fat file; empty for other formats. A slice that
/// does not parse is skipped (the native cataloger reports it).
pub fn read(data: &[u8]) -> Vec<MachoImage> {
    let head = &data[..crate::binary::MAGIC_LEN.min(data.len())];
    let Some(format) = crate::binary::detect(head) else {
        return Vec::new();
    };
    if !matches!(
        format,
        crate::binary::Format::MachO | crate::binary::Format::MachOFat
    ) {
        return Vec::new();
    }
    let (slices, _) = crate::binary::slices(format, data);
    let mut out = Vec::new();
    for slice in slices {
        let image = match object::File::parse(slice.data) {
            Ok(object::File::MachO32(f)) => read_image(&f),
            Ok(object::File::MachO64(f)) => read_image(&f),
            _ => continue,
        };
        out.push(MachoImage {
            label: slice.label,
            ..image
        });
    }
    out
}

fn read_image<Mach: MachHeader>(file: &MachOFile<'_, Mach>) -> MachoImage {
    let endian = file.endian();
    let header = file.macho_header();
    let mut out = MachoImage {
        cpu: header.cputype(endian).0,
        filetype: header.filetype(endian).0,
        ..MachoImage::default()
    };
    let mut commands = match file.macho_load_commands() {
        Ok(c) => c,
        Err(e) => {
            out.problems.push(format!("load commands: {e}"));
            return out;
        }
    };
    for _ in 0..MAX_COMMANDS {
        let command = match commands.next() {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(e) => {
                out.problems.push(format!("load commands: {e}"));
                break;
            }
        };
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        let kind = match command.cmd() {
            macho::LC_LOAD_DYLIB => Some(DylibKind::Load),
            macho::LC_LOAD_WEAK_DYLIB => Some(DylibKind::Weak),
            macho::LC_REEXPORT_DYLIB => Some(DylibKind::Reexport),
            macho::LC_LAZY_LOAD_DYLIB => Some(DylibKind::Lazy),
            macho::LC_LOAD_UPWARD_DYLIB => Some(DylibKind::Upward),
            _ => None,
        };
        match command.variant() {
            Ok(LoadCommandVariant::Dylib(d)) => {
                match (kind, command.string(endian, d.dylib.name)) {
                    (Some(kind), Ok(name)) => out.dylibs.push(DylibCommand {
                        name: text(name),
                        kind,
                    }),
                    (None, _) => {}
                    (Some(kind), Err(e)) => out.problems.push(format!("{}: {e}", kind.command())),
                }
            }
            Ok(LoadCommandVariant::IdDylib(d)) => match command.string(endian, d.dylib.name) {
                Ok(name) => out.id = Some(text(name)),
                Err(e) => out.problems.push(format!("LC_ID_DYLIB: {e}")),
            },
            Ok(LoadCommandVariant::Rpath(r)) => match command.string(endian, r.path) {
                Ok(path) => out.rpaths.push(text(path)),
                Err(e) => out.problems.push(format!("LC_RPATH: {e}")),
            },
            Ok(_) => {}
            Err(e) => out.problems.push(format!("load command: {e}")),
        }
    }
    out
}
