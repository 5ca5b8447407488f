//! kmipctl's library: a blocking mutual-TLS KMIP client on the project's own codec and message
//! model ([`Client`]), and the commands the `kmipctl` binary runs ([`commands`]). It never uses
//! server internals.

#![warn(missing_docs)]

mod client;
pub mod commands;
pub mod profile;
pub mod side_api;

pub use client::{Client, ClientError, Endpoint, tls_config};
