//! CycloneDX 1.6 XML, rendered from the JSON tree that [`super::cyclonedx::bom`] builds, so
//! the JSON and XML BOMs always carry the same content.
//!
//! XML differs from JSON in three ways this module encodes: element order is fixed by the
//! XSD's sequences (the tables below list each type's fields in XSD order); some JSON members
//! are attributes; and JSON arrays become wrapper elements (`hashes` → `<hashes><hash>…`) or
//! repeated elements. A JSON member without a mapping becomes an XML comment naming it, and a
//! test checks that no BOM assay writes contains one, so a field added to the JSON writer
//! cannot be dropped silently.

use std::fmt::Write;

use serde_json::Value;

use crate::model::Document;

pub const NAMESPACE: &str = "http://cyclonedx.org/schema/bom/1.6";

/// Marks a JSON member that this renderer does not know (see the module comment).
pub const UNMAPPED: &str = "assay: no XML mapping for JSON member";

pub fn render(doc: &Document) -> String {
    to_xml(&super::cyclonedx::bom(doc))
}

/// Renders a CycloneDX 1.6 JSON BOM as XML.
pub fn to_xml(bom: &Value) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let mut w = Writer { out: &mut out };
    w.element("bom", bom, BOM, 0, &[("xmlns", NAMESPACE)]);
    out
}

