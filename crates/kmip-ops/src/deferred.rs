//! Serving a request whose commit the caller runs.
//!
//! A request of one item that only inserts new objects (Create, Register, Create Key Pair)
//! needs nothing from its commit but the outcome: the response is known before the insert
//! is applied. [`Service::serve_deferring`] serves such a request up to its commit and hands
//! the commit back with the response ([`Served::commit`]). The caller commits it however
//! suits it, and sends the response only once the commit is durable, or the answer
//! [`Service::refused`] builds when it is not. The server gives these commits to threads of
//! its own, which commit many together ([`kmip_keystore::KeyStore::commit_each`]), so that
//! the thread that read the request never waits for a disk, and no thread is woken for one
//! request alone.
//!
//! What a client sees is the same as when the service commits itself: no response promises
//! an object that a crash would lose, and a failed commit is a failed item.

use kmip_keystore::{Change, StoreError};
use kmip_proto::ProtocolVersion;
use kmip_proto::dict::Operation;

use crate::OpError;
use crate::service::{ItemOutcome, Service, failed};

/// A response, what it did for the audit trail, and the commit it waits for, if any.
#[derive(Debug)]
pub struct Served {
    /// The response message. When [`Served::commit`] is `Some`, it may be sent only once that
    /// commit is durable.
    pub response: Vec<u8>,
    /// Each item's outcome, as the response tells it.
    pub outcomes: Vec<ItemOutcome>,
    /// The commit left to the caller.
    pub commit: Option<DeferredCommit>,
}

/// An item's changes, left to the caller to commit atomically and durably, and what to
/// answer if that fails.
#[derive(Debug)]
pub struct DeferredCommit {
    pub(crate) changes: Vec<Change>,
    pub(crate) refusal: Refusal,
}

/// What the answer to a refused commit is built from: the request's version and header
/// values, and the item's operation and batch item id.
#[derive(Debug)]
pub struct Refusal {
    pub(crate) version: ProtocolVersion,
    pub(crate) now: i64,
    pub(crate) correlation: Option<String>,
    pub(crate) operation: Operation,
    pub(crate) id: Option<Vec<u8>>,
}

impl DeferredCommit {
    /// The changes to commit, and what to answer if the commit fails.
    pub fn into_parts(self) -> (Vec<Change>, Refusal) {
        (self.changes, self.refusal)
    }
}

impl Service {
    /// The response to send instead of [`Served::response`] when its deferred commit failed
    /// with `error`, and the outcome to audit: the item failed, for the reason `error` maps to.
    pub fn refused(&self, refusal: Refusal, error: StoreError) -> (Vec<u8>, Vec<ItemOutcome>) {
        let Refusal { version, now, correlation, operation, id } = refusal;
        let (item, outcome) = failed(version, Some(operation), id, &OpError::Store(error));
        (self.respond(version, now, correlation, vec![item]), vec![outcome])
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use kmip_keystore::{KeyStore, MemoryStore};
    use kmip_proto::dict::{CryptographicAlgorithm, Operation, ResultReason, ResultStatus};
    use kmip_proto::payload::CreateRequest;
    use kmip_proto::{ProtocolVersion, RequestMessage, RequestPayload, ResponseMessage};

    use crate::{AuthenticatedClient, Service, ServiceConfig, SystemClock};

    fn create_request(items: usize) -> Vec<u8> {
        let create = || {
            let request = CreateRequest::symmetric_key(CryptographicAlgorithm::AES, 256, 12, []);
            (Operation::CREATE, RequestPayload::Create(request))
        };
        RequestMessage::new(ProtocolVersion::V2_1, (0..items).map(|_| create()).collect()).to_ttlv()
    }

    /// A service on a fresh in-memory store, and what it served for `items` Creates.
    fn serve_creates(items: usize) -> (Service, Arc<MemoryStore>, super::Served) {
        let store = Arc::new(MemoryStore::new());
        let service = Service::new(store.clone(), Arc::new(SystemClock), ServiceConfig::default());
        let client = AuthenticatedClient::for_tests("alice");
        let served = service.serve_deferring(&client, service.decode(&create_request(items)));
        (service, store, served)
    }

    fn statuses(response: &[u8]) -> Vec<(ResultStatus, Option<ResultReason>)> {
        let message = ResponseMessage::from_ttlv(response, &ttlv::Limits::default()).expect("response");
        message.items.iter().map(|i| (i.result_status, i.result_reason)).collect()
    }

    #[test]
    fn a_lone_create_leaves_its_insert_to_the_caller() {
        let (_, store, served) = serve_creates(1);
        let (changes, _) = served.commit.expect("deferred").into_parts();
        assert_eq!(store.count().expect("count"), 0, "nothing is stored until the caller commits");
        assert_eq!(statuses(&served.response), [(ResultStatus::SUCCESS, None)]);
        store.commit(changes).expect("commit");
        assert_eq!(store.count().expect("count"), 1);
    }

    #[test]
    fn a_batch_commits_as_it_goes() {
        // A later item may act on an earlier one's object (the ID Placeholder): each commits.
        let (_, store, served) = serve_creates(2);
        assert!(served.commit.is_none());
        assert_eq!(store.count().expect("count"), 2);
    }

    #[test]
    fn a_refused_commit_fails_the_item() {
        let (service, _, served) = serve_creates(1);
        let (_, refusal) = served.commit.expect("deferred").into_parts();
        let (response, outcomes) = service.refused(refusal, kmip_keystore::StoreError::Backend("disk".into()));
        assert_eq!(statuses(&response), [(ResultStatus::OPERATION_FAILED, Some(ResultReason::GENERAL_FAILURE))]);
        assert_eq!(outcomes[0].result, Err(ResultReason::GENERAL_FAILURE));
        let message = ResponseMessage::from_ttlv(&response, &ttlv::Limits::default()).expect("response");
        assert_eq!(message.header.protocol_version, ProtocolVersion::V2_1);
    }
}
