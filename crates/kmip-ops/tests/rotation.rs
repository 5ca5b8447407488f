//! The rotation engine under a fake clock: once per interval, once after long downtime,
//! old versions keep their bytes, and data encrypted before a rotation decrypts after it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use kmip_keystore::{KeyStore, Keyring, RootKey, SledStore, VersionOrigin};
use kmip_ops::rotation::{DAY, NewCmk};
use kmip_ops::{AuthenticatedClient, Clock, Service, ServiceConfig};
use kmip_proto::dict::{BlockCipherMode, Operation, ResultStatus};
use kmip_proto::payload::{DecryptRequest, EncryptRequest, GetRequest};
use kmip_proto::{
    CryptographicParameters, KeyMaterial, KeyValue, ProtocolVersion, RequestPayload, ResponseMessage, ResponsePayload,
    SecretBytes,
};
use kmip_test_support::message;
use ttlv::Limits;

const OWNER: &str = "CN=kmip-client-1,O=kmipd dev PKI";
const START: i64 = 1_767_225_600; // 2026-01-01

#[derive(Debug)]
struct FakeClock(AtomicI64);

impl Clock for FakeClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

impl FakeClock {
    fn advance_days(&self, days: i64) {
        self.0.fetch_add(days * DAY, Ordering::SeqCst);
    }
}

fn service(dir: &std::path::Path, clock: &Arc<FakeClock>) -> Service {
    let store: Arc<dyn KeyStore> = Arc::new(SledStore::open(dir, test_keyring()).expect("store"));
    Service::new(store, clock.clone(), ServiceConfig::default())
}

fn call(svc: &Service, operation: Operation, payload: RequestPayload) -> ResponsePayload {
    call_as(svc, OWNER, operation, payload)
}

fn call_as(svc: &Service, identity: &str, operation: Operation, payload: RequestPayload) -> ResponsePayload {
    let client = AuthenticatedClient::for_tests(identity);
    let request = message(ProtocolVersion::V2_1, vec![(operation, payload)]);
    let (bytes, _) = svc.handle(&client, &request.to_ttlv());
    let mut response = ResponseMessage::from_ttlv(&bytes, &Limits::default()).expect("decodes");
    let item = response.items.remove(0);
    assert_eq!(item.result_status, ResultStatus::SUCCESS, "{:?}", item.result_message);
    item.payload.expect("payload")
}

fn key_bytes(svc: &Service, uid: &str) -> Vec<u8> {
    let get = GetRequest::of(uid);
    let ResponsePayload::Get(got) = call(svc, Operation::GET, RequestPayload::Get(get)) else { panic!("Get") };
    match got.object.key_block().and_then(|b| b.key_value.clone()) {
        Some(KeyValue::Plain { material: KeyMaterial::Bytes(b), .. }) => b.secret_bytes().to_vec(),
        other => panic!("{other:?}"),
    }
}

fn new_cmk(svc: &Service) -> String {
    let spec =
        NewCmk { project: "dev-project".into(), owner: OWNER.into(), alias: "cmk".into(), description: String::new() };
    let key_id = svc.create_cmk(spec).expect("created").key_id;
    svc.update_cmk(&key_id, |r, now| {
        r.policy.enabled = true;
        r.policy.interval_days = 30;
        r.policy.next_rotation = Some(now + 30 * DAY);
        Ok(())
    })
    .expect("policy");
    key_id
}

