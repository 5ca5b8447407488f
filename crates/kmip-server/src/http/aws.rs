//! An AWS-KMS-shaped view of the same CMKs, for tools written against AWS: the rotation
//! operations GetKeyRotationStatus, ListKeyRotations and RotateKeyOnDemand, in AWS's JSON 1.1
//! protocol (`POST /` with `X-Amz-Target: TrentService.<Operation>`).
//!
//! Field names, types and error shapes follow the AWS KMS API reference: timestamps are
//! seconds since the epoch as JSON numbers, errors are HTTP 400 with
//! `{"__type": "NotFoundException", "message": ...}`. Authentication is an `X-Auth-Token` from
//! `[[http.tokens]]` (its project scopes the keys), not SigV4. A `KeyId` is a CMK's key id or a
//! key ARN ending in `key/<key id>`; aliases are not offered.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use kmip_keystore::{CmkRecord, CmkState, VersionOrigin};
use kmip_ops::rotation::RotationError;
use serde_json::{Value, json};

use super::{AppState, token_project};

const CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// ListKeyRotations: "Limit ... between 1 and 1000 ... default is 100".
const LIMIT: std::ops::RangeInclusive<u64> = 1..=1000;
const DEFAULT_LIMIT: u64 = 100;

/// An AWS error: its `__type` and message, always HTTP 400 as AWS sends client errors.
struct AwsError(&'static str, String);

impl IntoResponse for AwsError {
    fn into_response(self) -> Response {
        let body = json!({"__type": self.0, "message": self.1});
        (StatusCode::BAD_REQUEST, [("content-type", CONTENT_TYPE)], Json(body)).into_response()
    }
}

/// The one place rotation errors become AWS exception names.
impl From<RotationError> for AwsError {
    fn from(e: RotationError) -> Self {
        match e {
            RotationError::NotFound => AwsError("NotFoundException", "Key not found".into()),
            RotationError::Disabled => AwsError("DisabledException", "The key is disabled".into()),
            RotationError::PendingDeletion => {
                AwsError("KMSInvalidStateException", "The key is pending deletion".into())
            }
            RotationError::Imported => {
                AwsError("UnsupportedOperationException", "Keys with imported material do not rotate".into())
            }
            other => {
                tracing::error!(error = %other, "side API: AWS-shaped operation failed");
                AwsError("KMSInternalException", "Internal error".into())
            }
        }
    }
}

/// `POST /` with `X-Amz-Target: TrentService.*`.
pub(crate) async fn handle(State(state): State<Arc<AppState>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(project) = token_project(&state, &headers) else {
        return AwsError("UnrecognizedClientException", "An X-Auth-Token is required".into()).into_response();
    };
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let Some(operation) = target.strip_prefix("TrentService.").map(str::to_owned) else {
        return AwsError("UnknownOperationException", format!("Unknown target {target:?}")).into_response();
    };
    let request = match serde_json::from_slice::<Value>(&body) {
        Ok(request @ Value::Object(_)) => request,
        _ => return AwsError("SerializationException", "The body is not a JSON object".into()).into_response(),
    };
    let result = tokio::task::spawn_blocking(move || run(&state, &project, &operation, &request))
        .await
        .unwrap_or_else(|_| Err(AwsError("KMSInternalException", "Internal error".into())));
    match result {
        Ok(body) => (StatusCode::OK, [("content-type", CONTENT_TYPE)], Json(body)).into_response(),
        Err(e) => e.into_response(),
    }
}

fn run(state: &AppState, project: &str, operation: &str, request: &Value) -> Result<Value, AwsError> {
    match operation {
        "GetKeyRotationStatus" => {
            let record = key(state, project, request)?;
            let enabled = record.policy.enabled && record.state == CmkState::Enabled;
            let mut out = json!({"KeyId": record.key_id, "KeyRotationEnabled": enabled});
            if enabled {
                out["RotationPeriodInDays"] = json!(record.policy.interval_days);
                if let Some(at) = record.due_at() {
                    out["NextRotationDate"] = json!(at);
                }
            }
            Ok(out)
        }
        "RotateKeyOnDemand" => {
            let record = key(state, project, request)?;
            let rotated = state.service.rotate_cmk(&record.key_id, VersionOrigin::OnDemand)?;
            Ok(json!({"KeyId": rotated.key_id}))
        }
        "ListKeyRotations" => {
            let record = key(state, project, request)?;
            let limit = match request.get("Limit") {
                None | Some(Value::Null) => DEFAULT_LIMIT,
                Some(v) => v
                    .as_u64()
                    .filter(|n| LIMIT.contains(n))
                    .ok_or_else(|| AwsError("ValidationException", "Limit must be an integer from 1 to 1000".into()))?,
            };
            // The marker is the number of rotations already listed, as text.
            let skip = match request.get("Marker") {
                None | Some(Value::Null) => 0,
                Some(v) => v.as_str().and_then(|m| m.parse::<usize>().ok()).ok_or_else(|| {
                    AwsError("InvalidMarkerException", "The marker is not one this server gave".into())
                })?,
            };
            Ok(rotations(&record, skip, limit as usize))
        }
        other => Err(AwsError("UnknownOperationException", format!("TrentService.{other} is not offered here"))),
    }
}

/// The CMK `request["KeyId"]` names, which must be the caller's project's.
fn key(state: &AppState, project: &str, request: &Value) -> Result<CmkRecord, AwsError> {
    let key_id = request
        .get("KeyId")
        .and_then(Value::as_str)
        .ok_or_else(|| AwsError("ValidationException", "KeyId is required".into()))?;
    // A key ARN: arn:aws:kms:<region>:<account>:key/<key id>.
    let key_id = key_id.rsplit_once(":key/").map_or(key_id, |(_, id)| id);
    match state.service.cmk(key_id) {
        Ok(record) if record.project == project => Ok(record),
        Ok(_) | Err(RotationError::NotFound) => Err(RotationError::NotFound.into()),
        Err(e) => Err(e.into()),
    }
}

/// ListKeyRotations' page: completed rotations, oldest first (the first version is the key's
/// creation, not a rotation).
fn rotations(record: &CmkRecord, skip: usize, limit: usize) -> Value {
    let all: Vec<Value> = record
        .versions
        .iter()
        .skip(1)
        .map(|v| {
            let kind = match v.origin {
                VersionOrigin::Automatic | VersionOrigin::UsageLimit => "AUTOMATIC",
                _ => "ON_DEMAND",
            };
            json!({"KeyId": record.key_id, "RotationDate": v.created, "RotationType": kind})
        })
        .collect();
    let page: Vec<Value> = all.iter().skip(skip).take(limit).cloned().collect();
    let next = skip + page.len();
    let mut out = json!({"Rotations": page, "Truncated": next < all.len()});
    if next < all.len() {
        out["NextMarker"] = json!(next.to_string());
    }
    out
}
