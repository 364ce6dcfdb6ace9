//! C signatures of exported functions from DWARF debug info.

use super::Linkage;

pub(super) fn annotate_signatures(_file: &object::File<'_>, _out: &mut Linkage) {}
