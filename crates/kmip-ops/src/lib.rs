//! The KMIP operations.
//!
//! [`Service::handle`] takes a request message's bytes and the [`AuthenticatedClient`] the
//! TLS layer proved, and returns the response message's bytes: it decodes in stages, runs each
//! batch item through one `match` on its operation (in `service.rs`), and maps every failure
//! to a Result Reason in one place ([`OpError`]). Each operation lives in its own module
//! under `ops/`, with typed payloads in and out.
//!
//! No sockets, no async: the transport is `kmip-server`'s business. Time comes from an
//! injected [`Clock`]; objects from an injected [`kmip_keystore::KeyStore`].

#![warn(missing_docs)]

mod asymmetric;
mod certificate;
mod client;
mod clock;
pub mod consumers;
mod deferred;
mod error;
mod keys;
mod objects;
mod ops;
pub mod rotation;
pub mod schedule;
mod service;
mod usage_rotation;

pub use client::AuthenticatedClient;
pub use clock::{Clock, SystemClock, rfc3339};
pub use deferred::{DeferredCommit, Refusal, Served};
pub use error::OpError;
pub use service::{ItemOutcome, Metrics, Request, Service, ServiceConfig};

/// What the `request_path` fuzz target calls, and the tests run on every vector.
#[cfg(feature = "test-identity")]
#[doc(hidden)]
pub mod __fuzz {
    use std::sync::Arc;

    use kmip_keystore::MemoryStore;
    use kmip_proto::ResponseMessage;
    use ttlv::Limits;

    use crate::{AuthenticatedClient, Service, ServiceConfig, SystemClock};

    /// The whole request path, bytes in to bytes out, on a fresh in-memory store: it never
    /// panics, and it always answers with a response message that decodes, one item per
    /// request item (or one for a message that does not decode). Returns whether any item
    /// succeeded.
    pub fn request_path(data: &[u8]) -> bool {
        let service = Service::new(Arc::new(MemoryStore::new()), Arc::new(SystemClock), ServiceConfig::default());
        let client = AuthenticatedClient::for_tests("CN=fuzz");
        let (response, outcomes) = service.handle(&client, data);
        let decoded = ResponseMessage::from_ttlv(&response, &Limits::default());
        let decoded = decoded.unwrap_or_else(|e| panic!("the response does not decode: {e}"));
        assert_eq!(decoded.items.len(), outcomes.len(), "one response item per outcome");
        outcomes.iter().any(|o| o.result.is_ok())
    }
}
