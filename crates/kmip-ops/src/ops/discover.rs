//! Discover Versions and Query.

use kmip_proto::ProtocolVersion;
use kmip_proto::dict::{ObjectType, Operation, QueryFunction};
use kmip_proto::payload::{DiscoverVersionsRequest, DiscoverVersionsResponse, QueryRequest, QueryResponse};
use ttlv::{Item, Tag, Value};

use crate::service::Ctx;

/// The operations this server implements, as Query reports them.
pub(crate) const OPERATIONS: [Operation; 28] = [
    Operation::CREATE,
    Operation::CREATE_KEY_PAIR,
    Operation::DERIVE_KEY,
    Operation::REGISTER,
    Operation::REKEY,
    Operation::REKEY_KEY_PAIR,
    Operation::LOCATE,
    Operation::CHECK,
    Operation::GET,
    Operation::GET_ATTRIBUTES,
    Operation::GET_ATTRIBUTE_LIST,
    Operation::ADD_ATTRIBUTE,
    Operation::MODIFY_ATTRIBUTE,
    Operation::DELETE_ATTRIBUTE,
    Operation::ACTIVATE,
    Operation::REVOKE,
    Operation::DESTROY,
    Operation::QUERY,
    Operation::DISCOVER_VERSIONS,
    Operation::ENCRYPT,
    Operation::DECRYPT,
    Operation::MAC,
    Operation::MAC_VERIFY,
    Operation::SIGN,
    Operation::SIGNATURE_VERIFY,
    Operation::RNG_RETRIEVE,
    Operation::HASH,
    Operation::SET_ATTRIBUTE,
];

/// The object types Register takes and Get returns.
pub(crate) const OBJECT_TYPES: [ObjectType; 7] = [
    ObjectType::SYMMETRIC_KEY,
    ObjectType::SECRET_DATA,
    ObjectType::OPAQUE_DATA,
    ObjectType::CERTIFICATE,
    ObjectType::PUBLIC_KEY,
    ObjectType::PRIVATE_KEY,
    ObjectType::SPLIT_KEY,
];

/// > KMIP 1.4 §4.26: "the server SHALL return the list of protocol versions supported by
/// > the server that are also in the request's list, in the client's order; an empty request
/// > list asks for every version the server supports."
pub(crate) fn discover_versions(request: DiscoverVersionsRequest) -> DiscoverVersionsResponse {
    let versions = if request.versions.is_empty() {
        ProtocolVersion::SUPPORTED.to_vec()
    } else {
        request.versions.into_iter().filter(|v| v.is_supported()).collect()
    };
    DiscoverVersionsResponse { versions }
}

pub(crate) fn query(ctx: &Ctx<'_>, request: QueryRequest) -> QueryResponse {
    let mut response = QueryResponse {
        operations: Vec::new(),
        object_types: Vec::new(),
        vendor_identification: None,
        server_information: None,
        application_namespaces: Vec::new(),
        extension_information: Vec::new(),
        attestation_types: Vec::new(),
        rng_parameters: Vec::new(),
        profile_information: Vec::new(),
        validation_information: Vec::new(),
        capability_information: Vec::new(),
        client_registration_methods: Vec::new(),
        defaults_information: None,
        protection_storage_masks: Vec::new(),
    };
    for function in request.functions {
        match function {
            QueryFunction::QUERY_OPERATIONS => {
                // Set Attribute exists from 2.0 on.
                response.operations = OPERATIONS
                    .into_iter()
                    .filter(|op| ctx.version.is_2x() || *op != Operation::SET_ATTRIBUTE)
                    .collect();
            }
            QueryFunction::QUERY_OBJECTS => response.object_types = OBJECT_TYPES.to_vec(),
            QueryFunction::QUERY_SERVER_INFORMATION => {
                response.vendor_identification = Some(ctx.svc.config.vendor.clone());
                response.server_information = Some(Item::structure(Tag::SERVER_INFORMATION, Vec::new()));
            }
            QueryFunction::QUERY_CAPABILITIES if ctx.version >= ProtocolVersion::V1_3 => {
                response.capability_information.push(capabilities());
            }
            _ => {} // nothing to report: the function is answered by an empty list
        }
    }
    response
}

/// > KMIP 1.4 §2.1.23 Capability Information: no streaming, no asynchronous operations, no
/// > attestation, no batch undo; batch continue, yes.
fn capabilities() -> Item {
    Item::structure(
        Tag::CAPABILITY_INFORMATION,
        vec![
            Item::new(Tag::STREAMING_CAPABILITY, Value::Boolean(false)),
            Item::new(Tag::ASYNCHRONOUS_CAPABILITY, Value::Boolean(false)),
            Item::new(Tag::ATTESTATION_CAPABILITY, Value::Boolean(false)),
            Item::new(Tag::BATCH_UNDO_CAPABILITY, Value::Boolean(false)),
            Item::new(Tag::BATCH_CONTINUE_CAPABILITY, Value::Boolean(true)),
        ],
    )
}