#[test]
fn rotates_exactly_once_per_interval() {
    let dir = tempfile::tempdir().expect("dir");
    let clock = Arc::new(FakeClock(AtomicI64::new(START)));
    let svc = service(dir.path(), &clock);
    let key_id = new_cmk(&svc);

    clock.advance_days(29);
    assert_eq!(svc.rotation_sweep(100).expect("sweep"), 0, "not due yet");
    for interval in 1..=4u64 {
        clock.advance_days(if interval == 1 { 1 } else { 30 });
        assert_eq!(svc.rotation_sweep(100).expect("sweep"), 1, "interval {interval}");
        assert_eq!(svc.rotation_sweep(100).expect("sweep"), 0, "a second sweep at the same time rotates nothing");
        let record = svc.cmk(&key_id).expect("cmk");
        assert_eq!(record.policy.rotations, interval);
        assert_eq!(record.versions.len() as u64, interval + 1);
        assert!(record.versions.iter().skip(1).all(|v| v.origin == VersionOrigin::Automatic));
    }
}

/// A bulk import: every CMK in one commit, due one interval later, each with its own key.
#[test]
fn cmks_made_in_bulk_fall_due_together_and_rotate_once() {
    let dir = tempfile::tempdir().expect("dir");
    let clock = Arc::new(FakeClock(AtomicI64::new(START)));
    let svc = service(dir.path(), &clock);
    let specs = (0..120)
        .map(|i| NewCmk {
            project: "p".into(),
            owner: OWNER.into(),
            alias: format!("bulk-{i}"),
            description: String::new(),
        })
        .collect();
    let policy = kmip_keystore::RotationPolicy { enabled: true, interval_days: 30, ..Default::default() };
    let made = svc.create_cmks(specs, policy).expect("bulk");
    assert_eq!(made.len(), 120);
    assert!(made.iter().all(|r| r.policy.next_rotation == Some(START + 30 * DAY)));
    let mut versions: Vec<_> = made.iter().map(|r| key_bytes(&svc, &r.versions[0].uid)).collect();
    versions.sort();
    versions.dedup();
    assert_eq!(versions.len(), 120, "every CMK has a key of its own");

    clock.advance_days(30);
    let swept: usize = (0..3).map(|_| svc.rotation_sweep(50).expect("sweep")).sum();
    assert_eq!(swept, 120);
    assert_eq!(svc.rotation_sweep(50).expect("sweep"), 0);
    assert!(made.iter().all(|r| svc.cmk(&r.key_id).expect("cmk").versions.len() == 2));
}

#[test]
fn after_three_intervals_of_downtime_it_rotates_once_and_keeps_every_version() {
    let dir = tempfile::tempdir().expect("dir");
    let clock = Arc::new(FakeClock(AtomicI64::new(START)));
    let (key_id, first_uid, first_bytes) = {
        let svc = service(dir.path(), &clock);
        let key_id = new_cmk(&svc);
        let uid = svc.cmk(&key_id).expect("cmk").versions[0].uid.clone();
        let bytes = key_bytes(&svc, &uid);
        (key_id, uid, bytes)
    }; // the server goes down
    clock.advance_days(3 * 30 + 5);
    let svc = service(dir.path(), &clock); // and comes back on the same data dir
    assert_eq!(svc.rotation_sweep(100).expect("sweep"), 1);
    assert_eq!(svc.rotation_sweep(100).expect("sweep"), 0);
    let record = svc.cmk(&key_id).expect("cmk");
    assert_eq!(record.policy.rotations, 1, "once, not once per missed interval");
    assert_eq!(record.policy.next_rotation, Some(clock.now() + 30 * DAY), "the schedule restarts from now");
    assert_eq!(key_bytes(&svc, &first_uid), first_bytes, "the old UID's bytes never change");
    let current = record.current_uid().expect("current").to_owned();
    assert_ne!(key_bytes(&svc, &current), first_bytes, "the new version has new material");
}

