//! The conformance runner: replays an OASIS profile test case (its request/response pairs in
//! KMIP XML) against a live server, and matches each response to the expected one.
//!
//! What may differ, after the profiles' "Permitted Test Case Variations" (KMIP Profiles 2.1
//! §8.4.1, Variable Items):
//! - placeholders (`$UNIQUE_IDENTIFIER_0`, `$DATA_1`, ...) bind to the first value the server
//!   returns for them and must agree afterwards; `$NOW` (with offsets) is any date-time;
//! - the response header's Time Stamp and correlation values, and any Result Message text;
//! - server-specific facts: Query's lists and server information, Digest values of keys the
//!   server generated;
//! - the order of attributes in a Get Attributes response, which may also carry more of
//!   them than were asked for when none were named.
//!
//! The harness-only operations Interop and Log are not sent.

use std::collections::HashMap;
use std::path::Path;

use kmip_text::Placeholders;
use ttlv::{Item, ItemType, Limits, Tag, Value, decode_item, encode_item};

use crate::Client;

/// Date-times standing for `$NOW+offset` are stored as this plus the offset.
const NOW_SENTINEL: i64 = i64::MIN / 2;
/// Byte strings standing for a placeholder start with this.
const BYTES_SENTINEL: &[u8] = b"\0$placeholder:";

/// Resolves placeholders to sentinels that the matcher and the request rewriter recognise.
#[derive(Debug, Default)]
struct Sentinels;

impl Placeholders for Sentinels {
    fn resolve(&mut self, text: &str, item_type: ItemType) -> Option<Value> {
        match item_type {
            ItemType::DateTime => {
                let offset = text.strip_prefix("$NOW")?;
                let offset: i64 = if offset.is_empty() { 0 } else { offset.parse().ok()? };
                Some(Value::DateTime(NOW_SENTINEL + offset))
            }
            ItemType::ByteString => Some(Value::ByteString([BYTES_SENTINEL, text.as_bytes()].concat())),
            _ => None,
        }
    }
}

fn placeholder_name(value: &Value) -> Option<String> {
    match value {
        Value::TextString(t) if t.starts_with('$') => Some(t.clone()),
        Value::ByteString(b) if b.starts_with(BYTES_SENTINEL) => {
            Some(String::from_utf8_lossy(&b[BYTES_SENTINEL.len()..]).into_owned())
        }
        _ => None,
    }
}

/// The outcome of one test case.
#[derive(Debug)]
pub struct CaseResult {
    /// The case's name (`SKLC-M-1-14`).
    pub name: String,
    /// `None` when every response matched; else the first mismatch.
    pub failure: Option<String>,
}

/// Runs one test case file against the server `client` talks to.
pub fn run_case(path: &Path, client: &mut Client, now: i64) -> CaseResult {
    let name = crate::case_name(path);
    let failure = run(path, client, now).err();
    CaseResult { name, failure }
}

fn run(path: &Path, client: &mut Client, now: i64) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let messages = kmip_text::from_xml_document(&text, &mut Sentinels).map_err(|e| format!("vector: {e}"))?;
    let mut bindings: HashMap<String, Value> = HashMap::new();
    // Keys the server generated (Create, ReKey): their bytes are its own, not the vector's.
    let mut generated: Vec<Value> = Vec::new();
    // The last value the server sent under each tag: a request placeholder that no expected
    // response named (`$DATA_0` after an Encrypt whose vector printed literal bytes) takes it.
    let mut last_seen: HashMap<Tag, Value> = HashMap::new();
    // Public keys: RSA encryption with one is randomized (OAEP and PKCS#1 v1.5 alike).
    let mut public_keys: Vec<Value> = Vec::new();
    for (step, pair) in messages.chunks(2).enumerate() {
        let [request, expected] = pair else { return Err(format!("step {step}: a request without a response")) };
        if is_harness_only(request) {
            continue;
        }
        let request = substitute(request.clone(), &bindings, &last_seen, now);
        let bytes = client.round_trip(&encode_item(&request)).map_err(|e| format!("step {step}: transport: {e}"))?;
        let actual = decode_item(&bytes, &Limits::default()).map_err(|e| format!("step {step}: response: {e}"))?;
        generated.extend(generated_uids(&actual));
        public_keys.extend(public_key_uids(&request, &actual));
        remember_leaves(&actual, &mut last_seen);
        let mut path = vec![expected.tag];
        let ctx = Context {
            generated_key: gets_generated_key(&actual, &generated),
            randomized: is_randomized(&request) || encrypts_with(&request, &public_keys),
            ..Context::default()
        };
        matches(expected, &actual, &mut bindings, &mut path, ctx).map_err(|why| {
            format!("step {step}: {why}\n  expected: {}\n  actual:   {}", brief(expected), brief(&actual))
        })?;
    }
    Ok(())
}

