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
mod error;
mod keys;
mod objects;
mod ops;
pub mod rotation;
mod service;

pub use client::AuthenticatedClient;
pub use clock::{Clock, SystemClock};
pub use error::OpError;
pub use service::{ItemOutcome, Metrics, Service, ServiceConfig};