#[test]
fn data_encrypted_before_a_rotation_decrypts_after_it() {
    let dir = tempfile::tempdir().expect("dir");
    let clock = Arc::new(FakeClock(AtomicI64::new(START)));
    let svc = service(dir.path(), &clock);
    let key_id = new_cmk(&svc);
    let uid = svc.cmk(&key_id).expect("cmk").versions[0].uid.clone();
    let gcm = || {
        Some(CryptographicParameters {
            block_cipher_mode: Some(BlockCipherMode::GCM),
            ..CryptographicParameters::default()
        })
    };
    let encrypt = encrypt_request(&uid, gcm());
    let ResponsePayload::Encrypt(sealed) = call(&svc, Operation::ENCRYPT, RequestPayload::Encrypt(encrypt)) else {
        panic!("Encrypt")
    };
    for _ in 0..3 {
        clock.advance_days(30);
        assert_eq!(svc.rotation_sweep(100).expect("sweep"), 1);
    }
    // Encrypting now, naming the first version, uses the newest one...
    let again = encrypt_request(&uid, gcm());
    let ResponsePayload::Encrypt(resealed) = call(&svc, Operation::ENCRYPT, RequestPayload::Encrypt(again)) else {
        panic!("Encrypt")
    };
    let current = svc.cmk(&key_id).expect("cmk").current_uid().expect("current").to_owned();
    assert_eq!(resealed.unique_identifier, current, "Encrypt uses the newest version");
    // ...and both ciphertexts decrypt naming the first version: Decrypt finds the version.
    for sealed in [&sealed, &resealed] {
        let decrypt = DecryptRequest {
            unique_identifier: Some(uid.clone()),
            cryptographic_parameters: gcm(),
            data: sealed.data.clone(),
            iv_counter_nonce: sealed.iv_counter_nonce.clone(),
            correlation_value: None,
            init_indicator: None,
            final_indicator: None,
            authenticated_encryption_additional_data: None,
            authenticated_encryption_tag: sealed.authenticated_encryption_tag.clone(),
        };
        let ResponsePayload::Decrypt(opened) = call(&svc, Operation::DECRYPT, RequestPayload::Decrypt(decrypt)) else {
            panic!("Decrypt")
        };
        assert_eq!(opened.data.expect("plaintext").secret_bytes(), b"database master key");
        assert_eq!(opened.unique_identifier, sealed.unique_identifier, "the version that encrypted");
    }
}

fn encrypt_request(uid: &str, parameters: Option<CryptographicParameters>) -> EncryptRequest {
    EncryptRequest {
        unique_identifier: Some(uid.into()),
        cryptographic_parameters: parameters,
        data: Some(SecretBytes::new(b"database master key".to_vec())),
        iv_counter_nonce: None,
        correlation_value: None,
        init_indicator: None,
        final_indicator: None,
        authenticated_encryption_additional_data: None,
    }
}

