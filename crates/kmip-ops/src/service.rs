//! The service: one entry point from request bytes to response bytes, the batch loop, and
//! the one `match` on the operation.

use std::sync::Arc;

use kmip_keystore::{Change, KeyStore, StoreError, StoredObject};
use kmip_proto::dict::{BatchErrorContinuationOption, Operation, ResultReason, ResultStatus};
use kmip_proto::{
    DateTime, DecodedRequest, ProtocolVersion, RequestBatchItem, RequestHeader, RequestPayload as Req,
    ResponseBatchItem, ResponseHeader, ResponseMessage, ResponsePayload as Resp, decode_request,
};
use ring::rand::SystemRandom;
use ttlv::{DecodeError, Limits};

use crate::deferred::{DeferredCommit, Refusal, Served};
use crate::{AuthenticatedClient, Clock, OpError, ops};

/// How many times one batch item runs when its commit keeps losing to concurrent changes.
const ITEM_ATTEMPTS: u32 = 3;

/// What the service is configured with.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// Client subjects that may read every object (an admin role).
    pub admins: Vec<String>,
    /// Decoding caps for requests.
    pub limits: Limits,
    /// The largest response the server sends, whatever a client's Maximum Response Size.
    pub max_response_size: usize,
    /// Vendor Identification, for Query.
    pub vendor: String,
    /// Most batch items in one request.
    pub max_batch_items: usize,
    /// Most attributes one request may give an object, or filter a Locate on.
    pub max_attributes: usize,
    /// Most objects one Locate may match.
    pub max_locate_results: usize,
    /// Days without a use after which a client no longer holds a CMK version back from
    /// retirement ([`crate::consumers`]).
    pub retire_after_unused_days: u32,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            admins: Vec::new(),
            limits: Limits::default(),
            max_response_size: Limits::DEFAULT_MAX_MESSAGE_SIZE,
            vendor: "kmipd".into(),
            // Real clients batch a handful of items (vCenter: Create with Activate); 256 is far
            // more, and bounds what one message can make the server do.
            max_batch_items: 256,
            // A key with every KMIP attribute and a few dozen names and groups stays under 200.
            max_attributes: 512,
            max_locate_results: 10_000,
            retire_after_unused_days: 30,
        }
    }
}

/// The KMIP service over one key store.
#[derive(Debug)]
pub struct Service {
    pub(crate) store: Arc<dyn KeyStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: SystemRandom,
    pub(crate) config: ServiceConfig,
    /// Serialises changes to CMKs within this node (see `rotation`).
    pub(crate) cmk_lock: std::sync::Mutex<()>,
    /// Counters for `/metrics`.
    pub(crate) metrics: Metrics,
    /// Encryptions this node has reserved for capped CMK versions.
    pub(crate) usage: crate::usage_rotation::UsageCounters,
    /// The consumer entries this node wrote lately.
    pub(crate) consumers: crate::consumers::ConsumerCache,
}

/// What the service counts, for Prometheus.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Rotations the scheduler made.
    pub rotations_automatic: std::sync::atomic::AtomicU64,
    /// Rotations asked for (API, KMIP ReKey).
    pub rotations_on_demand: std::sync::atomic::AtomicU64,
    /// Sweeps run.
    pub sweeps: std::sync::atomic::AtomicU64,
}

/// What one request did, for the audit trail and the connection's log: never key material.
#[derive(Debug, Clone)]
pub struct ItemOutcome {
    /// The operation, when it decoded.
    pub operation: Option<Operation>,
    /// The object the item acted on, when there is one.
    pub unique_identifier: Option<String>,
    /// Success, or the reason it failed.
    pub result: Result<(), ResultReason>,
    /// The protocol version the item was answered in; `None` when the message did not decode.
    pub version: Option<ProtocolVersion>,
}