/// How a JSON value becomes XML, for a member named `xml` in its parent's table.
enum Node {
    /// A scalar: `<xml>text</xml>`.
    Text,
    /// An object: `<xml attrs…>children…</xml>`.
    Element(Fields),
    /// An object whose `text` member is the element's content and the others attributes:
    /// `{"alg": "SHA-1", "content": "…"}` → `<hash alg="SHA-1">…</hash>`.
    TextWith {
        text: &'static str,
        attrs: &'static [(&'static str, &'static str)],
    },
    /// A string that is a reference: `<xml ref="…"/>`.
    Ref,
    /// An array in a wrapper: `<xml><item>…</item>…</xml>`.
    List(&'static str, &'static Node),
    /// An array whose entries repeat `<xml>` in place (no wrapper).
    Repeat(&'static Node),
    /// An array in a wrapper whose entries' members go straight inside it (a choice in the
    /// XSD): `licenses: [{"license": {…}}, …]` → `<licenses><license>…</license></licenses>`.
    Inline(Fields),
    /// `{"expression": "…", "acknowledgement": …}` in a license choice: the expression is the
    /// text and the other members are its attributes.
    LicenseExpression,
}

/// A JSON member: its XML name and whether it is an attribute or a child.
struct Field {
    json: &'static str,
    xml: &'static str,
    kind: Kind,
}

enum Kind {
    Attr,
    Child(&'static Node),
    /// Not written: expressed by the XML itself (`$schema`, `bomFormat`, `specVersion` → the
    /// namespace).
    Implied,
}

type Fields = &'static [Field];

const fn attr(json: &'static str) -> Field {
    Field {
        json,
        xml: json,
        kind: Kind::Attr,
    }
}
const fn child(json: &'static str, node: &'static Node) -> Field {
    Field {
        json,
        xml: json,
        kind: Kind::Child(node),
    }
}
const fn text(json: &'static str) -> Field {
    child(json, &Node::Text)
}

static PROPERTIES: Node = Node::List(
    "property",
    &Node::TextWith {
        text: "value",
        attrs: &[("name", "name")],
    },
);
static HASHES: Node = Node::List(
    "hash",
    &Node::TextWith {
        text: "content",
        attrs: &[("alg", "alg")],
    },
);
static COMPONENTS: Node = Node::List("component", &COMPONENT);
static COMPONENT: Node = Node::Element(&[
    attr("type"),
    attr("mime-type"),
    attr("bom-ref"),
    child("supplier", &ORGANIZATION),
    child("manufacturer", &ORGANIZATION),
    child("authors", &Node::List("author", &CONTACT)),
    text("author"),
    text("publisher"),
    text("group"),
    text("name"),
    text("version"),
    text("description"),
    text("scope"),
    child("hashes", &HASHES),
    child("licenses", &LICENSES),
    text("copyright"),
    text("cpe"),
    text("purl"),
    child("omniborId", &Node::Repeat(&Node::Text)),
    child("swhid", &Node::Repeat(&Node::Text)),
    text("modified"),
    child("pedigree", &PEDIGREE),
    child("externalReferences", &EXTERNAL_REFERENCES),
    child("properties", &PROPERTIES),
    child("components", &COMPONENTS),
    child("evidence", &EVIDENCE),
    child("tags", &Node::List("tag", &Node::Text)),
]);
static ORGANIZATION: Node = Node::Element(&[
    attr("bom-ref"),
    text("name"),
    child("url", &Node::Repeat(&Node::Text)),
    child("contact", &Node::Repeat(&CONTACT)),
]);
static CONTACT: Node =
    Node::Element(&[attr("bom-ref"), text("name"), text("email"), text("phone")]);
static LICENSES: Node = Node::Inline(&[
    child("license", &LICENSE),
    child("expression", &Node::LicenseExpression),
]);
static LICENSE: Node = Node::Element(&[
    attr("bom-ref"),
    attr("acknowledgement"),
    text("id"),
    text("name"),
    child(
        "text",
        &Node::TextWith {
            text: "content",
            attrs: &[("contentType", "content-type"), ("encoding", "encoding")],
        },
    ),
    text("url"),
    child("properties", &PROPERTIES),
]);
static PEDIGREE: Node = Node::Element(&[
    child("ancestors", &COMPONENTS),
    child("descendants", &COMPONENTS),
    child("variants", &COMPONENTS),
    text("notes"),
]);
static EXTERNAL_REFERENCES: Node = Node::List(
    "reference",
    &Node::Element(&[
        attr("type"),
        text("url"),
        text("comment"),
        child("hashes", &HASHES),
    ]),
);
static EVIDENCE: Node = Node::Element(&[
    child(
        "identity",
        &Node::Repeat(&Node::Element(&[
            text("field"),
            text("confidence"),
            text("concludedValue"),
            child(
                "methods",
                &Node::List(
                    "method",
                    &Node::Element(&[text("technique"), text("confidence"), text("value")]),
                ),
            ),
            child("tools", &Node::List("tool", &Node::Ref)),
        ])),
    ),
    child(
        "occurrences",
        &Node::List(
            "occurrence",
            &Node::Element(&[
                attr("bom-ref"),
                text("location"),
                text("line"),
                text("offset"),
                text("symbol"),
                text("additionalContext"),
            ]),
        ),
    ),
    child("licenses", &LICENSES),
    child("copyright", &Node::Inline(&[text("text")])),
]);
static METADATA: Node = Node::Element(&[
    text("timestamp"),
    child(
        "lifecycles",
        &Node::List(
            "lifecycle",
            &Node::Element(&[text("phase"), text("name"), text("description")]),
        ),
    ),
    child("tools", &Node::Element(&[child("components", &COMPONENTS)])),
    child("authors", &Node::List("author", &CONTACT)),
    child("component", &COMPONENT),
    child("manufacturer", &ORGANIZATION),
    child("manufacture", &ORGANIZATION),
    child("supplier", &ORGANIZATION),
    child("licenses", &LICENSES),
    child("properties", &PROPERTIES),
]);
static DEPENDENCY: Node = Node::Element(&[
    attr("ref"),
    Field {
        json: "dependsOn",
        xml: "dependency",
        kind: Kind::Child(&Node::Repeat(&Node::Ref)),
    },
    child("provides", &Node::Repeat(&Node::Ref)),
]);
static ANNOTATION: Node = Node::Element(&[
    attr("bom-ref"),
    child("subjects", &Node::List("subject", &Node::Ref)),
    child(
        "annotator",
        &Node::Element(&[
            child("organization", &ORGANIZATION),
            child("individual", &CONTACT),
            child("component", &COMPONENT),
        ]),
    ),
    text("timestamp"),
    text("text"),
]);
static DEPENDENCIES: Node = Node::List("dependency", &DEPENDENCY);
static COMPOSITIONS: Node = Node::List(
    "composition",
    &Node::Element(&[
        attr("bom-ref"),
        text("aggregate"),
        child("assemblies", &Node::List("assembly", &Node::Ref)),
        child("dependencies", &Node::List("dependency", &Node::Ref)),
    ]),
);
static ANNOTATIONS: Node = Node::List("annotation", &ANNOTATION);
const BOM: Fields = &[
    Field {
        json: "$schema",
        xml: "",
        kind: Kind::Implied,
    },
    Field {
        json: "bomFormat",
        xml: "",
        kind: Kind::Implied,
    },
    Field {
        json: "specVersion",
        xml: "",
        kind: Kind::Implied,
    },
    attr("serialNumber"),
    attr("version"),
    child("metadata", &METADATA),
    child("components", &COMPONENTS),
    child("externalReferences", &EXTERNAL_REFERENCES),
    child("dependencies", &DEPENDENCIES),
    child("compositions", &COMPOSITIONS),
    child("properties", &PROPERTIES),
    child("annotations", &ANNOTATIONS),
];

struct Writer<'a> {
    out: &'a mut String,
}

impl Writer<'_> {
    fn indent(&mut self, depth: usize) {
        self.out.push_str(&"  ".repeat(depth));
    }

