//! Crash safety: a load of Create, ReKey and Destroy, and a SIGKILL at a random moment, twenty
//! times over. After every restart each acknowledged operation is there, and no half-made
//! ReKey is visible: a replacement and its replaced key always link to each other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kmip_proto::dict::{LinkType, Operation, ResultStatus};
use kmip_proto::payload::GetRequest;
use kmip_proto::payload::{GetAttributesRequest, ReKeyRequest};
use kmip_proto::{
    AttributeName, KeyMaterial, KeyValue, Link, ProtocolVersion, RequestPayload, ResponseBatchItem, ResponseMessage,
    ResponsePayload,
};
use kmip_test_support::{Client, message};
use ttlv::{Limits, Tag};

use crate::support::{create_aes, key_bytes, kmipd, uid_request};

const V: ProtocolVersion = ProtocolVersion::V2_1;
const ROUNDS: u64 = 20;

/// What the server acknowledged.
#[derive(Debug, Default)]
struct Acknowledged {
    /// Live keys, and their bytes when the worker read them before the kill.
    keys: HashMap<String, Option<Vec<u8>>>,
    /// ReKeys: replacement → replaced.
    replaced: HashMap<String, String>,
    /// Destroyed keys.
    destroyed: Vec<String>,
    /// Keys a Destroy was sent for with no answer yet: the kill may have come after the
    /// commit and before the response, so either state is right for them.
    destroying: Vec<String>,
}

/// A small deterministic generator, so that a failing run can be replayed from its seed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below.max(1)
    }
}

fn links(client: &mut Client, uid: &str) -> Vec<Link> {
    let request =
        GetAttributesRequest { unique_identifier: Some(uid.into()), names: vec![AttributeName::Standard(Tag::LINK)] };
    let item = client.call(V, Operation::GET_ATTRIBUTES, RequestPayload::GetAttributes(request));
    match item.payload {
        Some(ResponsePayload::GetAttributes(r)) => {
            r.attributes.iter().filter_map(|a| kmip_proto::attribute::typed_value(&a.value).ok()).collect()
        }
        _ => panic!("{uid}: {:?}", item.result_reason),
    }
}

/// One operation; `None` once the server is gone (the worker's cue to stop).
fn try_call(client: &mut Client, operation: Operation, payload: RequestPayload) -> Option<ResponseBatchItem> {
    let bytes = client.round_trip(&message(V, vec![(operation, payload)]).to_ttlv()).ok()?;
    ResponseMessage::from_ttlv(&bytes, &Limits::default()).ok()?.items.into_iter().next()
}

fn get(uid: &str) -> RequestPayload {
    RequestPayload::Get(GetRequest::of(uid))
}

/// A key's bytes, if the server still answers.
fn try_bytes(client: &mut Client, uid: &str) -> Option<Vec<u8>> {
    match try_call(client, Operation::GET, get(uid))?.payload? {
        ResponsePayload::Get(r) => match r.object.key_block()?.key_value.clone()? {
            KeyValue::Plain { material: KeyMaterial::Bytes(b), .. } => Some(b.secret_bytes().to_vec()),
            _ => None,
        },
        _ => None,
    }
}

/// Notes a live key's bytes: only if it is still live (another worker may have destroyed it
/// between its creation and this read).
fn record_bytes(acknowledged: &Mutex<Acknowledged>, uid: &str, bytes: Option<Vec<u8>>) {
    if let Some(slot) = acknowledged.lock().expect("lock").keys.get_mut(uid) {
        *slot = bytes;
    }
}