/// The state of one request being served.
pub(crate) struct Ctx<'a> {
    pub(crate) svc: &'a Service,
    pub(crate) client: &'a AuthenticatedClient,
    pub(crate) version: ProtocolVersion,
    pub(crate) now: i64,
    /// The ID Placeholder: the identifier the previous batch item produced.
    ///
    /// > KMIP 1.4 §3.1: "The ID Placeholder is ... used to hold the Unique Identifier of the
    /// > object that was created or located by the previous operation in a batch".
    pub(crate) placeholder: Option<String>,
    /// The caller commits this item's inserts ([`Service::serve_deferring`]).
    may_defer: bool,
    /// The inserts left to the caller.
    deferred: Option<Vec<Change>>,
}

impl Ctx<'_> {
    /// The identifier an item acts on: its own, or the ID Placeholder.
    pub(crate) fn uid(&self, given: Option<String>) -> Result<String, OpError> {
        given.or_else(|| self.placeholder.clone()).ok_or_else(|| {
            OpError::InvalidField("no Unique Identifier, and no ID Placeholder from an earlier batch item".into())
        })
    }

    /// Stores new objects, all or none: commits their inserts, or, when the caller commits
    /// for this item, leaves them to it ([`crate::deferred`]). The last thing an item does.
    pub(crate) fn insert_new(&mut self, objects: Vec<StoredObject>) -> Result<(), OpError> {
        let changes: Vec<Change> = objects.into_iter().map(Change::Insert).collect();
        if self.may_defer && self.deferred.is_none() {
            self.deferred = Some(changes);
            return Ok(());
        }
        Ok(self.svc.store.commit(changes)?)
    }

    pub(crate) fn is_admin(&self) -> bool {
        self.svc.config.admins.iter().any(|a| a == self.client.subject())
    }

    /// The object, if this client may read it (its owner, or an admin).
    pub(crate) fn load_readable(&self, uid: &str) -> Result<StoredObject, OpError> {
        let object = self.svc.store.get(uid)?.ok_or_else(|| OpError::NotFound(uid.to_owned()))?;
        if object.owner != self.client.subject() && !self.is_admin() {
            return Err(OpError::PermissionDenied("the object belongs to another client"));
        }
        Ok(object)
    }

    /// The object, if this client may change it or use it (its owner only).
    pub(crate) fn load_owned(&self, uid: &str) -> Result<StoredObject, OpError> {
        let object = self.svc.store.get(uid)?.ok_or_else(|| OpError::NotFound(uid.to_owned()))?;
        if object.owner != self.client.subject() {
            return Err(OpError::PermissionDenied("the object belongs to another client"));
        }
        Ok(object)
    }

    /// Whether Locate may show this object to this client.
    pub(crate) fn may_see(&self, object: &StoredObject) -> bool {
        object.owner == self.client.subject() || self.is_admin()
    }
}

/// A request message decoded by [`Service::decode`], or why it did not decode.
#[derive(Debug)]
pub struct Request(Result<DecodedRequest, DecodeError>);

impl Service {
    /// A service over `store`, with `clock` for every date it sets or honours.
    pub fn new(store: Arc<dyn KeyStore>, clock: Arc<dyn Clock>, config: ServiceConfig) -> Self {
        Service {
            store,
            clock,
            rng: SystemRandom::new(),
            config,
            cmk_lock: std::sync::Mutex::new(()),
            metrics: Metrics::default(),
            usage: Default::default(),
            consumers: Default::default(),
        }
    }

    /// The service's counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// How many objects `owner` owns, counted from the owner index up to `cap`.
    pub fn objects_owned(&self, owner: &str, cap: usize) -> Result<usize, OpError> {
        Ok(self.store.scan(&kmip_keystore::IndexKey::Owner(owner.to_owned()), None, cap)?.len())
    }

    /// Serves one request message: always returns a response message, in the request's
    /// protocol version when the server speaks it.
    pub fn handle(&self, client: &AuthenticatedClient, request: &[u8]) -> (Vec<u8>, Vec<ItemOutcome>) {
        self.serve(client, self.decode(request))
    }

