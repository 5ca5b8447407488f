//! The KMIP XML encoding.
//!
//! > KMIP Profiles 2.1 §5.4.1: an item is an element named by its tag, with a `type` attribute
//! > (omitted for Structure) and a `value` attribute; a Structure's children are its child
//! > elements. An item whose tag has no name is written as `<TTLV tag="0x540001" .../>`.

use quick_xml::Reader;
use quick_xml::escape::escape;
use quick_xml::events::{BytesStart, Event};
use ttlv::{Item, ItemType, Tag, Value};

use crate::values::{Siblings, format_value, parse_tag, parse_value, tag_hex};
use crate::{Placeholders, TextError};

/// The element name for items whose tag has no registry name.
const UNNAMED: &str = "TTLV";

/// The wrapper element of a document holding several messages, as the profiles' files do.
const DOCUMENT: &str = "KMIP";

/// Parses one message (or any single item).
pub fn from_xml(text: &str, placeholders: &mut dyn Placeholders) -> Result<Item, TextError> {
    let mut items = from_xml_document(text, placeholders)?;
    match (items.pop(), items.is_empty()) {
        (Some(item), true) => Ok(item),
        _ => Err(TextError::Xml("expected exactly one top-level element".into())),
    }
}

/// Parses every top-level item of a document; a `<KMIP>` wrapper is looked through.
pub fn from_xml_document(text: &str, placeholders: &mut dyn Placeholders) -> Result<Vec<Item>, TextError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    // Each open element: its tag, children so far, and what those children say.
    let mut stack: Vec<(Tag, Vec<Item>, Siblings)> = Vec::new();
    let mut top = Vec::new();
    let mut top_siblings = Siblings::default();
    loop {
        let event = reader.read_event().map_err(|e| TextError::Xml(e.to_string()))?;
        match event {
            Event::Start(e) if e.name().as_ref() == DOCUMENT.as_bytes() => {}
            Event::End(e) if e.name().as_ref() == DOCUMENT.as_bytes() => {}
            Event::Start(e) => {
                let (tag, item_type, _) = element(&e)?;
                if item_type.is_some_and(|t| t != ItemType::Structure) {
                    return Err(TextError::Xml(format!("{tag:?}: a {item_type:?} element has children")));
                }
                stack.push((tag, Vec::new(), Siblings::default()));
            }
            Event::Empty(e) => {
                let (tag, item_type, value) = element(&e)?;
                let siblings = stack.last().map_or(&top_siblings, |(_, _, s)| s);
                let value = match (item_type, value) {
                    (None | Some(ItemType::Structure), None) => Value::Structure(Vec::new()),
                    (Some(t), Some(text)) => parse_value(tag, t, &text, siblings.names(tag), placeholders)?,
                    _ => {
                        return Err(TextError::Xml(format!("{tag:?}: needs both type and value")));
                    }
                };
                let (children, siblings) = match stack.last_mut() {
                    Some((_, children, siblings)) => (children, siblings),
                    None => (&mut top, &mut top_siblings),
                };
                siblings.saw(tag, &value);
                children.push(Item::new(tag, value));
            }
            Event::End(_) => {
                let (tag, children, _) = stack.pop().ok_or_else(|| TextError::Xml("unbalanced end tag".into()))?;
                let item = Item::structure(tag, children);
                match stack.last_mut() {
                    Some((_, children, _)) => children.push(item),
                    None => top.push(item),
                }
            }
            Event::Text(t) if !t.is_empty() => {
                return Err(TextError::Xml("text content is not part of the KMIP XML encoding".into()));
            }
            Event::Eof => break,
            _ => {} // declarations, comments, processing instructions
        }
    }
    if !stack.is_empty() {
        return Err(TextError::Xml("document ends inside an element".into()));
    }
    Ok(top)
}

/// The tag, type and value attribute of an element.
fn element(e: &BytesStart<'_>) -> Result<(Tag, Option<ItemType>, Option<String>), TextError> {
    let name = std::str::from_utf8(e.name().as_ref())
        .map_err(|_| TextError::Xml("element name is not UTF-8".into()))?
        .to_owned();
    let mut tag_attr = None;
    let mut item_type = None;
    let mut value = None;
    for attr in e.attributes() {
        let attr = attr.map_err(|e| TextError::Xml(e.to_string()))?;
        let text = attr.unescape_value().map_err(|e| TextError::Xml(e.to_string()))?.into_owned();
        match attr.key.as_ref() {
            b"tag" => tag_attr = Some(text),
            b"type" => {
                item_type = Some(ItemType::from_name(&text).ok_or_else(|| TextError::UnknownType(text, name.clone()))?);
            }
            b"value" => value = Some(text),
            _ => {}
        }
    }
    let tag = match tag_attr {
        Some(hex) if name == UNNAMED => parse_tag(&hex)?,
        _ => parse_tag(&name)?,
    };
    Ok((tag, item_type, value))
}

/// Writes an item as indented XML, one element a line.
pub fn to_xml(item: &Item) -> String {
    let mut out = String::new();
    write_item(&mut out, item, 0, &Siblings::default());
    out
}

fn write_item(out: &mut String, item: &Item, depth: usize, siblings: &Siblings) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    out.push('<');
    let name = item.tag.name();
    match name {
        Some(name) => out.push_str(name),
        None => {
            out.push_str(UNNAMED);
            out.push_str(" tag=\"");
            out.push_str(&tag_hex(item.tag));
            out.push('"');
        }
    }
    match &item.value {
        Value::Structure(children) if children.is_empty() => out.push_str("/>\n"),
        Value::Structure(children) => {
            out.push_str(">\n");
            let mut inner = Siblings::default();
            for child in children {
                write_item(out, child, depth + 1, &inner);
                inner.saw(child.tag, &child.value);
            }
            for _ in 0..depth {
                out.push_str("  ");
            }
            out.push_str("</");
            out.push_str(name.unwrap_or(UNNAMED));
            out.push_str(">\n");
        }
        value => {
            out.push_str(" type=\"");
            out.push_str(value.item_type().name());
            out.push_str("\" value=\"");
            out.push_str(&escape(format_value(value, siblings.names(item.tag)).as_ref()));
            out.push_str("\"/>\n");
        }
    }
}