/// The identifiers a response's Create and ReKey items made; whether it Gets one of them.
fn generated_uids(response: &Item) -> Vec<Value> {
    batch_items(response, &[ttlv::dict::Operation::CREATE, ttlv::dict::Operation::REKEY])
        .filter_map(|b| b.child(Tag::RESPONSE_PAYLOAD)?.child(Tag::UNIQUE_IDENTIFIER).map(|u| u.value.clone()))
        .collect()
}

fn gets_generated_key(response: &Item, generated: &[Value]) -> bool {
    use ttlv::dict::Operation;
    let uses = [Operation::GET, Operation::ENCRYPT, Operation::DECRYPT, Operation::MAC];
    batch_items(response, &uses).any(|b| {
        b.child(Tag::RESPONSE_PAYLOAD)
            .and_then(|p| p.child(Tag::UNIQUE_IDENTIFIER))
            .is_some_and(|u| generated.contains(&u.value))
    })
}

/// The public keys a step made: a Register of a Public Key, a Create Key Pair's public half.
fn public_key_uids(request: &Item, response: &Item) -> Vec<Value> {
    use ttlv::dict::{ObjectType, Operation};
    let registers_public = batch_items(request, &[Operation::REGISTER]).any(|b| {
        b.child(Tag::REQUEST_PAYLOAD)
            .and_then(|p| p.child(Tag::OBJECT_TYPE))
            .is_some_and(|t| t.value == Value::Enumeration(ObjectType::PUBLIC_KEY.0))
    });
    let mut out = Vec::new();
    for b in batch_items(response, &[Operation::REGISTER, Operation::CREATE_KEY_PAIR]) {
        let Some(payload) = b.child(Tag::RESPONSE_PAYLOAD) else { continue };
        if let Some(uid) = payload.child(Tag::PUBLIC_KEY_UNIQUE_IDENTIFIER) {
            out.push(uid.value.clone());
        } else if let (true, Some(uid)) = (registers_public, payload.child(Tag::UNIQUE_IDENTIFIER)) {
            out.push(uid.value.clone());
        }
    }
    out
}

/// Whether the request Encrypts with one of `public_keys`.
fn encrypts_with(request: &Item, public_keys: &[Value]) -> bool {
    batch_items(request, &[ttlv::dict::Operation::ENCRYPT]).any(|b| {
        b.child(Tag::REQUEST_PAYLOAD)
            .and_then(|p| p.child(Tag::UNIQUE_IDENTIFIER))
            .is_some_and(|u| public_keys.contains(&u.value))
    })
}