/// A KMIP 2.1 client turns rotation on with Set Attribute (Rotate Interval, Rotate
/// Automatic) and watches it through the Rotate attributes.
#[test]
fn a_kmip_client_turns_rotation_on_with_the_rotate_attributes() {
    use kmip_proto::payload::{CreateRequest, GetAttributesRequest, SetAttributeRequest};
    use kmip_proto::{Attribute, AttributeName, Attributes};
    use ttlv::{Tag, Value};

    let dir = tempfile::tempdir().expect("dir");
    let clock = Arc::new(FakeClock(AtomicI64::new(START)));
    let svc = service(dir.path(), &clock);
    let create = CreateRequest {
        object_type: kmip_proto::dict::ObjectType::SYMMETRIC_KEY,
        attributes: Attributes {
            list: vec![
                Attribute::new(Tag::CRYPTOGRAPHIC_ALGORITHM, Value::Enumeration(3)),
                Attribute::new(Tag::CRYPTOGRAPHIC_LENGTH, Value::Integer(256)),
            ],
            template_names: Vec::new(),
        },
        protection_storage_masks: None,
    };
    let ResponsePayload::Create(created) = call(&svc, Operation::CREATE, RequestPayload::Create(create)) else {
        panic!("Create")
    };
    let uid = created.unique_identifier;
    for attribute in [
        Attribute::new(Tag::ROTATE_INTERVAL, Value::Interval(30 * 86_400)),
        Attribute::new(Tag::ROTATE_AUTOMATIC, Value::Boolean(true)),
    ] {
        let set = SetAttributeRequest { unique_identifier: Some(uid.clone()), attribute };
        call(&svc, Operation::SET_ATTRIBUTE, RequestPayload::SetAttribute(set));
    }
    clock.advance_days(30);
    assert_eq!(svc.rotation_sweep(100).expect("sweep"), 1);

    let read = |uid: &str| {
        let names = [Tag::ROTATE_GENERATION, Tag::ROTATE_LATEST, Tag::ROTATE_AUTOMATIC, Tag::LINK]
            .map(AttributeName::Standard)
            .to_vec();
        let request = GetAttributesRequest { unique_identifier: Some(uid.to_owned()), names };
        let ResponsePayload::GetAttributes(attrs) =
            call(&svc, Operation::GET_ATTRIBUTES, RequestPayload::GetAttributes(request))
        else {
            panic!("Get Attributes")
        };
        attrs.attributes
    };
    let old = read(&uid);
    let value =
        |attrs: &[Attribute], tag: Tag| attrs.iter().find(|a| a.tag() == Some(tag)).map(|a| a.value.value.clone());
    assert_eq!(value(&old, Tag::ROTATE_GENERATION), Some(Value::Integer(1)));
    assert_eq!(value(&old, Tag::ROTATE_LATEST), Some(Value::Boolean(false)));
    let link = old.iter().find(|a| a.tag() == Some(Tag::LINK)).expect("a Replacement link");
    let new_uid = match &link.value.child(Tag::LINKED_OBJECT_IDENTIFIER).expect("target").value {
        Value::TextString(t) => t.clone(),
        other => panic!("{other:?}"),
    };
    let new = read(&new_uid);
    assert_eq!(value(&new, Tag::ROTATE_GENERATION), Some(Value::Integer(2)));
    assert_eq!(value(&new, Tag::ROTATE_LATEST), Some(Value::Boolean(true)));
    assert_eq!(value(&new, Tag::ROTATE_AUTOMATIC), Some(Value::Boolean(true)));
}

/// Opt-in: versions older than the CMK's setting are deactivated at rotation, never the
/// current one; without the setting every version stays Active (F2).
#[test]
fn old_versions_are_deactivated_only_when_the_key_opts_in() {
    use kmip_proto::AttributeName;
    use kmip_proto::payload::GetAttributesRequest;
    use ttlv::{Tag, Value};

    let dir = tempfile::tempdir().expect("dir");
    let clock = Arc::new(FakeClock(AtomicI64::new(START)));
    let svc = service(dir.path(), &clock);
    let state = |uid: &str| {
        let request = GetAttributesRequest {
            unique_identifier: Some(uid.to_owned()),
            names: vec![AttributeName::Standard(Tag::STATE)],
        };
        let ResponsePayload::GetAttributes(attrs) =
            call(&svc, Operation::GET_ATTRIBUTES, RequestPayload::GetAttributes(request))
        else {
            panic!("Get Attributes")
        };
        attrs.attributes[0].value.value.clone()
    };
    let active = Value::Enumeration(kmip_proto::dict::State::ACTIVE.0);
    let key_id = new_cmk(&svc);
    for _ in 0..3 {
        clock.advance_days(30);
        svc.rotation_sweep(100).expect("sweep");
    }
    let record = svc.cmk(&key_id).expect("cmk");
    assert!(record.versions.iter().all(|v| state(&v.uid) == active), "by default every version stays Active");

    svc.update_cmk(&key_id, |r, _| {
        r.policy.deactivate_after_days = Some(45);
        Ok(())
    })
    .expect("opt in");
    clock.advance_days(30);
    svc.rotation_sweep(100).expect("sweep");
    let record = svc.cmk(&key_id).expect("cmk");
    let states: Vec<Value> = record.versions.iter().map(|v| state(&v.uid)).collect();
    // Versions made 120, 90 and 60 days ago are past 45 days; the one from 30 days ago and the
    // new current one stay Active.
    let deactivated = Value::Enumeration(kmip_proto::dict::State::DEACTIVATED.0);
    assert_eq!(states, [deactivated.clone(), deactivated.clone(), deactivated, active.clone(), active]);
}