    /// Decodes a request message, to be served by [`Service::serve`]; decoding never fails
    /// here, a message that does not decode is answered by `serve`.
    pub fn decode(&self, request: &[u8]) -> Request {
        Request(decode_request(request, &self.config.limits))
    }

    /// Whether `request` is cheap to serve and never waits for a disk or a network, with a
    /// store that keeps its reads in memory: a few reads, or a lone item that only inserts
    /// new objects, whose commit [`Service::serve_deferring`] leaves to the caller. The
    /// listener serves such a request on the async thread that read it; handing every Get to
    /// a blocking thread cost more CPU than the Get (a wake-up and a context switch each way).
    ///
    /// Only reads of one object or of none qualify (Get, GetAttributes, GetAttributeList,
    /// Query, Discover Versions), and Create and Register. Other writes wait for a flush; an
    /// Encrypt or Sign may be an RSA private-key operation of milliseconds, as is making a
    /// key pair; a Locate whose filters the index does not narrow reads every object under
    /// it, which with a million keys takes seconds. A read that does write (a CMK version's
    /// first use of the hour is recorded durably) still may, which is why the store the
    /// server gives an inline request steps off the async thread for a commit.
    pub fn serves_inline(&self, request: &Request) -> bool {
        const READS: [Operation; 5] = [
            Operation::GET,
            Operation::GET_ATTRIBUTES,
            Operation::GET_ATTRIBUTE_LIST,
            Operation::QUERY,
            Operation::DISCOVER_VERSIONS,
        ];
        const INSERTS: [Operation; 2] = [Operation::CREATE, Operation::REGISTER];
        const MAX_INLINE_ITEMS: usize = 4;
        let Ok(decoded) = &request.0 else { return true }; // answered with an error at once
        let operation = |item: &Result<RequestBatchItem, _>| item.as_ref().ok().map(|item| item.operation);
        let reads = decoded.items.len() <= MAX_INLINE_ITEMS
            && decoded.items.iter().all(|item| operation(item).is_some_and(|op| READS.contains(&op)));
        let lone_insert =
            matches!(decoded.items.as_slice(), [item] if operation(item).is_some_and(|op| INSERTS.contains(&op)));
        self.store.reads_in_memory() && (reads || lone_insert)
    }

    /// Serves a decoded request message (see [`Service::handle`]).
    pub fn serve(&self, client: &AuthenticatedClient, request: Request) -> (Vec<u8>, Vec<ItemOutcome>) {
        let served = self.serve_with(client, request, false);
        debug_assert!(served.commit.is_none(), "nothing is deferred unless asked");
        (served.response, served.outcomes)
    }

    /// Serves a decoded request message, but leaves the commit of a lone item that only
    /// inserts new objects to the caller ([`crate::deferred`]): the response may be sent only
    /// once that commit is durable.
    pub fn serve_deferring(&self, client: &AuthenticatedClient, request: Request) -> Served {
        self.serve_with(client, request, true)
    }