/// Whether the request asks for an Encrypt with OAEP padding or a Sign with PSS padding or
/// ECDSA: schemes whose output is random by design.
fn is_randomized(request: &Item) -> bool {
    use ttlv::dict::{DigitalSignatureAlgorithm as Dsa, Operation, PaddingMethod};
    batch_items(request, &[Operation::ENCRYPT, Operation::SIGN]).any(|b| {
        let params = b.child(Tag::REQUEST_PAYLOAD).and_then(|p| p.child(Tag::CRYPTOGRAPHIC_PARAMETERS));
        let field = |tag| match params.and_then(|p| p.child(tag)).map(|f| &f.value) {
            Some(Value::Enumeration(v)) => Some(*v),
            _ => None,
        };
        matches!(field(Tag::PADDING_METHOD), Some(p) if p == PaddingMethod::OAEP.0 || p == PaddingMethod::PSS.0)
            || matches!(field(Tag::DIGITAL_SIGNATURE_ALGORITHM), Some(d) if d == Dsa::RSASSA_PSS.0
                || (Dsa::ECDSA_WITH_SHA1.0..=Dsa::ECDSA_WITH_SHA512.0).contains(&d))
    })
}

fn batch_items<'a>(message: &'a Item, ops: &'a [ttlv::dict::Operation]) -> impl Iterator<Item = &'a Item> {
    message.children().iter().filter(move |b| {
        b.tag == Tag::BATCH_ITEM
            && matches!(b.child(Tag::OPERATION).map(|o| &o.value), Some(Value::Enumeration(op)) if ops.iter().any(|x| x.0 == *op))
    })
}

fn brief(item: &Item) -> String {
    let text = format!("{item:?}");
    if text.len() > 600 { format!("{}…", &text[..600]) } else { text }
}

fn is_harness_only(request: &Item) -> bool {
    let ops: Vec<u32> = request
        .children()
        .iter()
        .filter(|c| c.tag == Tag::BATCH_ITEM)
        .filter_map(|b| match b.child(Tag::OPERATION).map(|o| &o.value) {
            Some(Value::Enumeration(op)) => Some(*op),
            _ => None,
        })
        .collect();
    let interop = ttlv::dict::Operation::from_name("Interop").map(|o| o.0);
    let log = ttlv::dict::Operation::from_name("Log").map(|o| o.0);
    !ops.is_empty() && ops.iter().all(|op| Some(*op) == interop || Some(*op) == log)
}

fn remember_leaves(item: &Item, last_seen: &mut HashMap<Tag, Value>) {
    match &item.value {
        Value::Structure(children) => children.iter().for_each(|c| remember_leaves(c, last_seen)),
        value => {
            last_seen.insert(item.tag, value.clone());
        }
    }
}

/// Puts bound values (and the real time) where the request has placeholders.
fn substitute(mut item: Item, bindings: &HashMap<String, Value>, last_seen: &HashMap<Tag, Value>, now: i64) -> Item {
    let tag = item.tag;
    match &mut item.value {
        Value::Structure(children) => {
            let taken = std::mem::take(children);
            *children = taken.into_iter().map(|c| substitute(c, bindings, last_seen, now)).collect();
        }
        Value::DateTime(t) if (*t - NOW_SENTINEL).abs() < 1 << 40 => *t = now + (*t - NOW_SENTINEL),
        value => {
            if let Some(name) = placeholder_name(value) {
                if let Some(bound) = bindings.get(&name).or_else(|| last_seen.get(&tag)) {
                    *value = bound.clone();
                }
            }
        }
    }
    item
}

#[derive(Clone, Copy, Debug, Default)]
struct Context {
    /// Inside a Query response payload: its lists are the server's own.
    query: bool,
    /// Inside a Get Attributes response payload: attributes in any order, extras allowed.
    attributes: bool,
    /// Inside an RNG Retrieve response.
    rng: bool,
    /// The response returns, or uses, a key the server generated.
    generated_key: bool,
    /// Inside a Get Attribute List response: which attributes a server keeps is its own.
    attribute_list: bool,
    /// An Encrypt whose IV the server chose: the ciphertext follows from that IV.
    server_iv: bool,
    /// A randomized scheme (RSA-OAEP encryption, PSS or ECDSA signing): no two runs give the
    /// same bytes, so the vector's cannot be matched.
    randomized: bool,
}