    /// `<name attrs…>` + fields of `value` in table order + `</name>`.
    fn element(
        &mut self,
        name: &str,
        value: &Value,
        fields: Fields,
        depth: usize,
        extra_attrs: &[(&str, &str)],
    ) {
        let mut attrs: Vec<(&str, String)> = extra_attrs
            .iter()
            .map(|(k, v)| (*k, v.to_string()))
            .collect();
        for f in fields.iter().filter(|f| matches!(f.kind, Kind::Attr)) {
            if let Some(v) = value.get(f.json) {
                attrs.push((f.xml, scalar(v)));
            }
        }
        self.indent(depth);
        self.open(name, &attrs);
        let start = self.out.len();
        self.out.push('\n');
        self.members(value, fields, depth + 1);
        if self.out.len() == start + 1 {
            self.out.truncate(start);
            self.out.insert(start - 1, '/');
            self.out.push('\n');
            return;
        }
        self.indent(depth);
        let _ = writeln!(self.out, "</{name}>");
    }

    /// The child members of `value` (not its attributes), then comments for unknown ones.
    fn members(&mut self, value: &Value, fields: Fields, depth: usize) {
        for f in fields {
            if let (Kind::Child(node), Some(v)) = (&f.kind, value.get(f.json)) {
                self.node(f.xml, v, node, depth);
            }
        }
        for key in value.as_object().into_iter().flatten().map(|(k, _)| k) {
            if !fields.iter().any(|f| f.json == key) {
                self.indent(depth);
                let _ = writeln!(self.out, "<!-- {UNMAPPED} {} -->", comment_safe(key));
            }
        }
    }