/// A root key for tests: fixed, and nowhere near a data dir that matters.
fn test_keyring() -> Arc<Keyring> {
    let key = RootKey::from_bytes(&kmip_proto::SecretBytes::new(vec![0x42; 32])).expect("a root key");
    Arc::new(Keyring::new(key, Vec::new()))
}

/// A CMK of `project` rotating every `days`.
fn cmk_every(svc: &Service, project: &str, alias: &str, days: u32) -> String {
    let spec = NewCmk { project: project.into(), owner: OWNER.into(), alias: alias.into(), description: String::new() };
    let key_id = svc.create_cmk(spec).expect("created").key_id;
    svc.update_cmk(&key_id, |r, now| {
        r.policy.enabled = true;
        r.policy.interval_days = days;
        r.policy.next_rotation = Some(now + i64::from(days) * DAY);
        Ok(())
    })
    .expect("policy");
    key_id
}

#[test]
fn the_calendar_lists_keys_in_order_and_the_overdue_gauge_follows_the_sweeps() {
    let dir = tempfile::tempdir().expect("dir");
    let clock = Arc::new(FakeClock(AtomicI64::new(START)));
    let svc = service(dir.path(), &clock);
    let ninety = cmk_every(&svc, "p1", "ninety", 90);
    let thirty = cmk_every(&svc, "p1", "thirty", 30);
    let sixty = cmk_every(&svc, "p1", "sixty", 60);
    let other = cmk_every(&svc, "p2", "other project", 45);
    let mine = |r: &kmip_keystore::CmkRecord| r.project == "p1";

    // Within 61 days: thirty, then sixty; ninety is beyond; p2's key is not p1's.
    let page = svc.rotation_schedule(61 * DAY, None, 10, mine).expect("calendar");
    let ids: Vec<&str> = page.rotations.iter().map(|r| r.record.key_id.as_str()).collect();
    assert_eq!(ids, [thirty.as_str(), sixty.as_str()]);
    assert!(page.rotations.iter().all(|r| !r.overdue) && page.next_marker.is_none());
    // Paging: one at a time, in the same order.
    let first = svc.rotation_schedule(365 * DAY, None, 1, mine).expect("page 1");
    let marker = first.next_marker.as_deref().and_then(kmip_ops::schedule::parse_marker);
    let second = svc.rotation_schedule(365 * DAY, marker, 2, mine).expect("page 2");
    let paged: Vec<&str> = first.rotations.iter().chain(&second.rotations).map(|r| r.record.key_id.as_str()).collect();
    assert_eq!(paged, [thirty.as_str(), sixty.as_str(), ninety.as_str()]);
    assert_eq!(svc.rotation_gauges(1000).expect("gauges"), (0, Some(START + 30 * DAY)));

    // The scheduler stops; time passes: the overdue gauge rises, and the calendar says so.
    clock.advance_days(61);
    assert_eq!(svc.rotation_gauges(1000).expect("gauges").0, 3, "thirty, other and sixty are overdue");
    let page = svc.rotation_schedule(DAY, None, 10, |_| true).expect("calendar");
    assert!(page.rotations.iter().take(3).all(|r| r.overdue), "overdue keys first");
    assert!(page.rotations.iter().any(|r| r.record.key_id == other));
    // One sweep: they rotate, and the gauge falls.
    assert_eq!(svc.rotation_sweep(100).expect("sweep"), 3);
    let (overdue, next) = svc.rotation_gauges(1000).expect("gauges");
    assert_eq!(overdue, 0);
    assert_eq!(next, Some(START + 90 * DAY), "ninety is now the soonest");
}