    fn serve_with(&self, client: &AuthenticatedClient, request: Request, deferring: bool) -> Served {
        let now = self.clock.now();
        let decoded = match request.0 {
            Ok(d) => d,
            Err(e) => {
                // No header to answer in: answer in 1.0, which every client reads.
                let item = ResponseBatchItem::failure(None, None, ResultReason::INVALID_MESSAGE, e.to_string());
                let outcome = ItemOutcome {
                    operation: None,
                    unique_identifier: None,
                    result: Err(ResultReason::INVALID_MESSAGE),
                    version: None,
                };
                let response = self.respond(ProtocolVersion::V1_0, now, None, vec![item]);
                return Served { response, outcomes: vec![outcome], commit: None };
            }
        };
        let header = decoded.header;
        let version = negotiate(header.protocol_version);
        let header_problem = header_problem(&header, decoded.items.len(), self.config.max_batch_items);
        // A later item may act on an earlier one's object (the ID Placeholder), so only a lone
        // item's commit can wait for the response.
        let lone = match decoded.items.as_slice() {
            [Ok(item)] if deferring && header_problem.is_none() => {
                Some((item.operation, item.unique_batch_item_id.clone()))
            }
            _ => None,
        };
        let may_defer = lone.is_some();
        let mut ctx = Ctx { svc: self, client, version, now, placeholder: None, may_defer, deferred: None };
        let mut items = Vec::with_capacity(decoded.items.len());
        let mut outcomes = Vec::with_capacity(decoded.items.len());
        let stop_on_error =
            !matches!(header.batch_error_continuation_option, Some(BatchErrorContinuationOption::CONTINUE));
        for item in decoded.items {
            let (reply, outcome) = match (item, &header_problem) {
                (Ok(item), None) => self.run_item(&mut ctx, item),
                (Ok(item), Some(problem)) => failed(
                    version,
                    Some(item.operation),
                    item.unique_batch_item_id,
                    &OpError::InvalidMessage(problem.clone()),
                ),
                (Err(e), _) => failed(version, e.operation, e.unique_batch_item_id, &OpError::from_decode(&e.error)),
            };
            let failed = reply.result_status != ResultStatus::SUCCESS;
            items.push(reply);
            outcomes.push(outcome);
            // > KMIP 1.4 §6.14: "Stop: ... stop processing subsequent operations". Undo is
            // > not offered (Query says so): a committed change is durable, so it is Stop.
            if failed && stop_on_error {
                break;
            }
        }
        let correlation = header.client_correlation_value.clone();
        let mut response = self.respond(version, now, correlation.clone(), items);
        let cap = header
            .maximum_response_size
            .map_or(self.config.max_response_size, |m| (m.max(0) as usize).min(self.config.max_response_size));
        if response.len() > cap {
            // The item failed: what it would have stored is not.
            ctx.deferred = None;
            response = self.too_large(version, now, correlation.clone(), &mut outcomes);
        }
        let commit = match (ctx.deferred, lone) {
            (Some(changes), Some((operation, id))) => {
                Some(DeferredCommit { changes, refusal: Refusal { version, now, correlation, operation, id } })
            }
            _ => None,
        };
        Served { response, outcomes, commit }
    }

    fn run_item(&self, ctx: &mut Ctx<'_>, item: RequestBatchItem) -> (ResponseBatchItem, ItemOutcome) {
        let operation = item.operation;
        let id = item.unique_batch_item_id;
        // An item whose commit lost to a concurrent change of the same object (a Destroy
        // between this ReKey's read and its write; another node) changed nothing: run it
        // again on what is stored now, which may well fail it for a better reason.
        let mut attempt = 1;
        let result = loop {
            match dispatch(ctx, item.payload.clone()) {
                Err(OpError::Store(StoreError::Conflict(reason))) if attempt < ITEM_ATTEMPTS => {
                    tracing::debug!(?operation, attempt, %reason, "a concurrent change won; running the item again");
                    attempt += 1;
                }
                other => break other,
            }
        };
        match result {
            Ok((payload, uid)) => {
                if let Some(uid) = &uid {
                    ctx.placeholder = Some(uid.clone());
                }
                let outcome = ItemOutcome {
                    operation: Some(operation),
                    unique_identifier: uid,
                    result: Ok(()),
                    version: Some(ctx.version),
                };
                (ResponseBatchItem::success(operation, id, payload), outcome)
            }
            Err(e) => {
                ctx.deferred = None;
                failed(ctx.version, Some(operation), id, &e)
            }
        }
    }

