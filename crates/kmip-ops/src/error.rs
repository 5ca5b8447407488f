//! Operation errors, and the one place they become KMIP Result Reasons and client messages.

use kmip_keystore::StoreError;
use kmip_proto::ProtocolVersion;
use kmip_proto::dict::ResultReason;
use ttlv::{DecodeError, DecodeErrorKind};

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpError {
    /// No object with that identifier (or none this client may see: the two are one answer,
    /// so that a client cannot probe for other clients' identifiers).
    #[error("no object {0}")]
    NotFound(String),
    /// The object exists, but Destroy took its value: its metadata stays, as KMIP says it
    /// shall, and a Get of it fails.
    #[error("object {0} is destroyed")]
    Destroyed(String),
    /// The client may not do this to the object.
    #[error("permission denied: {0}")]
    PermissionDenied(&'static str),
    /// A field the request needs is missing, or has a value the operation refuses.
    #[error("invalid field: {0}")]
    InvalidField(String),
    /// The batch item does not decode.
    #[error("invalid message: {0}")]
    InvalidMessage(String),
    /// The operation is not one this server implements.
    #[error("operation not supported")]
    OperationNotSupported,
    /// The object's state forbids the operation.
    #[error("wrong key lifecycle state: {0}")]
    WrongState(&'static str),
    /// The object's dates forbid the operation now (Protect Stop Date passed, Process Start
    /// Date not reached, an Active object to destroy): KMIP 1.x servers say Permission
    /// Denied, 2.x Wrong Key Lifecycle State.
    #[error("not allowed in the object's current state: {0}")]
    NotNow(&'static str),
    /// The key's usage mask forbids the operation.
    #[error("incompatible cryptographic usage mask")]
    UsageMask,
    /// The object is not of a type the operation takes.
    #[error("{0}")]
    IllegalObjectType(&'static str),
    /// An algorithm, mode or length the server does not implement.
    #[error("cryptographic failure: {0}")]
    Crypto(String),
    /// A feature the server does not implement.
    #[error("feature not supported: {0}")]
    FeatureNotSupported(&'static str),
    /// Attribute rules: read-only, single-valued, not found.
    #[error("{message}")]
    Attribute {
        /// The precise reason.
        reason: ResultReason,
        /// What.
        message: String,
    },
    /// The response would exceed the client's Maximum Response Size.
    #[error("response too large")]
    ResponseTooLarge,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OpError {
    /// The Result Reason for this error in a response of `version`: the one place errors
    /// become reasons. 2.x added reasons 1.x lacks (Object Not Found); where the profiles'
    /// 1.4 and 2.1 vectors disagree, each version gets its own.
    ///
    /// Not found and destroyed: the OASIS 2.1 vectors answer Object Not Found for an unknown
    /// identifier (BL-M-4-21) and Object Destroyed for a Get after Destroy (BL-M-8-21)
    /// (both reasons are new in 2.0). No profile vectors exist for 2.0, and the 2.0 client the field uses, PyKMIP,
    /// handles both cases as Item Not Found, the 1.x reason (its own integration suite asserts
    /// it at 2.0, and its server answers it): so 2.0 keeps the 1.x reason, 2.1 the new ones.
    pub fn reason(&self, version: ProtocolVersion) -> ResultReason {
        match self {
            OpError::NotFound(_) if version >= ProtocolVersion::V2_1 => ResultReason::OBJECT_NOT_FOUND,
            OpError::Destroyed(_) if version >= ProtocolVersion::V2_1 => ResultReason::OBJECT_DESTROYED,
            OpError::NotNow(_) if version.is_2x() => ResultReason::WRONG_KEY_LIFECYCLE_STATE,
            OpError::NotNow(_) => ResultReason::PERMISSION_DENIED,
            other => ResultReason::from(other),
        }
    }
}

impl From<&OpError> for ResultReason {
    fn from(e: &OpError) -> Self {
        match e {
            OpError::NotFound(_) | OpError::Destroyed(_) => ResultReason::ITEM_NOT_FOUND,
            OpError::NotNow(_) => ResultReason::PERMISSION_DENIED,
            OpError::PermissionDenied(_) => ResultReason::PERMISSION_DENIED,
            OpError::InvalidField(_) => ResultReason::INVALID_FIELD,
            OpError::InvalidMessage(_) => ResultReason::INVALID_MESSAGE,
            OpError::OperationNotSupported => ResultReason::OPERATION_NOT_SUPPORTED,
            OpError::WrongState(_) => ResultReason::WRONG_KEY_LIFECYCLE_STATE,
            OpError::UsageMask => ResultReason::INCOMPATIBLE_CRYPTOGRAPHIC_USAGE_MASK,
            OpError::IllegalObjectType(_) => ResultReason::ILLEGAL_OBJECT_TYPE,
            OpError::Crypto(_) => ResultReason::CRYPTOGRAPHIC_FAILURE,
            OpError::FeatureNotSupported(_) => ResultReason::FEATURE_NOT_SUPPORTED,
            OpError::Attribute { reason, .. } => *reason,
            OpError::ResponseTooLarge => ResultReason::RESPONSE_TOO_LARGE,
            OpError::Store(_) => ResultReason::GENERAL_FAILURE,
        }
    }
}

impl OpError {
    /// The Result Message a client may see. Store failures say no more than that: their
    /// detail (paths, engine messages) goes to the log, not to the network.
    pub fn client_message(&self) -> String {
        match self {
            OpError::Store(StoreError::Conflict(_)) => "a concurrent change to the same key won; retry".into(),
            OpError::Store(_) => "internal storage failure".into(),
            other => other.to_string(),
        }
    }

    /// A batch item that did not decode: a field of the wrong type or value is Invalid Field,
    /// anything structural is Invalid Message.
    pub fn from_decode(e: &DecodeError) -> Self {
        match e.kind {
            DecodeErrorKind::UnexpectedType { .. }
            | DecodeErrorKind::BadValue(_)
            | DecodeErrorKind::UnexpectedTag(_)
            | DecodeErrorKind::MissingField(_) => OpError::InvalidField(e.to_string()),
            _ => OpError::InvalidMessage(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An unknown or destroyed object is Item Not Found up to 2.0 and gets 2.1's own reasons
    /// from 2.1 on (the doc of `OpError::reason` says why 2.0 stays with 1.x).
    #[test]
    fn not_found_and_destroyed_reasons_follow_the_version() {
        let unknown = OpError::NotFound("x".into());
        let destroyed = OpError::Destroyed("x".into());
        for version in [ProtocolVersion::V1_0, ProtocolVersion::V1_4, ProtocolVersion::V2_0] {
            assert_eq!(unknown.reason(version), ResultReason::ITEM_NOT_FOUND, "{version:?}");
            assert_eq!(destroyed.reason(version), ResultReason::ITEM_NOT_FOUND, "{version:?}");
        }
        assert_eq!(unknown.reason(ProtocolVersion::V2_1), ResultReason::OBJECT_NOT_FOUND);
        assert_eq!(destroyed.reason(ProtocolVersion::V2_1), ResultReason::OBJECT_DESTROYED);
    }
}
