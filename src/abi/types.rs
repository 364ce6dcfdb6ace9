//! The ABI type model: what a caller of an exported function or variable depends on, read
//! from DWARF with gimli.
//!
//! Named types (base types, struct/class/union, enums, typedefs) live once in a
//! [`TypeTable`] under a key such as `struct config` or `typedef uint64_t`; everything
//! else (pointers, qualifiers, arrays, function types, anonymous aggregates) is an inline
//! [`TypeRef`] tree that ends at those keys. Matching types of two builds by key is what
//! lets the diff report a change once, at the type that changed.
//!
//! DWARF is untrusted: recursion depth, children per entry, units and type count are
//! bounded, and anything that cannot be followed becomes [`TypeRef::Unknown`] plus a
//! "partial types" note, never a panic or a hang.

use std::collections::{BTreeMap, HashMap, HashSet};

use gimli::{
    AttributeValue, DebuggingInformationEntry, EndianSlice, RunTimeEndian, Unit, UnitOffset,
};
use serde::{Deserialize, Serialize};

type R<'a> = EndianSlice<'a, RunTimeEndian>;
type Die<'a> = DebuggingInformationEntry<R<'a>>;

/// Inline nesting followed (pointer to const pointer to array of …).
const MAX_DEPTH: usize = 48;
/// Children read per entry (members, parameters, enumerators).
const MAX_CHILDREN: usize = 8192;
/// Named types kept per image.
const MAX_TYPES: usize = 500_000;
/// Compilation units read per image.
const MAX_UNITS: usize = 200_000;
/// Entries resolved per image (bounds the work of a hostile, fanned-out graph).
const MAX_WORK: usize = 20_000_000;

/// Named types by key.
pub type TypeTable = BTreeMap<String, TypeDef>;