    pub(crate) fn respond(
        &self,
        version: ProtocolVersion,
        now: i64,
        correlation: Option<String>,
        items: Vec<ResponseBatchItem>,
    ) -> Vec<u8> {
        ResponseMessage {
            header: ResponseHeader {
                protocol_version: version,
                time_stamp: DateTime(now),
                nonce: None,
                server_hashed_password: None,
                attestation_types: Vec::new(),
                client_correlation_value: if version >= ProtocolVersion::V1_4 { correlation } else { None },
                server_correlation_value: None,
                batch_count: items.len() as i32,
            },
            items,
        }
        .to_ttlv()
    }

    /// > KMIP 1.4 §7.1: "If the response ... exceeds the Maximum Response Size ... the server
    /// > SHALL return a Result Status of Operation Failed and a Result Reason of Response Too
    /// > Large".
    fn too_large(
        &self,
        version: ProtocolVersion,
        now: i64,
        correlation: Option<String>,
        outcomes: &mut [ItemOutcome],
    ) -> Vec<u8> {
        let items = outcomes
            .iter_mut()
            .map(|o| {
                o.result = Err(ResultReason::RESPONSE_TOO_LARGE);
                ResponseBatchItem::failure(o.operation, None, ResultReason::RESPONSE_TOO_LARGE, "TOO_LARGE".into())
            })
            .collect();
        self.respond(version, now, correlation, items)
    }
}

/// The one `match` on the operation: each arm hands a typed payload to its operation's
/// module and gets a typed payload back, with the identifier it acted on.
fn dispatch(ctx: &mut Ctx<'_>, payload: Req) -> Result<(Resp, Option<String>), OpError> {
    use ops::*;
    Ok(match payload {
        Req::DiscoverVersions(r) => (Resp::DiscoverVersions(discover::discover_versions(r)), None),
        Req::Query(r) => (Resp::Query(discover::query(ctx, r)), None),
        Req::Create(r) => with_uid(create::create(ctx, r)?, |p| &p.unique_identifier, Resp::Create),
        Req::CreateKeyPair(r) => {
            let created = keypair::create_key_pair(ctx, r)?;
            let private = created.private_key_unique_identifier.clone();
            (Resp::CreateKeyPair(created), Some(private))
        }
        Req::ReKeyKeyPair(r) => {
            let created = keypair::rekey_key_pair(ctx, r)?;
            let private = created.private_key_unique_identifier.clone();
            (Resp::ReKeyKeyPair(created), Some(private))
        }
        Req::Register(r) => with_uid(create::register(ctx, r)?, |p| &p.unique_identifier, Resp::Register),
        Req::Get(r) => with_uid(read::get(ctx, r)?, |p| &p.unique_identifier, Resp::Get),
        Req::GetAttributes(r) => with_uid(read::get_attributes(ctx, r)?, |p| &p.unique_identifier, Resp::GetAttributes),
        Req::GetAttributeList(r) => {
            with_uid(read::get_attribute_list(ctx, r)?, |p| &p.unique_identifier, Resp::GetAttributeList)
        }
        Req::AddAttribute(r) => with_uid(attributes::add(ctx, r)?, |p| &p.unique_identifier, Resp::AddAttribute),
        Req::SetAttribute(r) => with_uid(attributes::set(ctx, r)?, |p| &p.unique_identifier, Resp::SetAttribute),
        Req::ModifyAttribute(r) => {
            with_uid(attributes::modify(ctx, r)?, |p| &p.unique_identifier, Resp::ModifyAttribute)
        }
        Req::DeleteAttribute(r) => {
            with_uid(attributes::delete(ctx, r)?, |p| &p.unique_identifier, Resp::DeleteAttribute)
        }
        Req::Locate(r) => {
            let found = locate::locate(ctx, r)?;
            let first = found.unique_identifiers.first().cloned();
            (Resp::Locate(found), first)
        }
        Req::Activate(r) => with_uid(lifecycle::activate(ctx, r)?, |p| &p.unique_identifier, Resp::Activate),
        Req::Revoke(r) => with_uid(lifecycle::revoke(ctx, r)?, |p| &p.unique_identifier, Resp::Revoke),
        Req::Destroy(r) => with_uid(lifecycle::destroy(ctx, r)?, |p| &p.unique_identifier, Resp::Destroy),
        Req::ReKey(r) => with_uid(lifecycle::rekey(ctx, r)?, |p| &p.unique_identifier, Resp::ReKey),
        Req::Check(r) => with_uid(lifecycle::check(ctx, r)?, |p| &p.unique_identifier, Resp::Check),
        Req::Encrypt(r) => with_uid(crypto::encrypt(ctx, r)?, |p| &p.unique_identifier, Resp::Encrypt),
        Req::Decrypt(r) => with_uid(crypto::decrypt(ctx, r)?, |p| &p.unique_identifier, Resp::Decrypt),
        Req::Mac(r) => with_uid(crypto::mac(ctx, r)?, |p| &p.unique_identifier, Resp::Mac),
        Req::MacVerify(r) => with_uid(crypto::mac_verify(ctx, r)?, |p| &p.unique_identifier, Resp::MacVerify),
        Req::Sign(r) => with_uid(sign::sign(ctx, r)?, |p| &p.unique_identifier, Resp::Sign),
        Req::SignatureVerify(r) => {
            with_uid(sign::signature_verify(ctx, r)?, |p| &p.unique_identifier, Resp::SignatureVerify)
        }
        Req::DeriveKey(r) => with_uid(derive::derive_key(ctx, r)?, |p| &p.unique_identifier, Resp::DeriveKey),
        Req::Hash(r) => (Resp::Hash(crypto::hash(r)?), None),
        Req::RngRetrieve(r) => (Resp::RngRetrieve(crypto::rng_retrieve(ctx, r)?), None),
        _ => return Err(OpError::OperationNotSupported),
    })
}

