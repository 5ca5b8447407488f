//! The KMIP JSON encoding.
//!
//! > KMIP Profiles 2.1 §5.5.1: an item is an object `{"tag": ..., "type": ..., "value": ...}`;
//! > `type` is omitted for a Structure, whose `value` is an array of its children. Integers,
//! > Intervals and Long Integers may be JSON numbers; Booleans JSON booleans; every type also
//! > has a string form (hex with `0x`, names, ISO 8601 date-times).

use serde_json::{Map, Number, Value as Json, json};
use ttlv::{Item, ItemType, Value};

use crate::values::{Siblings, format_value, parse_tag, parse_value, tag_hex};
use crate::{Placeholders, TextError};

/// Parses one item (normally a message) from JSON text.
pub fn from_json(text: &str, placeholders: &mut dyn Placeholders) -> Result<Item, TextError> {
    let json: Json = serde_json::from_str(text).map_err(|e| TextError::Json(e.to_string()))?;
    parse_item(&json, &Siblings::default(), placeholders)
}

fn parse_item(json: &Json, siblings: &Siblings, placeholders: &mut dyn Placeholders) -> Result<Item, TextError> {
    let bad = |what: &str| TextError::Json(what.to_owned());
    let object = json.as_object().ok_or_else(|| bad("an item must be an object"))?;
    let tag =
        parse_tag(object.get("tag").and_then(Json::as_str).ok_or_else(|| bad("an item needs a string \"tag\""))?)?;
    let item_type = match object.get("type") {
        None => ItemType::Structure,
        Some(t) => {
            let name = t.as_str().ok_or_else(|| bad("\"type\" must be a string"))?;
            ItemType::from_name(name).ok_or_else(|| TextError::UnknownType(name.to_owned(), format!("{tag:?}")))?
        }
    };
    let json_value = object.get("value").ok_or_else(|| bad("an item needs a \"value\""))?;
    let value = match (item_type, json_value) {
        (ItemType::Structure, Json::Array(children)) => {
            let mut inner = Siblings::default();
            let mut items = Vec::with_capacity(children.len());
            for child in children {
                let item = parse_item(child, &inner, placeholders)?;
                inner.saw(item.tag, &item.value);
                items.push(item);
            }
            Value::Structure(items)
        }
        (ItemType::Integer, Json::Number(n)) => {
            Value::Integer(n.as_i64().and_then(|v| i32::try_from(v).ok()).ok_or_else(|| bad("Integer out of range"))?)
        }
        (ItemType::LongInteger, Json::Number(n)) => {
            Value::LongInteger(n.as_i64().ok_or_else(|| bad("Long Integer out of range"))?)
        }
        (ItemType::Interval, Json::Number(n)) => {
            Value::Interval(n.as_u64().and_then(|v| u32::try_from(v).ok()).ok_or_else(|| bad("Interval out of range"))?)
        }
        (ItemType::Enumeration, Json::Number(n)) => Value::Enumeration(
            n.as_u64().and_then(|v| u32::try_from(v).ok()).ok_or_else(|| bad("Enumeration out of range"))?,
        ),
        (ItemType::Boolean, Json::Bool(b)) => Value::Boolean(*b),
        (t, Json::String(text)) if t != ItemType::Structure => {
            parse_value(tag, t, text, siblings.names(tag), placeholders)?
        }
        _ => {
            return Err(bad(&format!("{tag:?}: value does not fit type {}", item_type.name())));
        }
    };
    Ok(Item::new(tag, value))
}

/// Writes an item as pretty-printed JSON.
pub fn to_json(item: &Item) -> String {
    // A serde_json::Value always serialises.
    serde_json::to_string_pretty(&item_json(item, &Siblings::default())).unwrap_or_default()
}

fn item_json(item: &Item, siblings: &Siblings) -> Json {
    let mut object = Map::new();
    let tag = item.tag.name().map_or_else(|| tag_hex(item.tag), str::to_owned);
    object.insert("tag".into(), Json::String(tag));
    let names = siblings.names(item.tag);
    let value = match &item.value {
        Value::Structure(children) => {
            let mut inner = Siblings::default();
            let mut out = Vec::with_capacity(children.len());
            for child in children {
                out.push(item_json(child, &inner));
                inner.saw(child.tag, &child.value);
            }
            Json::Array(out)
        }
        Value::Integer(v) => match format_value(&item.value, names) {
            text if text.parse::<i32>().is_ok() => json!(v),
            text => Json::String(text.into_owned()),
        },
        Value::LongInteger(v) => Json::Number(Number::from(*v)),
        Value::Interval(v) => Json::Number(Number::from(*v)),
        Value::Boolean(v) => Json::Bool(*v),
        other => Json::String(format_value(other, names).into_owned()),
    };
    if item.value.item_type() != ItemType::Structure {
        object.insert("type".into(), Json::String(item.value.item_type().name().into()));
    }
    object.insert("value".into(), value);
    Json::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoPlaceholders;
    use ttlv::Tag;

    #[test]
    fn unnamed_tags_and_masks_round_trip() {
        let item = Item::structure(
            Tag::ATTRIBUTES,
            vec![
                Item::new(Tag(0x54_0001), Value::TextString("vendor".into())),
                Item::new(Tag::CRYPTOGRAPHIC_USAGE_MASK, Value::Integer(0x0C)),
                Item::new(Tag::CRYPTOGRAPHIC_USAGE_MASK, Value::Integer(0x4000_0000)),
            ],
        );
        let text = to_json(&item);
        assert!(text.contains("\"0x540001\""), "{text}");
        assert!(text.contains("\"Encrypt Decrypt\""), "{text}");
        assert_eq!(from_json(&text, &mut NoPlaceholders).expect("parses"), item);
    }
}
