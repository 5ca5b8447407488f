//! The attributes a server reads from an X.509 certificate it is given.
//!
//! > KMIP 1.4 §3.8-3.9: Certificate Type and Certificate Length "SHALL be set by the server"
//! > from the certificate; KMIP 2.0 §4.13-4.14 adds the Certificate Subject and Issuer name
//! > parts (CN, O, OU, Email, C, ST, L), each taken from the certificate's distinguished names.

use kmip_proto::Attribute;
use kmip_proto::dict::CertificateType;
use ttlv::{Tag, Value};
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

use crate::OpError;

/// Whether the attribute is one the server reads from a certificate: a client may not change
/// it (KMIP 2.1 BL-M-10: Modify of Certificate Length is Attribute Read Only).
pub(crate) fn is_read_from_certificate(tag: Tag) -> bool {
    tag == Tag::CERTIFICATE_TYPE
        || tag == Tag::CERTIFICATE_LENGTH
        || NAME_PARTS.iter().any(|(_, subject, issuer)| *subject == tag || *issuer == tag)
}

/// The name parts KMIP 2.x reads from a distinguished name, with their subject and issuer
/// attribute tags.
const NAME_PARTS: [(NamePart, Tag, Tag); 7] = [
    (NamePart::CommonName, Tag::CERTIFICATE_SUBJECT_CN, Tag::CERTIFICATE_ISSUER_CN),
    (NamePart::Organization, Tag::CERTIFICATE_SUBJECT_O, Tag::CERTIFICATE_ISSUER_O),
    (NamePart::OrganizationalUnit, Tag::CERTIFICATE_SUBJECT_OU, Tag::CERTIFICATE_ISSUER_OU),
    (NamePart::Email, Tag::CERTIFICATE_SUBJECT_EMAIL, Tag::CERTIFICATE_ISSUER_EMAIL),
    (NamePart::Country, Tag::CERTIFICATE_SUBJECT_C, Tag::CERTIFICATE_ISSUER_C),
    (NamePart::State, Tag::CERTIFICATE_SUBJECT_ST, Tag::CERTIFICATE_ISSUER_ST),
    (NamePart::Locality, Tag::CERTIFICATE_SUBJECT_L, Tag::CERTIFICATE_ISSUER_L),
];

#[derive(Clone, Copy)]
enum NamePart {
    CommonName,
    Organization,
    OrganizationalUnit,
    Email,
    Country,
    State,
    Locality,
}

fn parts<'a>(name: &'a X509Name<'a>, part: NamePart) -> Vec<String> {
    let values: Vec<_> = match part {
        NamePart::CommonName => name.iter_common_name().collect(),
        NamePart::Organization => name.iter_organization().collect(),
        NamePart::OrganizationalUnit => name.iter_organizational_unit().collect(),
        NamePart::Email => name.iter_email().collect(),
        NamePart::Country => name.iter_country().collect(),
        NamePart::State => name.iter_state_or_province().collect(),
        NamePart::Locality => name.iter_locality().collect(),
    };
    values.into_iter().filter_map(|v| v.as_str().ok().map(str::to_owned)).collect()
}

/// The attributes of an X.509 certificate: its type, its length, and its names' parts. A
/// value that is not a certificate is refused: the server would otherwise hold an object
/// whose attributes it cannot state.
pub(crate) fn x509_attributes(der: &[u8]) -> Result<Vec<Attribute>, OpError> {
    let (_, certificate) = X509Certificate::from_der(der)
        .map_err(|_| OpError::InvalidField("the Certificate Value is not a DER X.509 certificate".into()))?;
    let mut out = vec![
        Attribute::new(Tag::CERTIFICATE_TYPE, Value::Enumeration(CertificateType::X_509.0)),
        Attribute::new(Tag::CERTIFICATE_LENGTH, Value::Integer(der.len() as i32)),
    ];
    for (part, subject_tag, issuer_tag) in NAME_PARTS {
        for value in parts(certificate.subject(), part) {
            out.push(Attribute::new(subject_tag, Value::TextString(value)));
        }
        for value in parts(certificate.issuer(), part) {
            out.push(Attribute::new(issuer_tag, Value::TextString(value)));
        }
    }
    Ok(out)
}