    fn node(&mut self, name: &str, value: &Value, node: &Node, depth: usize) {
        match node {
            Node::Text => {
                self.indent(depth);
                let _ = writeln!(self.out, "<{name}>{}</{name}>", escape(&scalar(value)));
            }
            Node::Element(fields) => self.element(name, value, fields, depth, &[]),
            Node::TextWith { text, attrs } => {
                let attrs: Vec<(&str, String)> = attrs
                    .iter()
                    .filter_map(|(j, x)| Some((*x, scalar(value.get(*j)?))))
                    .collect();
                self.indent(depth);
                self.open(name, &attrs);
                let content = value.get(*text).map(scalar).unwrap_or_default();
                let _ = writeln!(self.out, "{}</{name}>", escape(&content));
            }
            Node::Ref => {
                self.indent(depth);
                let _ = writeln!(self.out, "<{name} ref=\"{}\"/>", escape(&scalar(value)));
            }
            Node::List(item, inner) => {
                self.indent(depth);
                let _ = writeln!(self.out, "<{name}>");
                for v in value.as_array().into_iter().flatten() {
                    self.node(item, v, inner, depth + 1);
                }
                self.indent(depth);
                let _ = writeln!(self.out, "</{name}>");
            }
            Node::Repeat(inner) => {
                for v in value.as_array().into_iter().flatten() {
                    self.node(name, v, inner, depth);
                }
            }
            Node::Inline(fields) => {
                self.indent(depth);
                let _ = writeln!(self.out, "<{name}>");
                for v in value.as_array().into_iter().flatten() {
                    // The expression's siblings are its attributes, not members to flag.
                    if v.get("expression").is_some() {
                        self.node("expression", v, &Node::LicenseExpression, depth + 1);
                    } else {
                        self.members(v, fields, depth + 1);
                    }
                }
                self.indent(depth);
                let _ = writeln!(self.out, "</{name}>");
            }
            Node::LicenseExpression => {
                let attrs: Vec<(&str, String)> = ["bom-ref", "acknowledgement"]
                    .into_iter()
                    .filter_map(|k| Some((k, scalar(value.get(k)?))))
                    .collect();
                let expression = value.get("expression").map(scalar).unwrap_or_default();
                self.indent(depth);
                self.open(name, &attrs);
                let _ = writeln!(self.out, "{}</{name}>", escape(&expression));
            }
        }
    }

    fn open(&mut self, name: &str, attrs: &[(&str, String)]) {
        let _ = write!(self.out, "<{name}");
        for (k, v) in attrs {
            let _ = write!(self.out, " {k}=\"{}\"", escape(v));
        }
        self.out.push('>');
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Escapes text for content and attributes. Characters XML 1.0 cannot carry at all (most C0
/// controls, which a file name may hold) become U+FFFD: the alternative is a document no
/// parser accepts.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A comment may not contain `--`.
fn comment_safe(s: &str) -> String {
    escape(s).replace("--", "- -")
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn follows_xsd_order_attributes_and_wrappers() {
        let bom = json!({
            "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
            "serialNumber": "urn:uuid:00000000-0000-5000-8000-000000000000",
            "components": [{
                "purl": "pkg:golang/x@v1", "name": "x & y", "type": "library", "bom-ref": "c1",
                "hashes": [{"alg": "SHA-1", "content": "ab"}],
                "licenses": [{"license": {"id": "MIT", "acknowledgement": "declared"}},
                             {"expression": "MIT OR Apache-2.0", "acknowledgement": "concluded"}],
                "surprise": true,
            }],
            "dependencies": [{"ref": "c1", "dependsOn": ["c2"]}, {"ref": "c2", "dependsOn": []}],
        });
        let xml = super::to_xml(&bom);
        let at = |s: &str| {
            xml.find(s)
                .unwrap_or_else(|| panic!("{s} missing in\n{xml}"))
        };
        assert!(
            at("<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\" serialNumber=")
                < at("<components>")
        );
        assert!(at("<component type=\"library\" bom-ref=\"c1\">") < at("<name>x &amp; y</name>"));
        assert!(at("<name>") < at("<hashes>") && at("<hashes>") < at("<licenses>"));
        assert!(at("<licenses>") < at("<purl>"));
        at("<hash alg=\"SHA-1\">ab</hash>");
        at("<license acknowledgement=\"declared\">");
        at("<expression acknowledgement=\"concluded\">MIT OR Apache-2.0</expression>");
        at("<dependency ref=\"c1\">\n      <dependency ref=\"c2\"/>\n    </dependency>");
        at("<dependency ref=\"c2\"/>");
        at(&format!("<!-- {} surprise -->", super::UNMAPPED));
        assert!(!xml.contains("bomFormat") && !xml.contains("specVersion"));
    }

    #[test]
    fn control_characters_cannot_break_the_document() {
        assert_eq!(
            super::escape("a\u{1}b<\"c\">"),
            "a\u{FFFD}b&lt;&quot;c&quot;&gt;"
        );
    }
}
