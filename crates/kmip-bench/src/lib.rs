//! kmip-bench's library: the operations it drives ([`workload`]) and how a phase runs and is
//! measured ([`run`]). The `kmip-bench` binary parses flags and prints reports.

#![warn(missing_docs)]

mod connection;
pub mod run;
pub mod workload;
