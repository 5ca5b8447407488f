//! Generates the dev PKI in `certs/`: a CA, a server certificate for localhost and
//! 127.0.0.1, two client identities with the clientAuth extended key usage, and the
//! deliberately bad certificates the tests use (under `certs/bad/`).
//!
//! `cargo run -p kmip-test-support --example gen-dev-pki -- certs`
//!
//! Every key is ECDSA P-256. Good certificates are valid from 2024 to 2049, so that no test
//! starts failing because a checked-in certificate expired.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "kmipd dev PKI");
    dn.push(DnType::CommonName, cn);
    dn
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = name(cn);
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    p.not_before = rcgen::date_time_ymd(2024, 1, 1);
    p.not_after = rcgen::date_time_ymd(2049, 12, 31);
    p
}

fn leaf_params(cn: &str, eku: Vec<ExtendedKeyUsagePurpose>) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name = name(cn);
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyAgreement];
    p.extended_key_usages = eku;
    p.not_before = rcgen::date_time_ymd(2024, 1, 1);
    p.not_after = rcgen::date_time_ymd(2049, 12, 31);
    p
}

fn write(dir: &Path, stem: &str, cert_pem: &str, key: &KeyPair) -> Result<()> {
    std::fs::write(dir.join(format!("{stem}.pem")), cert_pem)?;
    std::fs::write(dir.join(format!("{stem}.key")), key.serialize_pem())?;
    Ok(())
}

fn main() -> Result<()> {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "certs".into()));
    let bad = out.join("bad");
    std::fs::create_dir_all(&bad)?;

    let ca_key = KeyPair::generate()?;
    let ca_cert = ca_params("kmipd dev CA").self_signed(&ca_key)?;
    write(&out, "ca", &ca_cert.pem(), &ca_key)?;
    let ca = Issuer::new(ca_params("kmipd dev CA"), ca_key);

    let mut server = leaf_params("localhost", vec![ExtendedKeyUsagePurpose::ServerAuth]);
    server.subject_alt_names =
        vec![SanType::DnsName("localhost".try_into()?), SanType::IpAddress([127, 0, 0, 1].into())];
    let key = KeyPair::generate()?;
    write(&out, "server", &server.signed_by(&key, &ca)?.pem(), &key)?;

    for (stem, cn) in [("client", "kmip-client-1"), ("client2", "kmip-client-2")] {
        let key = KeyPair::generate()?;
        let cert = leaf_params(cn, vec![ExtendedKeyUsagePurpose::ClientAuth]).signed_by(&key, &ca)?;
        write(&out, stem, &cert.pem(), &key)?;
    }

    // Bad ones: each differs from a good client certificate in exactly one way.
    let key = KeyPair::generate()?;
    let mut expired = leaf_params("kmip-client-expired", vec![ExtendedKeyUsagePurpose::ClientAuth]);
    expired.not_before = rcgen::date_time_ymd(2020, 1, 1);
    expired.not_after = rcgen::date_time_ymd(2021, 1, 1);
    write(&bad, "expired", &expired.signed_by(&key, &ca)?.pem(), &key)?;

    let key = KeyPair::generate()?;
    let no_eku = leaf_params("kmip-client-no-eku", vec![ExtendedKeyUsagePurpose::ServerAuth]);
    write(&bad, "no-client-auth", &no_eku.signed_by(&key, &ca)?.pem(), &key)?;

    let other_key = KeyPair::generate()?;
    let other_cert = ca_params("some other CA").self_signed(&other_key)?;
    write(&bad, "other-ca", &other_cert.pem(), &other_key)?;
    let other = Issuer::new(ca_params("some other CA"), other_key);
    let key = KeyPair::generate()?;
    let foreign = leaf_params("kmip-client-foreign", vec![ExtendedKeyUsagePurpose::ClientAuth]);
    write(&bad, "wrong-ca", &foreign.signed_by(&key, &other)?.pem(), &key)?;

    println!("dev PKI written to {}", out.display());
    Ok(())
}