/// Caps the CMK's encryptions per version.
fn cap(svc: &Service, key_id: &str, cap: u64) -> kmip_keystore::CmkRecord {
    svc.update_cmk(key_id, |r, _| {
        r.policy.max_encryptions = Some(cap);
        Ok(())
    })
    .expect("cap")
}

/// Encrypts naming `uid` with AES-GCM; the UID of the version that encrypted.
fn encrypt_with(svc: &Service, uid: &str) -> String {
    let gcm = CryptographicParameters { block_cipher_mode: Some(BlockCipherMode::GCM), ..Default::default() };
    let request = encrypt_request(uid, Some(gcm));
    match call(svc, Operation::ENCRYPT, RequestPayload::Encrypt(request)) {
        ResponsePayload::Encrypt(sealed) => sealed.unique_identifier,
        other => panic!("Encrypt: {other:?}"),
    }
}

#[test]
fn a_capped_key_rotates_at_exactly_its_encryption_limit_with_one_write_per_block() {
    let dir = tempfile::tempdir().expect("dir");
    let clock = Arc::new(FakeClock(AtomicI64::new(START)));
    let svc = service(dir.path(), &clock);
    let key_id = new_cmk(&svc);
    let record = cap(&svc, &key_id, 1_000);
    let first = record.versions[0].uid.clone();
    let revision = svc.cmk(&key_id).expect("cmk").revision;
    for n in 1..=1_000 {
        assert_eq!(encrypt_with(&svc, &first), first, "encryption {n} is the first version's");
        if n < 1_000 {
            assert_eq!(svc.cmk(&key_id).expect("cmk").versions.len(), 1, "no rotation after {n}");
        }
    }
    let record = svc.cmk(&key_id).expect("cmk");
    assert_eq!(record.versions.len(), 2, "rotated at the 1,000th");
    assert_eq!(record.versions[1].origin, VersionOrigin::UsageLimit);
    assert_eq!(record.policy.encryptions_reserved, 0, "the new version's count starts afresh");
    // One write reserved the block, one rotated: not a write per encryption.
    assert_eq!(record.revision, revision + 2);
    let second = record.versions[1].uid.clone();
    assert_eq!(encrypt_with(&svc, &first), second, "the 1,001st uses the new version");
}

#[test]
fn a_block_a_restart_leaves_unused_counts_as_used() {
    let dir = tempfile::tempdir().expect("dir");
    let clock = Arc::new(FakeClock(AtomicI64::new(START)));
    let (key_id, first) = {
        let svc = service(dir.path(), &clock);
        let key_id = new_cmk(&svc);
        let record = cap(&svc, &key_id, 10);
        let first = record.versions[0].uid.clone();
        for _ in 0..3 {
            assert_eq!(encrypt_with(&svc, &first), first);
        }
        (key_id, first)
    }; // the node stops with 7 of its 10 reserved uses unused
    let svc = service(dir.path(), &clock);
    // Those 7 may have been used before a crash: the version's cap is spent, so it rotates.
    let used = encrypt_with(&svc, &first);
    let record = svc.cmk(&key_id).expect("cmk");
    assert_eq!(record.versions.len(), 2);
    assert_eq!(used, record.versions[1].uid, "never more than 10 under the first version");
}