/// One worker's load until the server dies under it; records only what was acknowledged.
fn load(mut client: Client, seed: u64, acknowledged: Arc<Mutex<Acknowledged>>) {
    let mut rng = Lcg(seed);
    for i in 0.. {
        let pick = {
            let ack = acknowledged.lock().expect("lock");
            let live: Vec<String> = ack.keys.keys().cloned().collect();
            (!live.is_empty()).then(|| live[rng.next(live.len() as u64) as usize].clone())
        };
        let c = &mut client;
        let alive = match (rng.next(4), pick) {
            (0, Some(uid)) => {
                let request = ReKeyRequest {
                    unique_identifier: Some(uid.clone()),
                    offset: None,
                    attributes: Default::default(),
                    protection_storage_masks: None,
                };
                try_call(c, Operation::REKEY, RequestPayload::ReKey(request)).map(|item| {
                    if let Some(ResponsePayload::ReKey(r)) = item.payload {
                        let new = r.unique_identifier;
                        let mut ack = acknowledged.lock().expect("lock");
                        ack.keys.insert(new.clone(), None);
                        ack.replaced.insert(new.clone(), uid);
                        drop(ack);
                        let bytes = try_bytes(c, &new);
                        record_bytes(&acknowledged, &new, bytes);
                    }
                })
            }
            (1, Some(uid)) => {
                acknowledged.lock().expect("lock").destroying.push(uid.clone());
                try_call(c, Operation::DESTROY, RequestPayload::Destroy(uid_request(&uid))).map(|item| {
                    let mut ack = acknowledged.lock().expect("lock");
                    // This worker's entry only: another worker's Destroy of the same key may
                    // still be unanswered when the kill comes, and must be settled then.
                    if let Some(i) = ack.destroying.iter().position(|d| *d == uid) {
                        ack.destroying.remove(i);
                    }
                    if item.result_status == ResultStatus::SUCCESS {
                        ack.keys.remove(&uid);
                        ack.destroyed.push(uid);
                    }
                })
            }
            _ => try_call(c, Operation::CREATE, create_aes(&format!("crash-{seed}-{i}"))).map(|item| {
                if let Some(ResponsePayload::Create(r)) = item.payload {
                    let uid = r.unique_identifier;
                    acknowledged.lock().expect("lock").keys.insert(uid.clone(), None);
                    let bytes = try_bytes(c, &uid);
                    record_bytes(&acknowledged, &uid, bytes);
                }
            }),
        };
        if alive.is_none() {
            return;
        }
    }
}

#[test]
fn acknowledged_operations_survive_twenty_sigkills_under_load() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = kmipd(&dir);
    let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64);
    println!("crash test seed {seed}");
    let mut rng = Lcg(seed);
    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    for round in 0..ROUNDS {
        let workers: Vec<_> = (0..3)
            .map(|w| {
                let client = server.client("client");
                let acknowledged = acknowledged.clone();
                let seed = rng.next(u64::MAX) ^ w;
                // A worker stops when the server dies under it.
                std::thread::spawn(move || load(client, seed, acknowledged))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(50 + rng.next(250)));
        server.kill();
        for worker in workers {
            worker.join().expect("the worker thread ends");
        }
        server.restart();

        let mut ack = acknowledged.lock().expect("lock");
        let mut client = server.client("client");
        // A Destroy whose answer the kill cut off happened or did not: settle which.
        for uid in std::mem::take(&mut ack.destroying) {
            if client.call(V, Operation::GET, get(&uid)).result_status != ResultStatus::SUCCESS {
                ack.keys.remove(&uid);
                ack.destroyed.push(uid);
            }
        }
        for (uid, bytes) in &ack.keys {
            let now = key_bytes(&mut client, V, uid);
            assert!(bytes.as_ref().is_none_or(|b| *b == now), "round {round}: {uid} changed (seed {seed})");
        }
        for uid in &ack.destroyed {
            let item = client.call(V, Operation::GET, get(uid));
            assert_ne!(item.result_status, ResultStatus::SUCCESS, "round {round}: destroyed {uid} came back");
        }
        for (new, old) in &ack.replaced {
            let back = links(&mut client, new);
            assert!(
                back.iter()
                    .any(|l| l.link_type == LinkType::REPLACED_OBJECT_LINK && &l.linked_object_identifier == old),
                "round {round}: {new} lost its Replaced link"
            );
        }
        // No half-made ReKey anywhere: every Replacement link has its Replaced link back.
        for uid in ack.keys.keys().chain(ack.replaced.values()) {
            for link in links(&mut client, uid).iter().filter(|l| l.link_type == LinkType::REPLACEMENT_OBJECT_LINK) {
                let back = links(&mut client, &link.linked_object_identifier);
                assert!(
                    back.iter()
                        .any(|l| l.link_type == LinkType::REPLACED_OBJECT_LINK && &l.linked_object_identifier == uid),
                    "round {round}: {uid} → {} is half a ReKey",
                    link.linked_object_identifier
                );
            }
        }
    }
    let ack = acknowledged.lock().expect("lock");
    println!(
        "{} keys, {} rekeys, {} destroys acknowledged over {ROUNDS} kills",
        ack.keys.len(),
        ack.replaced.len(),
        ack.destroyed.len()
    );
    assert!(ack.keys.len() > 20 && !ack.replaced.is_empty() && !ack.destroyed.is_empty(), "the load did all three");
}