fn matches(
    e: &Item,
    a: &Item,
    bindings: &mut HashMap<String, Value>,
    path: &mut Vec<Tag>,
    ctx: Context,
) -> Result<(), String> {
    let at = |path: &[Tag]| path.iter().map(|t| format!("{t:?}")).collect::<Vec<_>>().join("/");
    if e.tag != a.tag {
        return Err(format!("{}: expected {:?}, got {:?}", at(path), e.tag, a.tag));
    }
    match e.tag {
        Tag::TIME_STAMP | Tag::RESULT_MESSAGE | Tag::SERVER_CORRELATION_VALUE | Tag::CLIENT_CORRELATION_VALUE => {
            return Ok(());
        }
        Tag::DIGEST_VALUE | Tag::VENDOR_IDENTIFICATION | Tag::SERVER_INFORMATION => return Ok(()),
        // How the server makes random numbers is its own affair; that it says so is not.
        Tag::RANDOM_NUMBER_GENERATOR => return Ok(()),
        // RNG Retrieve's output is random.
        Tag::DATA if ctx.rng => return Ok(()),
        Tag::DATA | Tag::IV_COUNTER_NONCE | Tag::AUTHENTICATED_ENCRYPTION_TAG if ctx.server_iv => return Ok(()),
        Tag::DATA | Tag::SIGNATURE_DATA if ctx.randomized => return Ok(()),
        // What a key the server generated returns, or makes, is the server's own.
        Tag::KEY_MATERIAL | Tag::DATA | Tag::MAC_DATA | Tag::AUTHENTICATED_ENCRYPTION_TAG if ctx.generated_key => {
            return Ok(());
        }
        _ => {}
    }
    match (&e.value, &a.value) {
        (Value::Structure(ec), Value::Structure(ac)) => {
            let mut ctx = ctx;
            if e.tag == Tag::BATCH_ITEM {
                let op = |i: &Item| i.child(Tag::OPERATION).map(|o| o.value.clone());
                ctx.query = op(e) == Some(Value::Enumeration(ttlv::dict::Operation::QUERY.0));
                ctx.attributes = op(e) == Some(Value::Enumeration(ttlv::dict::Operation::GET_ATTRIBUTES.0));
                ctx.rng = op(e) == Some(Value::Enumeration(ttlv::dict::Operation::RNG_RETRIEVE.0));
                ctx.attribute_list = op(e) == Some(Value::Enumeration(ttlv::dict::Operation::GET_ATTRIBUTE_LIST.0));
                ctx.server_iv = op(e) == Some(Value::Enumeration(ttlv::dict::Operation::ENCRYPT.0))
                    && e.child(Tag::RESPONSE_PAYLOAD).is_some_and(|p| p.child(Tag::IV_COUNTER_NONCE).is_some());
            }
            if ctx.query && e.tag == Tag::RESPONSE_PAYLOAD {
                return Ok(());
            }
            if ctx.attribute_list && e.tag == Tag::RESPONSE_PAYLOAD {
                return match_children_by_tag(ec, ac, &[Tag::UNIQUE_IDENTIFIER], bindings, path, ctx);
            }
            // > KMIP 1.4 §2.1.1: an Attribute Index that is not given is 0, so an instance the
            // > server numbers 0 is the instance a vector leaves unnumbered.
            if e.tag == Tag::ATTRIBUTE && e.child(Tag::ATTRIBUTE_INDEX).is_none() {
                let zero = |c: &&Item| c.tag == Tag::ATTRIBUTE_INDEX && c.value == Value::Integer(0);
                if ac.iter().any(|c| zero(&c)) {
                    let unnumbered = Item::structure(Tag::ATTRIBUTE, ac.iter().filter(|c| !zero(c)).cloned().collect());
                    return matches(e, &unnumbered, bindings, path, ctx);
                }
            }
            // A 1.x Random Number Generator attribute: its value is the server's own.
            if e.tag == Tag::ATTRIBUTE
                && names_attribute(e, "Random Number Generator")
                && names_attribute(a, "Random Number Generator")
            {
                return Ok(());
            }
            if e.tag == Tag::RESPONSE_HEADER {
                return match_children_by_tag(ec, ac, &[Tag::PROTOCOL_VERSION, Tag::BATCH_COUNT], bindings, path, ctx);
            }
            if ctx.attributes && matches!(e.tag, Tag::RESPONSE_PAYLOAD | Tag::ATTRIBUTES) {
                return match_unordered(ec, ac, bindings, path, ctx);
            }
            if ec.len() != ac.len() {
                return Err(format!(
                    "{}: expected {} fields {:?}, got {} {:?}",
                    at(path),
                    ec.len(),
                    ec.iter().map(|c| c.tag).collect::<Vec<_>>(),
                    ac.len(),
                    ac.iter().map(|c| c.tag).collect::<Vec<_>>()
                ));
            }
            for (ei, ai) in ec.iter().zip(ac) {
                path.push(ei.tag);
                matches(ei, ai, bindings, path, ctx)?;
                path.pop();
            }
            Ok(())
        }
        (Value::DateTime(t), Value::DateTime(_)) if (*t - NOW_SENTINEL).abs() < 1 << 40 => Ok(()),
        (ev, av) => match placeholder_name(ev) {
            Some(name) if ev.item_type() == av.item_type() => match bindings.get(&name) {
                Some(bound) if bound != av => Err(format!("{}: {name} was {bound:?}, now {av:?}", at(path))),
                Some(_) => Ok(()),
                None => {
                    bindings.insert(name, av.clone());
                    Ok(())
                }
            },
            _ if ev == av => Ok(()),
            _ => Err(format!("{}: expected {ev:?}, got {av:?}", at(path))),
        },
    }
}

