//! Architecture and operating-system names, in Go's vocabulary (`amd64`, `arm64`, `386`…)
//! because that is what Go build settings, purl qualifiers and users already speak.

use object::{Architecture, Endianness, Object};

use crate::model::file::Platform;

/// Names an architecture; `endian` disambiguates the families that come in both orders.
pub fn architecture_name(arch: Architecture, endian: Option<Endianness>) -> Option<&'static str> {
    let big = endian == Some(Endianness::Big);
    Some(match arch {
        Architecture::X86_64 => "amd64",
        Architecture::X86_64_X32 => "amd64p32",
        Architecture::I386 => "386",
        Architecture::Aarch64 => "arm64",
        Architecture::Aarch64_Ilp32 => "arm64_32",
        Architecture::Arm => "arm",
        Architecture::PowerPc64 if big => "ppc64",
        Architecture::PowerPc64 => "ppc64le",
        Architecture::PowerPc => "ppc",
        Architecture::Mips if big => "mips",
        Architecture::Mips => "mipsle",
        Architecture::Mips64 if big => "mips64",
        Architecture::Mips64 => "mips64le",
        Architecture::Riscv64 => "riscv64",
        Architecture::Riscv32 => "riscv32",
        Architecture::LoongArch64 => "loong64",
        Architecture::S390x => "s390x",
        Architecture::Sparc64 => "sparc64",
        Architecture::Wasm32 => "wasm",
        _ => return None,
    })
}

/// Describes the platform of one parsed object image.
pub fn describe(file: &object::File<'_>) -> Platform {
    let endian = file.endianness();
    let arch = architecture_name(file.architecture(), Some(endian))
        .map(str::to_string)
        .unwrap_or_else(|| format!("{:?}", file.architecture()).to_ascii_lowercase());
    let os = match file {
        object::File::MachO32(_) | object::File::MachO64(_) => Some("darwin"),
        object::File::Pe32(_) | object::File::Pe64(_) => Some("windows"),
        object::File::Elf32(_) | object::File::Elf64(_) => elf_os(file),
        _ => None,
    };
    Platform {
        arch,
        os: os.map(str::to_string),
        bits: if file.is_64() { 64 } else { 32 },
        endian: if endian == Endianness::Big {
            "big"
        } else {
            "little"
        },
    }
}

/// ELF rarely states its OS: use the OS/ABI byte when set, else the program interpreter.
fn elf_os(file: &object::File<'_>) -> Option<&'static str> {
    let osabi = match file {
        object::File::Elf32(f) => f.elf_header().e_ident.os_abi,
        object::File::Elf64(f) => f.elf_header().e_ident.os_abi,
        _ => return None,
    };
    match osabi {
        object::elf::ELFOSABI_LINUX => return Some("linux"),
        object::elf::ELFOSABI_FREEBSD => return Some("freebsd"),
        object::elf::ELFOSABI_NETBSD => return Some("netbsd"),
        object::elf::ELFOSABI_OPENBSD => return Some("openbsd"),
        object::elf::ELFOSABI_SOLARIS => return Some("solaris"),
        _ => {}
    }
    let interp = super::elf_interpreter(file)?;
    if interp.contains("ld-linux") || interp.contains("ld-musl") || interp.contains("ld64.so") {
        Some("linux")
    } else if interp.contains("/libexec/ld-elf") {
        Some("freebsd")
    } else {
        None
    }
}
