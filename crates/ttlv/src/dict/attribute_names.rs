//! KMIP 1.x attribute names.
//!
//! > KMIP 1.4 §2.1.1: "Attribute Name: Text String ... the name of the attribute".
//!
//! In 1.x an attribute travels as `Attribute { Attribute Name, [Attribute Index], Attribute
//! Value }`, named by these strings; in 2.x it is an item whose tag is the attribute's tag.
//! This table is the one bridge between the two: the text encodings use it to type a 1.x
//! Attribute Value, and the message model to convert between the shapes.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::Tag;

/// `(tag, 1.x attribute name)` for every attribute that KMIP 1.0 to 2.1 defines.
static ATTRIBUTE_NAMES: &[(Tag, &str)] = &[
    (Tag::UNIQUE_IDENTIFIER, "Unique Identifier"),
    (Tag::NAME, "Name"),
    (Tag::OBJECT_TYPE, "Object Type"),
    (Tag::CRYPTOGRAPHIC_ALGORITHM, "Cryptographic Algorithm"),
    (Tag::CRYPTOGRAPHIC_LENGTH, "Cryptographic Length"),
    (Tag::CRYPTOGRAPHIC_PARAMETERS, "Cryptographic Parameters"),
    (Tag::CRYPTOGRAPHIC_DOMAIN_PARAMETERS, "Cryptographic Domain Parameters"),
    (Tag::CERTIFICATE_TYPE, "Certificate Type"),
    (Tag::CERTIFICATE_LENGTH, "Certificate Length"),
    (Tag::X_509_CERTIFICATE_IDENTIFIER, "X.509 Certificate Identifier"),
    (Tag::X_509_CERTIFICATE_SUBJECT, "X.509 Certificate Subject"),
    (Tag::X_509_CERTIFICATE_ISSUER, "X.509 Certificate Issuer"),
    (Tag::CERTIFICATE_IDENTIFIER, "Certificate Identifier"),
    (Tag::CERTIFICATE_SUBJECT, "Certificate Subject"),
    (Tag::CERTIFICATE_ISSUER, "Certificate Issuer"),
    (Tag::DIGITAL_SIGNATURE_ALGORITHM, "Digital Signature Algorithm"),
    (Tag::DIGEST, "Digest"),
    (Tag::OPERATION_POLICY_NAME, "Operation Policy Name"),
    (Tag::CRYPTOGRAPHIC_USAGE_MASK, "Cryptographic Usage Mask"),
    (Tag::LEASE_TIME, "Lease Time"),
    (Tag::USAGE_LIMITS, "Usage Limits"),
    (Tag::STATE, "State"),
    (Tag::INITIAL_DATE, "Initial Date"),
    (Tag::ACTIVATION_DATE, "Activation Date"),
    (Tag::PROCESS_START_DATE, "Process Start Date"),
    (Tag::PROTECT_STOP_DATE, "Protect Stop Date"),
    (Tag::DEACTIVATION_DATE, "Deactivation Date"),
    (Tag::DESTROY_DATE, "Destroy Date"),
    (Tag::COMPROMISE_OCCURRENCE_DATE, "Compromise Occurrence Date"),
    (Tag::COMPROMISE_DATE, "Compromise Date"),
    (Tag::REVOCATION_REASON, "Revocation Reason"),
    (Tag::ARCHIVE_DATE, "Archive Date"),
    (Tag::OBJECT_GROUP, "Object Group"),
    (Tag::FRESH, "Fresh"),
    (Tag::LINK, "Link"),
    (Tag::APPLICATION_SPECIFIC_INFORMATION, "Application Specific Information"),
    (Tag::CONTACT_INFORMATION, "Contact Information"),
    (Tag::LAST_CHANGE_DATE, "Last Change Date"),
    (Tag::CUSTOM_ATTRIBUTE, "Custom Attribute"),
    (Tag::ALTERNATIVE_NAME, "Alternative Name"),
    (Tag::KEY_VALUE_PRESENT, "Key Value Present"),
    (Tag::KEY_VALUE_LOCATION, "Key Value Location"),
    (Tag::ORIGINAL_CREATION_DATE, "Original Creation Date"),
    (Tag::RANDOM_NUMBER_GENERATOR, "Random Number Generator"),
    (Tag::PKCS12_FRIENDLY_NAME, "PKCS#12 Friendly Name"),
    (Tag::DESCRIPTION, "Description"),
    (Tag::COMMENT, "Comment"),
    (Tag::SENSITIVE, "Sensitive"),
    (Tag::ALWAYS_SENSITIVE, "Always Sensitive"),
    (Tag::EXTRACTABLE, "Extractable"),
    (Tag::NEVER_EXTRACTABLE, "Never Extractable"),
    (Tag::KEY_FORMAT_TYPE, "Key Format Type"),
    (Tag::CERTIFICATE_SUBJECT_CN, "Certificate Subject CN"),
    (Tag::CERTIFICATE_SUBJECT_O, "Certificate Subject O"),
    (Tag::CERTIFICATE_SUBJECT_OU, "Certificate Subject OU"),
    (Tag::CERTIFICATE_SUBJECT_EMAIL, "Certificate Subject Email"),
    (Tag::CERTIFICATE_SUBJECT_C, "Certificate Subject C"),
    (Tag::CERTIFICATE_SUBJECT_ST, "Certificate Subject ST"),
    (Tag::CERTIFICATE_SUBJECT_L, "Certificate Subject L"),
    (Tag::CERTIFICATE_SUBJECT_UID, "Certificate Subject UID"),
    (Tag::CERTIFICATE_SUBJECT_SERIAL_NUMBER, "Certificate Subject Serial Number"),
    (Tag::CERTIFICATE_SUBJECT_TITLE, "Certificate Subject Title"),
    (Tag::CERTIFICATE_SUBJECT_DC, "Certificate Subject DC"),
    (Tag::CERTIFICATE_SUBJECT_DN_QUALIFIER, "Certificate Subject DN Qualifier"),
    (Tag::CERTIFICATE_ISSUER_CN, "Certificate Issuer CN"),
    (Tag::CERTIFICATE_ISSUER_O, "Certificate Issuer O"),
    (Tag::CERTIFICATE_ISSUER_OU, "Certificate Issuer OU"),
    (Tag::CERTIFICATE_ISSUER_EMAIL, "Certificate Issuer Email"),
    (Tag::CERTIFICATE_ISSUER_C, "Certificate Issuer C"),
    (Tag::CERTIFICATE_ISSUER_ST, "Certificate Issuer ST"),
    (Tag::CERTIFICATE_ISSUER_L, "Certificate Issuer L"),
    (Tag::CERTIFICATE_ISSUER_UID, "Certificate Issuer UID"),
    (Tag::CERTIFICATE_ISSUER_SERIAL_NUMBER, "Certificate Issuer Serial Number"),
    (Tag::CERTIFICATE_ISSUER_TITLE, "Certificate Issuer Title"),
    (Tag::CERTIFICATE_ISSUER_DC, "Certificate Issuer DC"),
    (Tag::CERTIFICATE_ISSUER_DN_QUALIFIER, "Certificate Issuer DN Qualifier"),
    (Tag::NIST_KEY_TYPE, "NIST Key Type"),
    (Tag::QUANTUM_SAFE, "Quantum Safe"),
    (Tag::SHORT_UNIQUE_IDENTIFIER, "Short Unique Identifier"),
    (Tag::PROTECTION_LEVEL, "Protection Level"),
    (Tag::PROTECTION_PERIOD, "Protection Period"),
    (Tag::PROTECTION_STORAGE_MASK, "Protection Storage Mask"),
    (Tag::ROTATE_INTERVAL, "Rotate Interval"),
    (Tag::ROTATE_AUTOMATIC, "Rotate Automatic"),
    (Tag::ROTATE_OFFSET, "Rotate Offset"),
    (Tag::ROTATE_DATE, "Rotate Date"),
    (Tag::ROTATE_GENERATION, "Rotate Generation"),
    (Tag::ROTATE_NAME, "Rotate Name"),
    (Tag::ROTATE_LATEST, "Rotate Latest"),
];

static BY_NAME: LazyLock<HashMap<&'static str, Tag>> =
    LazyLock::new(|| ATTRIBUTE_NAMES.iter().map(|(t, n)| (*n, *t)).collect());

/// The tag of the attribute with this 1.x name. Every 1.x attribute in every request comes
/// through here, so it is a hash lookup, not a scan.
pub fn attribute_tag(name: &str) -> Option<Tag> {
    BY_NAME.get(name).copied()
}

/// The 1.x name of the attribute with this tag.
pub fn attribute_name(tag: Tag) -> Option<&'static str> {
    ATTRIBUTE_NAMES.iter().find(|(t, _)| *t == tag).map(|(_, n)| *n)
}
