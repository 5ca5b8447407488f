//! Discover Versions, Query and Check: what a client asks before it manages anything.

use ttlv::Item;
use ttlv::dict::{AttestationType, CryptographicUsageMask, ObjectType, Operation, QueryFunction};

use crate::ProtocolVersion;
use crate::codec::{Interval, kmip_struct};

kmip_struct! {
    /// Discover Versions request (KMIP 1.4 §4.26): the versions the client speaks, best first.
    pub struct DiscoverVersionsRequest {
        /// Protocol Versions; none means "every version you speak".
        pub versions: many ProtocolVersion = PROTOCOL_VERSION,
    }
}

kmip_struct! {
    /// Discover Versions response: the versions both sides speak, in the server's order of
    /// preference.
    pub struct DiscoverVersionsResponse {
        /// Protocol Versions.
        pub versions: many ProtocolVersion = PROTOCOL_VERSION,
    }
}

kmip_struct! {
    /// Query request (KMIP 1.4 §4.25).
    pub struct QueryRequest {
        /// What to report.
        pub functions: many QueryFunction = QUERY_FUNCTION,
    }
}

kmip_struct! {
    /// Query response. The informational structures are carried whole.
    pub struct QueryResponse {
        /// Operations the server supports.
        pub operations: many Operation = OPERATION,
        /// Object types the server supports.
        pub object_types: many ObjectType = OBJECT_TYPE,
        /// Vendor Identification.
        pub vendor_identification: opt String = VENDOR_IDENTIFICATION,
        /// Server Information.
        pub server_information: opt Item = SERVER_INFORMATION,
        /// Application Namespaces.
        pub application_namespaces: many String = APPLICATION_NAMESPACE,
        /// Extension Information.
        pub extension_information: many Item = EXTENSION_INFORMATION,
        /// Attestation Types.
        pub attestation_types: many AttestationType = ATTESTATION_TYPE,
        /// RNG Parameters.
        pub rng_parameters: many Item = RNG_PARAMETERS,
        /// Profile Information.
        pub profile_information: many Item = PROFILE_INFORMATION,
        /// Validation Information.
        pub validation_information: many Item = VALIDATION_INFORMATION,
        /// Capability Information (1.3 and later).
        pub capability_information: many Item = CAPABILITY_INFORMATION,
        /// Client Registration Methods.
        pub client_registration_methods: many Item = CLIENT_REGISTRATION_METHOD,
        /// Defaults Information (2.x).
        pub defaults_information: opt Item = DEFAULTS_INFORMATION,
        /// Protection Storage Masks (2.x).
        pub protection_storage_masks: many Item = PROTECTION_STORAGE_MASKS,
    }
}

kmip_struct! {
    /// Check request (KMIP 1.4 §4.10): may the object be used so?
    pub struct CheckRequest {
        /// Unique Identifier; the ID Placeholder when absent.
        pub unique_identifier: opt String = UNIQUE_IDENTIFIER,
        /// Usage Limits Count.
        pub usage_limits_count: opt i64 = USAGE_LIMITS_COUNT,
        /// Cryptographic Usage Mask.
        pub cryptographic_usage_mask: opt CryptographicUsageMask = CRYPTOGRAPHIC_USAGE_MASK,
        /// Lease Time.
        pub lease_time: opt Interval = LEASE_TIME,
    }
}

kmip_struct! {
    /// Check response: the identifier, and on failure the field that failed.
    pub struct CheckResponse {
        /// Unique Identifier.
        pub unique_identifier: req String = UNIQUE_IDENTIFIER,
        /// Usage Limits Count.
        pub usage_limits_count: opt i64 = USAGE_LIMITS_COUNT,
        /// Cryptographic Usage Mask.
        pub cryptographic_usage_mask: opt CryptographicUsageMask = CRYPTOGRAPHIC_USAGE_MASK,
        /// Lease Time.
        pub lease_time: opt Interval = LEASE_TIME,
    }
}
