//! Sign and Signature Verify, with key pairs the server holds.

use kmip_proto::dict::{CryptographicUsageMask, ObjectType, ValidityIndicator};
use kmip_proto::payload::{SignRequest, SignResponse, SignatureVerifyRequest, SignatureVerifyResponse};

use super::key_use::{UsableKey, charge_usage, no_streaming, usable_key};
use crate::OpError;
use crate::asymmetric::KeyKind;
use crate::asymmetric::signature::{self, Scheme, Signed};
use crate::service::Ctx;

/// The key's kind, if it is the object type the operation needs.
fn kind_of(key: &UsableKey, needs: ObjectType) -> Result<KeyKind, OpError> {
    if key.object_type != needs {
        return Err(OpError::IllegalObjectType(if needs == ObjectType::PRIVATE_KEY {
            "Sign takes a Private Key"
        } else {
            "Signature Verify takes a Public Key"
        }));
    }
    key.kind.ok_or_else(|| OpError::Crypto(format!("cannot sign or verify with {} keys", key.algorithm)))
}

/// Data, or Digested Data (1.4), but one of them.
///
/// > KMIP 1.4 §4.31: "Data ... Yes, unless the Digested Data is supplied"; "Digested Data ...
/// > if the Data is not supplied".
fn signed<'a>(data: Option<&'a [u8]>, digested: Option<&'a [u8]>) -> Result<Signed<'a>, OpError> {
    match (data, digested) {
        (Some(data), None) => Ok(Signed::Data(data)),
        (None, Some(digest)) => Ok(Signed::Digest(digest)),
        (Some(_), Some(_)) => Err(OpError::InvalidField("give Data or Digested Data, not both".into())),
        (None, None) => Err(OpError::InvalidField("no Data and no Digested Data to sign".into())),
    }
}

fn scheme_for(
    key: &UsableKey,
    kind: KeyKind,
    request: Option<&kmip_proto::CryptographicParameters>,
) -> Result<Scheme, OpError> {
    signature::scheme(kind, request.or(key.parameters.as_ref()))
}

pub(crate) fn sign(ctx: &Ctx<'_>, request: SignRequest) -> Result<SignResponse, OpError> {
    no_streaming(request.init_indicator, request.final_indicator, &request.correlation_value)?;
    let key = usable_key(ctx, request.unique_identifier, CryptographicUsageMask::SIGN)?;
    let kind = kind_of(&key, ObjectType::PRIVATE_KEY)?;
    let scheme = scheme_for(&key, kind, request.cryptographic_parameters.as_ref())?;
    let what = signed(request.data.as_ref().map(|d| d.secret_bytes()), request.digested_data.as_deref())?;
    charge_usage(
        ctx,
        &key.uid,
        match what {
            Signed::Data(d) | Signed::Digest(d) => d.len(),
        },
    )?;
    let signature = signature::sign(kind, key.format, key.bytes.secret_bytes(), scheme, what)?;
    Ok(SignResponse { unique_identifier: key.uid, signature_data: Some(signature), correlation_value: None })
}

pub(crate) fn signature_verify(
    ctx: &Ctx<'_>,
    request: SignatureVerifyRequest,
) -> Result<SignatureVerifyResponse, OpError> {
    no_streaming(request.init_indicator, request.final_indicator, &request.correlation_value)?;
    let key = usable_key(ctx, request.unique_identifier, CryptographicUsageMask::VERIFY)?;
    let kind = kind_of(&key, ObjectType::PUBLIC_KEY)?;
    let scheme = scheme_for(&key, kind, request.cryptographic_parameters.as_ref())?;
    let what = signed(request.data.as_ref().map(|d| d.secret_bytes()), request.digested_data.as_deref())?;
    let given = request
        .signature_data
        .as_deref()
        .ok_or_else(|| OpError::InvalidField("Signature Verify needs Signature Data".into()))?;
    let valid = signature::verify(key.bytes.secret_bytes(), scheme, what, given)?;
    Ok(SignatureVerifyResponse {
        unique_identifier: key.uid,
        validity_indicator: if valid { ValidityIndicator::VALID } else { ValidityIndicator::INVALID },
        data: None,
        correlation_value: None,
    })
}