fn names_attribute(attribute: &Item, name: &str) -> bool {
    attribute.child(Tag::ATTRIBUTE_NAME).is_some_and(|n| n.value == Value::TextString(name.into()))
}

/// Matches only the named fields (in order of appearance) and ignores the rest.
fn match_children_by_tag(
    ec: &[Item],
    ac: &[Item],
    tags: &[Tag],
    bindings: &mut HashMap<String, Value>,
    path: &mut Vec<Tag>,
    ctx: Context,
) -> Result<(), String> {
    for tag in tags {
        let e: Vec<_> = ec.iter().filter(|c| c.tag == *tag).collect();
        let a: Vec<_> = ac.iter().filter(|c| c.tag == *tag).collect();
        if e.len() != a.len() {
            return Err(format!("{tag:?}: expected {} of them, got {}", e.len(), a.len()));
        }
        for (ei, ai) in e.into_iter().zip(a) {
            path.push(*tag);
            matches(ei, ai, bindings, path, ctx)?;
            path.pop();
        }
    }
    Ok(())
}

/// Every expected child must match some actual child (each used once); extras are allowed.
fn match_unordered(
    ec: &[Item],
    ac: &[Item],
    bindings: &mut HashMap<String, Value>,
    path: &mut Vec<Tag>,
    ctx: Context,
) -> Result<(), String> {
    let mut used = vec![false; ac.len()];
    for ei in ec {
        let mut found = false;
        for (i, ai) in ac.iter().enumerate() {
            if used[i] {
                continue;
            }
            let mut trial = bindings.clone();
            path.push(ei.tag);
            let ok = matches(ei, ai, &mut trial, path, ctx).is_ok();
            path.pop();
            if ok {
                *bindings = trial;
                used[i] = true;
                found = true;
                break;
            }
        }
        if !found {
            return Err(format!("no match for {}", brief(ei)));
        }
    }
    Ok(())
}