#[test]
fn consumers_show_each_clients_version_and_an_old_version_retires_once_both_moved_on() {
    const OTHER: &str = "CN=kmip-client-2,O=kmipd dev PKI";
    let dir = tempfile::tempdir().expect("dir");
    let clock = Arc::new(FakeClock(AtomicI64::new(START)));
    let store: Arc<dyn KeyStore> = Arc::new(SledStore::open(dir.path(), test_keyring()).expect("store"));
    // The second client reads the first's keys as an admin would (a backup agent, say).
    let config = ServiceConfig { admins: vec![OTHER.into()], ..ServiceConfig::default() };
    let svc = Service::new(store, clock.clone(), config);
    let key_id = new_cmk(&svc);
    svc.update_cmk(&key_id, |r, _| {
        r.policy.deactivate_after_days = Some(1);
        Ok(())
    })
    .expect("opt in");
    let get = |identity: &str, uid: &str| {
        call_as(&svc, identity, Operation::GET, RequestPayload::Get(GetRequest::of(uid)));
    };
    let version = |n: usize| svc.cmk(&key_id).expect("cmk").versions[n].uid.clone();
    let state = |uid: &str| {
        let request = kmip_proto::payload::GetAttributesRequest {
            unique_identifier: Some(uid.into()),
            names: vec![kmip_proto::AttributeName::Standard(ttlv::Tag::STATE)],
        };
        match call(&svc, Operation::GET_ATTRIBUTES, RequestPayload::GetAttributes(request)) {
            ResponsePayload::GetAttributes(r) => r.attributes[0].value.value.clone(),
            other => panic!("{other:?}"),
        }
    };
    let active = ttlv::Value::Enumeration(kmip_proto::dict::State::ACTIVE.0);

    get(OWNER, &version(0));
    get(OTHER, &version(0));
    clock.advance_days(30);
    assert_eq!(svc.rotation_sweep(10).expect("sweep"), 1);
    get(OWNER, &version(1)); // the first client moves on; the second keeps to version 1
    clock.advance_days(29);
    get(OTHER, &version(0));
    let consumers = svc.consumers_of(&key_id).expect("consumers");
    let seen: Vec<(&str, i32)> = consumers.iter().map(|c| (c.identity.as_str(), c.generation)).collect();
    assert_eq!(seen, [(OWNER, 2), (OTHER, 1)]);
    let record = svc.cmk(&key_id).expect("cmk");
    assert!(!svc.safe_to_retire(&record, &consumers, &version(0), clock.now()), "the second client uses it");
    clock.advance_days(1);
    assert_eq!(svc.rotation_sweep(10).expect("sweep"), 1);
    assert_eq!(state(&version(0)), active, "version 1 waits for the second client");

    get(OTHER, &version(2)); // now both have moved on
    clock.advance_days(30);
    assert_eq!(svc.rotation_sweep(10).expect("sweep"), 1);
    assert_eq!(state(&version(0)), ttlv::Value::Enumeration(kmip_proto::dict::State::DEACTIVATED.0));
    assert_eq!(state(&version(2)), active, "the version a client uses stays");
}

#[test]
fn a_client_switching_versions_within_the_hour_is_written_once_that_hour() {
    let dir = tempfile::tempdir().expect("dir");
    let clock = Arc::new(FakeClock(AtomicI64::new(START)));
    let store: Arc<dyn KeyStore> = Arc::new(SledStore::open(dir.path(), test_keyring()).expect("store"));
    let svc = Service::new(store.clone(), clock.clone(), ServiceConfig::default());
    // A second node on the same store sees only what was written.
    let other_node = Service::new(store, clock.clone(), ServiceConfig::default());
    let key_id = new_cmk(&svc);
    let version = |n: usize| svc.cmk(&key_id).expect("cmk").versions[n].uid.clone();
    let written = || other_node.consumers_of(&key_id).expect("consumers")[0].version.clone();
    key_bytes(&svc, &version(0));
    assert_eq!(written(), version(0), "the first use of the hour is written at once");
    svc.rotate_cmk(&key_id, VersionOrigin::OnDemand).expect("rotate");
    key_bytes(&svc, &version(1));
    assert_eq!(written(), version(0), "a second use within the hour waits");
    assert_eq!(svc.consumers_of(&key_id).expect("consumers")[0].version, version(1), "this node knows");
    svc.flush_consumers(false);
    assert_eq!(written(), version(0), "a flush within the hour writes nothing");
    clock.0.fetch_add(3_600, Ordering::SeqCst);
    svc.flush_consumers(false);
    assert_eq!(written(), version(1), "the next hour's flush writes it");
}
