//! End-to-end tests of the real kmipd binary: spawned on 127.0.0.1:0, real mutual TLS, the
//! repository's config.toml and dev PKI, a data dir of each test's own.

mod access;
mod at_rest;
mod audit;
mod aws;
mod batches;
mod calendar;
mod certificates;
mod clients;
mod cluster;
mod conformance;
mod consumers;
mod crash;
mod durability;
mod framing;
mod hostile;
mod huawei;
mod migrate;
mod mtls;
mod pykmip;
mod pykmip_suite;
mod qumulo;
mod qumulo_cli;
mod rotation_clock;
mod schemathesis;
mod support;