fn with_uid<P>(payload: P, uid: impl Fn(&P) -> &String, wrap: impl Fn(P) -> Resp) -> (Resp, Option<String>) {
    let id = uid(&payload).clone();
    (wrap(payload), Some(id))
}

pub(crate) fn failed(
    version: ProtocolVersion,
    operation: Option<Operation>,
    id: Option<Vec<u8>>,
    e: &OpError,
) -> (ResponseBatchItem, ItemOutcome) {
    // The client hears "internal storage failure"; the operator reads why here.
    if let OpError::Store(inner) = e {
        tracing::error!(?operation, error = %inner, "store failure");
    }
    let reason = e.reason(version);
    let outcome = ItemOutcome { operation, unique_identifier: None, result: Err(reason), version: Some(version) };
    (ResponseBatchItem::failure(operation, id, reason, e.client_message()), outcome)
}

/// The version to answer in: the request's when the server speaks it, else the newest the
/// server speaks below it (a 1.5 client gets 1.4), else 1.0.
fn negotiate(requested: ProtocolVersion) -> ProtocolVersion {
    ProtocolVersion::SUPPORTED
        .into_iter()
        .find(|v| *v <= requested && v.major == requested.major)
        .or_else(|| ProtocolVersion::SUPPORTED.into_iter().find(|v| *v <= requested))
        .unwrap_or(ProtocolVersion::V1_0)
}

/// A header that makes every item fail: a version the server does not speak, or a Batch
/// Count that disagrees with the items that came.
fn header_problem(header: &RequestHeader, items: usize, max_items: usize) -> Option<String> {
    if !header.protocol_version.is_supported() {
        return Some(format!("protocol version {} is not supported", header.protocol_version));
    }
    if items > max_items {
        return Some(format!("{items} batch items: this server takes at most {max_items} in one message"));
    }
    if header.batch_count as usize != items || items == 0 {
        return Some(format!("Batch Count says {} but {items} batch items came", header.batch_count));
    }
    None
}