/// A reference to a type, as a use site sees it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum TypeRef {
    Void,
    /// A named type: key into the [`TypeTable`].
    Named {
        key: String,
    },
    /// `*`, `&`, `&&`, or `ptr-to-member`.
    Pointer {
        sigil: String,
        to: Box<TypeRef>,
    },
    /// `const`, `volatile`, `restrict`, `_Atomic`.
    Qualified {
        qualifier: String,
        of: Box<TypeRef>,
    },
    /// Element type and dimensions (`None`: unknown bound, `int[]`).
    Array {
        of: Box<TypeRef>,
        dims: Vec<Option<u64>>,
    },
    Function(Box<FunctionType>),
    /// An anonymous struct/union/enum, described where it is used.
    Anonymous {
        def: Box<TypeDef>,
    },
    /// What could not be followed, and why.
    Unknown {
        why: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FunctionType {
    #[serde(rename = "return")]
    pub ret: TypeRef,
    pub params: Vec<TypeRef>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub variadic: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TypeDef {
    /// `base`, `struct`, `class`, `union`, `enum`, `typedef`, `unspecified`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Bytes (DW_AT_byte_size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Only declared (`struct config;`): an opaque type, members unknown.
    #[serde(default, skip_serializing_if = "is_false")]
    pub declaration: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Member>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bases: Vec<BaseClass>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub virtuals: Vec<VirtualFunction>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enumerators: Vec<Enumerator>,
    /// Typedef target; enum underlying type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<TypeRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Member {
    /// `None` for an anonymous struct/union member.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub ty: TypeRef,
    /// Offset from the start of the aggregate, in bits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_bits: Option<u64>,
    /// Bitfield width.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bit_size: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BaseClass {
    #[serde(rename = "type")]
    pub ty: TypeRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_bits: Option<u64>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub virtual_base: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VirtualFunction {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linkage_name: Option<String>,
    /// Vtable slot (DW_AT_vtable_elem_location).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Enumerator {
    pub name: String,
    pub value: i64,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The ABI types of one image: each exported symbol's type, and the named types they reach.
#[derive(Debug, Default)]
pub struct ImageTypes {
    /// By DWARF name (linkage name when present): functions as [`TypeRef::Function`].
    pub by_name: BTreeMap<String, TypeRef>,
    /// Function entry address → name in `by_name` (aliases, `.symver` names).
    pub by_address: BTreeMap<u64, String>,
    pub table: TypeTable,
    /// Set when a bound was hit or part of the DWARF could not be read.
    pub partial: Vec<String>,
}

/// Reads the type graph of every external function and variable in `dwarf`.
pub fn read(dwarf: &gimli::Dwarf<R<'_>>) -> ImageTypes {
    let mut out = ImageTypes::default();
    let mut work = 0usize;
    let mut units = dwarf.units();
    let mut count = 0usize;
    loop {
        let header = match units.next() {
            Ok(Some(h)) => h,
            Ok(None) => break,
            Err(e) => {
                out.partial.push(format!("unit headers unreadable: {e}"));
                break;
            }
        };
        count += 1;
        if count > MAX_UNITS {
            out.partial
                .push(format!("more than {MAX_UNITS} compilation units"));
            break;
        }
        let unit = match dwarf.unit(header) {
            Ok(u) => u,
            Err(e) => {
                out.partial
                    .push(format!("compilation unit unreadable: {e}"));
                continue;
            }
        };
        let mut reader = UnitReader {
            dwarf,
            unit: &unit,
            scopes: HashMap::new(),
            resolving: HashSet::new(),
            memo: HashMap::new(),
            out: &mut out,
            work: &mut work,
        };
        if let Err(e) = reader.walk() {
            reader.note(format!("compilation unit partly unreadable: {e}"));
        }
    }
    out.partial.sort();
    out.partial.dedup();
    out
}

struct UnitReader<'u, 'a> {
    dwarf: &'u gimli::Dwarf<R<'a>>,
    unit: &'u Unit<R<'a>>,
    /// Enclosing namespace/class names of named types (`ns::Outer::`).
    scopes: HashMap<UnitOffset, String>,
    /// Named types being built (a cycle through them ends at their key).
    resolving: HashSet<UnitOffset>,
    memo: HashMap<UnitOffset, TypeRef>,
    out: &'u mut ImageTypes,
    work: &'u mut usize,
}

impl<'a> UnitReader<'_, 'a> {
    fn note(&mut self, text: String) {
        if self.out.partial.len() < 64 {
            self.out.partial.push(text);
        }
    }

    /// One pass over the unit: scopes of named types, then each external symbol's type.
    fn walk(&mut self) -> gimli::Result<()> {
        let mut stack: Vec<(isize, String)> = Vec::new();
        let mut symbols: Vec<UnitOffset> = Vec::new();
        let mut cursor = self.unit.entries();
        while let Some(entry) = cursor.next_dfs()? {
            let depth = entry.depth();
            while stack.last().is_some_and(|(d, _)| *d >= depth) {
                stack.pop();
            }
            let tag = entry.tag();
            let scope: String = stack.iter().map(|(_, n)| format!("{n}::")).collect();
            let name = self.string(entry, gimli::DW_AT_name);
            match tag {
                gimli::DW_TAG_namespace
                | gimli::DW_TAG_structure_type
                | gimli::DW_TAG_class_type
                | gimli::DW_TAG_union_type
                | gimli::DW_TAG_enumeration_type
                | gimli::DW_TAG_typedef => {
                    if !scope.is_empty() {
                        self.scopes.insert(entry.offset(), scope.clone());
                    }
                    if tag != gimli::DW_TAG_typedef && tag != gimli::DW_TAG_enumeration_type {
                        let n = name
                            .clone()
                            .unwrap_or_else(|| "(anonymous namespace)".into());
                        stack.push((depth, n));
                    }
                }
                gimli::DW_TAG_subprogram | gimli::DW_TAG_variable => {
                    // Locals live inside subprograms; only file/namespace-level definitions
                    // (and out-of-line member definitions) can be exported.
                    if !entry_flag(entry, gimli::DW_AT_declaration) {
                        symbols.push(entry.offset());
                    }
                    stack.push((depth, "(function)".into()));
                }
                _ => {}
            }
        }
        for offset in symbols {
            self.symbol(offset);
        }
        Ok(())
    }

    fn symbol(&mut self, offset: UnitOffset) {
        let Ok(entry) = self.unit.entry(offset) else {
            return;
        };
        // A definition may point at its declaration (member functions, static members), a
        // concrete instance at its abstract one (constructors, destructors, inlines), which
        // points at the declaration in turn: follow a few links.
        let mut chain = vec![entry];
        while chain.len() < 4 {
            let last = &chain[chain.len() - 1];
            let next = [gimli::DW_AT_specification, gimli::DW_AT_abstract_origin]
                .into_iter()
                .find_map(|at| {
                    let target = self.same_unit_ref(last.attr_value(at)?)?;
                    self.unit.entry(target).ok()
                });
            match next {
                Some(e) => chain.push(e),
                None => break,
            }
        }
        if !chain.iter().any(|e| entry_flag(e, gimli::DW_AT_external)) {
            return;
        }
        let name = [
            gimli::DW_AT_linkage_name,
            gimli::DW_AT_MIPS_linkage_name,
            gimli::DW_AT_name,
        ]
        .into_iter()
        .find_map(|at| chain.iter().find_map(|e| self.string(e, at)));
        let Some(name) = name else {
            return;
        };
        if self.out.by_name.contains_key(&name) {
            return;
        }
        let typed = chain
            .iter()
            .find(|e| e.attr_value(gimli::DW_AT_type).is_some())
            .unwrap_or(&chain[0])
            .clone();
        let ty = if chain[0].tag() == gimli::DW_TAG_subprogram {
            // Parameters with types: on the definition, or on the abstract instance or
            // declaration a concrete instance refers to.
            let with_params = chain.iter().position(|e| {
                self.children(e).iter().any(|c| {
                    c.tag() == gimli::DW_TAG_formal_parameter
                        && c.attr_value(gimli::DW_AT_type).is_some()
                })
            });
            let params_from = chain[with_params.unwrap_or(0)].clone();
            let mut f = self.function(&params_from, 0);
            f.ret = self.type_attr(&typed, 0);
            if let Some(AttributeValue::Addr(address)) = chain[0].attr_value(gimli::DW_AT_low_pc) {
                self.out
                    .by_address
                    .entry(address)
                    .or_insert_with(|| name.clone());
            }
            TypeRef::Function(Box::new(f))
        } else {
            self.type_attr(&typed, 0)
        };
        self.out.by_name.insert(name, ty);
    }

    /// A reference into this unit: `DW_FORM_ref*`, or a `DW_FORM_ref_addr` that lands in it
    /// (dsymutil writes those).
    fn same_unit_ref(&self, value: AttributeValue<R<'a>>) -> Option<UnitOffset> {
        match value {
            AttributeValue::UnitRef(o) => Some(o),
            AttributeValue::DebugInfoRef(o) => o.to_unit_offset(&self.unit.header),
            _ => None,
        }
    }

    fn string(&self, entry: &Die<'a>, at: gimli::DwAt) -> Option<String> {
        let value = entry.attr_value(at)?;
        let s = self.dwarf.attr_string(self.unit, value).ok()?;
        Some(String::from_utf8_lossy(s.slice()).into_owned())
    }

    /// Direct children, bounded.
    fn children(&mut self, entry: &Die<'a>) -> Vec<Die<'a>> {
        let mut out = Vec::new();
        if !entry.has_children() {
            return out;
        }
        let Ok(mut cursor) = self.unit.entries_at_offset(entry.offset()) else {
            return out;
        };
        let Ok(Some(first)) = cursor.next_dfs() else {
            return out;
        };
        let base = first.depth();
        loop {
            match cursor.next_dfs() {
                Ok(Some(e)) => {
                    if e.depth() <= base {
                        break;
                    }
                    if e.depth() == base + 1 {
                        if out.len() >= MAX_CHILDREN {
                            self.note(format!("more than {MAX_CHILDREN} children in one entry"));
                            break;
                        }
                        out.push(e.clone());
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    self.note(format!("entries unreadable: {e}"));
                    break;
                }
            }
        }
        out
    }

    fn type_attr(&mut self, entry: &Die<'a>, depth: usize) -> TypeRef {
        self.type_ref(entry.attr_value(gimli::DW_AT_type), depth)
    }

    fn unknown(&mut self, why: &str) -> TypeRef {
        self.note(format!("partial types: {why}"));
        TypeRef::Unknown { why: why.into() }
    }

    /// The type a `DW_AT_type` value refers to; no value means `void`.
    fn type_ref(&mut self, value: Option<AttributeValue<R<'a>>>, depth: usize) -> TypeRef {
        let offset = match value {
            None => return TypeRef::Void,
            Some(AttributeValue::UnitRef(o)) => o,
            Some(AttributeValue::DebugInfoRef(o)) => match o.to_unit_offset(&self.unit.header) {
                Some(u) => u,
                None => return self.unknown("reference into another compilation unit"),
            },
            Some(_) => return self.unknown("unsupported type reference form"),
        };
        if let Some(done) = self.memo.get(&offset) {
            return done.clone();
        }
        if depth > MAX_DEPTH {
            return self.unknown("type nesting deeper than the bound");
        }
        *self.work += 1;
        if *self.work > MAX_WORK {
            return self.unknown("type graph larger than the work bound");
        }
        let Ok(entry) = self.unit.entry(offset) else {
            return self.unknown("dangling type reference");
        };
        let result = self.resolve(&entry, depth);
        // Inline trees are cheap to rebuild but memoising keeps shared subtrees linear.
        self.memo.insert(offset, result.clone());
        result
    }

    fn resolve(&mut self, entry: &Die<'a>, depth: usize) -> TypeRef {
        let inner = |me: &mut Self| Box::new(me.type_attr(entry, depth + 1));
        let tag = entry.tag();
        match tag {
            gimli::DW_TAG_pointer_type => TypeRef::Pointer {
                sigil: "*".into(),
                to: inner(self),
            },
            gimli::DW_TAG_reference_type => TypeRef::Pointer {
                sigil: "&".into(),
                to: inner(self),
            },
            gimli::DW_TAG_rvalue_reference_type => TypeRef::Pointer {
                sigil: "&&".into(),
                to: inner(self),
            },
            gimli::DW_TAG_ptr_to_member_type => TypeRef::Pointer {
                sigil: "ptr-to-member".into(),
                to: inner(self),
            },
            gimli::DW_TAG_const_type => qualified("const", inner(self)),
            gimli::DW_TAG_volatile_type => qualified("volatile", inner(self)),
            gimli::DW_TAG_restrict_type => qualified("restrict", inner(self)),
            gimli::DW_TAG_atomic_type => qualified("_Atomic", inner(self)),
            gimli::DW_TAG_array_type => {
                let mut dims = Vec::new();
                for sub in self.children(entry) {
                    if sub.tag() != gimli::DW_TAG_subrange_type {
                        continue;
                    }
                    let count = sub
                        .attr_value(gimli::DW_AT_count)
                        .and_then(|v| v.udata_value())
                        .or_else(|| {
                            sub.attr_value(gimli::DW_AT_upper_bound)
                                .and_then(|v| v.udata_value())
                                .and_then(|u| u.checked_add(1))
                        });
                    dims.push(count);
                }
                TypeRef::Array {
                    of: inner(self),
                    dims,
                }
            }
            gimli::DW_TAG_subroutine_type => {
                TypeRef::Function(Box::new(self.function(entry, depth + 1)))
            }
            gimli::DW_TAG_base_type
            | gimli::DW_TAG_unspecified_type
            | gimli::DW_TAG_typedef
            | gimli::DW_TAG_structure_type
            | gimli::DW_TAG_class_type
            | gimli::DW_TAG_union_type
            | gimli::DW_TAG_enumeration_type => self.named(entry, depth),
            _ => self.unknown(&format!("unsupported type entry {tag}")),
        }
    }

    /// A named type becomes a table entry and a [`TypeRef::Named`]; an anonymous one is
    /// described inline.
    fn named(&mut self, entry: &Die<'a>, depth: usize) -> TypeRef {
        let tag = entry.tag();
        let kind = match tag {
            gimli::DW_TAG_base_type => "base",
            gimli::DW_TAG_unspecified_type => "unspecified",
            gimli::DW_TAG_typedef => "typedef",
            gimli::DW_TAG_structure_type => "struct",
            gimli::DW_TAG_class_type => "class",
            gimli::DW_TAG_union_type => "union",
            _ => "enum",
        };
        let Some(name) = self.string(entry, gimli::DW_AT_name) else {
            let def = self.definition(entry, kind, None, depth);
            return TypeRef::Anonymous { def: Box::new(def) };
        };
        let qualified = match self.scopes.get(&entry.offset()) {
            Some(scope) => format!("{scope}{name}"),
            None => name,
        };
        let key = type_key(kind, &qualified);
        let declaration = entry_flag(entry, gimli::DW_AT_declaration);
        let known = self.out.table.get(&key);
        // Resolve each key once, and a declaration again only to replace it by a definition.
        let needed = match known {
            None => true,
            Some(existing) => existing.declaration && !declaration,
        };
        if needed && !self.resolving.contains(&entry.offset()) {
            if self.out.table.len() >= MAX_TYPES && known.is_none() {
                return self.unknown("more named types than the bound");
            }
            self.resolving.insert(entry.offset());
            // A placeholder ends cycles (`struct node { struct node *next; }`) at the key.
            if known.is_none() {
                self.out.table.insert(
                    key.clone(),
                    TypeDef {
                        kind: kind.into(),
                        name: Some(qualified.clone()),
                        declaration: true,
                        ..TypeDef::default()
                    },
                );
            }
            let def = self.definition(entry, kind, Some(qualified), depth);
            self.out.table.insert(key.clone(), def);
            self.resolving.remove(&entry.offset());
        }
        TypeRef::Named { key }
    }

    fn definition(
        &mut self,
        entry: &Die<'a>,
        kind: &str,
        name: Option<String>,
        depth: usize,
    ) -> TypeDef {
        let mut def = TypeDef {
            kind: kind.into(),
            name,
            size: entry
                .attr_value(gimli::DW_AT_byte_size)
                .and_then(|v| v.udata_value()),
            declaration: entry_flag(entry, gimli::DW_AT_declaration),
            ..TypeDef::default()
        };
        match kind {
            "typedef" => def.target = Some(self.type_attr(entry, depth + 1)),
            "enum" => {
                if entry.attr_value(gimli::DW_AT_type).is_some() {
                    def.target = Some(self.type_attr(entry, depth + 1));
                }
                for child in self.children(entry) {
                    if child.tag() != gimli::DW_TAG_enumerator {
                        continue;
                    }
                    let value = match child.attr_value(gimli::DW_AT_const_value) {
                        Some(AttributeValue::Udata(u)) => u as i64,
                        Some(v) => v.sdata_value().unwrap_or(0),
                        None => 0,
                    };
                    def.enumerators.push(Enumerator {
                        name: self.string(&child, gimli::DW_AT_name).unwrap_or_default(),
                        value,
                    });
                }
            }
            "struct" | "class" | "union" => self.aggregate(entry, &mut def, depth),
            _ => {}
        }
        def
    }

    fn aggregate(&mut self, entry: &Die<'a>, def: &mut TypeDef, depth: usize) {
        for child in self.children(entry) {
            match child.tag() {
                gimli::DW_TAG_member | gimli::DW_TAG_variable => {
                    // Static data members are declarations without a location: not layout.
                    if entry_flag(&child, gimli::DW_AT_external)
                        || entry_flag(&child, gimli::DW_AT_declaration)
                    {
                        continue;
                    }
                    let offset_bits = member_offset_bits(&child);
                    let bit_size = child
                        .attr_value(gimli::DW_AT_bit_size)
                        .and_then(|v| v.udata_value());
                    let ty = self.type_attr(&child, depth + 1);
                    def.members.push(Member {
                        name: self.string(&child, gimli::DW_AT_name),
                        ty,
                        offset_bits,
                        bit_size,
                    });
                }
                gimli::DW_TAG_inheritance => {
                    let ty = self.type_attr(&child, depth + 1);
                    def.bases.push(BaseClass {
                        ty,
                        offset_bits: member_offset_bits(&child),
                        virtual_base: matches!(
                            child.attr_value(gimli::DW_AT_virtuality),
                            Some(AttributeValue::Virtuality(v)) if v != gimli::DW_VIRTUALITY_none
                        ),
                    });
                }
                gimli::DW_TAG_subprogram => {
                    let virtuality = child.attr_value(gimli::DW_AT_virtuality);
                    if !matches!(virtuality, Some(AttributeValue::Virtuality(v)) if v != gimli::DW_VIRTUALITY_none)
                    {
                        continue;
                    }
                    let slot = match child.attr_value(gimli::DW_AT_vtable_elem_location) {
                        Some(AttributeValue::Exprloc(expr)) => vtable_slot(expr.0.slice()),
                        _ => None,
                    };
                    def.virtuals.push(VirtualFunction {
                        name: self.string(&child, gimli::DW_AT_name).unwrap_or_default(),
                        linkage_name: self.string(&child, gimli::DW_AT_linkage_name),
                        slot,
                    });
                }
                _ => {}
            }
        }
    }

    fn function(&mut self, entry: &Die<'a>, depth: usize) -> FunctionType {
        let mut f = FunctionType {
            ret: self.type_attr(entry, depth + 1),
            params: Vec::new(),
            variadic: false,
        };
        for child in self.children(entry) {
            match child.tag() {
                gimli::DW_TAG_formal_parameter => f.params.push(self.type_attr(&child, depth + 1)),
                gimli::DW_TAG_unspecified_parameters => f.variadic = true,
                _ => {}
            }
        }
        f
    }
}

fn qualified(q: &str, of: Box<TypeRef>) -> TypeRef {
    TypeRef::Qualified {
        qualifier: q.into(),
        of,
    }
}

/// Table key of a named type. `class` and `struct` share one: C++ lets a declaration
/// use either keyword for the same type.
pub fn type_key(kind: &str, name: &str) -> String {
    match kind {
        "base" | "unspecified" => name.to_string(),
        "class" => format!("struct {name}"),
        _ => format!("{kind} {name}"),
    }
}

fn entry_flag(entry: &Die<'_>, at: gimli::DwAt) -> bool {
    matches!(entry.attr_value(at), Some(AttributeValue::Flag(true)))
}

/// Bit offset of a member: DW_AT_data_bit_offset (DWARF 4+ bitfields) or
/// DW_AT_data_member_location in bytes (a constant; a location expression `DW_OP_plus_uconst N`).
fn member_offset_bits(entry: &Die<'_>) -> Option<u64> {
    if let Some(bits) = entry
        .attr_value(gimli::DW_AT_data_bit_offset)
        .and_then(|v| v.udata_value())
    {
        return Some(bits);
    }
    let bytes = match entry.attr_value(gimli::DW_AT_data_member_location)? {
        AttributeValue::Exprloc(expr) => plus_uconst(expr.0.slice())?,
        v => v.udata_value()?,
    };
    let base = bytes.checked_mul(8)?;
    // DWARF 2/3 bitfields: DW_AT_bit_offset counts from the storage unit's most
    // significant bit (little-endian targets as gcc writes them).
    let storage = entry
        .attr_value(gimli::DW_AT_byte_size)
        .and_then(|v| v.udata_value());
    let bit_offset = entry
        .attr_value(gimli::DW_AT_bit_offset)
        .and_then(|v| v.udata_value());
    let bit_size = entry
        .attr_value(gimli::DW_AT_bit_size)
        .and_then(|v| v.udata_value());
    match (storage, bit_offset, bit_size) {
        (Some(s), Some(o), Some(n)) => s
            .checked_mul(8)
            .and_then(|w| w.checked_sub(o))
            .and_then(|w| w.checked_sub(n))
            .and_then(|w| base.checked_add(w)),
        _ => Some(base),
    }
}

/// `DW_OP_plus_uconst N` (0x23) or `DW_OP_constu N` (0x10): the value N.
fn plus_uconst(expr: &[u8]) -> Option<u64> {
    match expr.split_first()? {
        (0x23 | 0x10, rest) => uleb(rest),
        _ => None,
    }
}

/// `DW_OP_constu N` (gcc writes the slot this way for virtual functions).
fn vtable_slot(expr: &[u8]) -> Option<u64> {
    plus_uconst(expr)
}

fn uleb(bytes: &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for (i, b) in bytes.iter().enumerate().take(10) {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// C-like rendering of a type reference, for reports (`const struct config *`).
pub fn render(ty: &TypeRef) -> String {
    match ty {
        TypeRef::Void => "void".into(),
        TypeRef::Named { key } => key.strip_prefix("typedef ").unwrap_or(key).to_string(),
        TypeRef::Pointer { sigil, to } => format!("{} {sigil}", render(to)).replace("* *", "**"),
        TypeRef::Qualified { qualifier, of } => format!("{qualifier} {}", render(of)),
        TypeRef::Array { of, dims } => {
            let dims: String = dims
                .iter()
                .map(|d| d.map_or("[]".to_string(), |n| format!("[{n}]")))
                .collect();
            format!("{}{dims}", render(of))
        }
        TypeRef::Function(f) => render_function(f),
        TypeRef::Anonymous { def } => format!("{} {{…}}", def.kind),
        TypeRef::Unknown { why } => format!("? ({why})"),
    }
}

pub fn render_function(f: &FunctionType) -> String {
    let mut params: Vec<String> = f.params.iter().map(render).collect();
    if f.variadic {
        params.push("...".into());
    }
    format!("{} ({})", render(&f.ret), params.join(", "))
}
