//! The Huawei Cloud KMS-compatible routes, under `/v1.0/{project_id}/kms/`: every call a
//! POST with a JSON body; errors as `{"error": {"error_code": "KMS.XXXX", "error_msg": ...}}`.
//!
//! Field names and types follow the seed (`get-key-rotation-status`): `last_rotation_time` is
//! a string of milliseconds since the epoch (F7), `rotation_interval` and
//! `number_of_rotations` integers, `key_rotation_enabled` a boolean.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use kmip_keystore::{CmkRecord, CmkState, StoreError, VersionOrigin};
use kmip_ops::OpError;
use kmip_ops::rotation::{DAY, INTERVAL_DAYS, NewCmk, RotationError, one_interval_after};
use serde_json::{Value, json};

use super::AppState;
use super::auth::{AuthError, authenticate};

/// A KMS error: the HTTP status and the KMS.XXXX code.
#[derive(Debug)]
pub(crate) struct KmsError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

fn err(status: StatusCode, code: &'static str, message: impl Into<String>) -> KmsError {
    KmsError { status, code, message: message.into() }
}

impl IntoResponse for KmsError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"error_code": self.code, "error_msg": self.message}});
        (self.status, Json(body)).into_response()
    }
}

/// The one place rotation errors become KMS codes (seed-systems §2.3).
impl From<RotationError> for KmsError {
    fn from(e: RotationError) -> Self {
        let bad = StatusCode::BAD_REQUEST;
        match e {
            RotationError::NotFound => err(StatusCode::NOT_FOUND, "KMS.0207", "The key does not exist."),
            RotationError::Disabled => err(bad, "KMS.0209", "The key is disabled."),
            RotationError::PendingDeletion => err(bad, "KMS.0210", "The key is pending deletion."),
            RotationError::Imported => err(bad, "KMS.0312", "Imported keys cannot be rotated."),
            RotationError::NotEnabled => err(bad, "KMS.0313", "Key rotation is not enabled."),
            RotationError::AlreadyEnabled => err(bad, "KMS.2901", "Key rotation is already enabled."),
            RotationError::BadInterval => {
                err(bad, "KMS.3001", "The rotation interval must be an integer from 30 to 365.")
            }
            RotationError::BadState(m) => err(bad, "KMS.0308", m),
            RotationError::BadParameter(m) => err(bad, "KMS.0308", m),
            // Two nodes changed one key at once and this request lost; it changed nothing.
            RotationError::Op(OpError::Store(StoreError::Conflict(m))) => {
                tracing::info!(reason = %m, "side API: concurrent change");
                err(StatusCode::CONFLICT, "KMS.0101", "The key changed concurrently; retry the request.")
            }
            RotationError::Op(e) => {
                tracing::error!(error = %e, "side API: key operation failed");
                err(StatusCode::INTERNAL_SERVER_ERROR, "KMS.0101", "KMS error.")
            }
            _ => err(StatusCode::INTERNAL_SERVER_ERROR, "KMS.0101", "KMS error."),
        }
    }
}

impl From<AuthError> for KmsError {
    fn from(e: AuthError) -> Self {
        let forbidden = StatusCode::FORBIDDEN;
        match e {
            AuthError::Missing => err(forbidden, "KMS.0301", "The token is null or invalid."),
            AuthError::Invalid => err(forbidden, "KMS.0302", "The token is invalid."),
            AuthError::Expired => err(forbidden, "KMS.0303", "The token has expired."),
            AuthError::WrongProject => err(forbidden, "KMS.0321", "URIs in URL and X-Auth-Token do not match."),
        }
    }
}

/// `^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$`
fn valid_key_id(key_id: &str) -> bool {
    let parts: Vec<&str> = key_id.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()))
}

/// `^[a-zA-Z0-9:/_-]{1,255}$`
fn valid_alias(alias: &str) -> bool {
    (1..=255).contains(&alias.len())
        && alias.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'/' | b'_' | b'-'))
}

fn key_state(record: &CmkRecord) -> &'static str {
    match record.state {
        CmkState::Enabled => "2",
        CmkState::Disabled => "3",
        CmkState::PendingDeletion { .. } => "4",
    }
}

fn key_info(record: &CmkRecord) -> Value {
    json!({
        "key_id": record.key_id,
        "domain_id": record.project,
        "key_alias": record.alias,
        "realm": "",
        "key_spec": record.key_spec,
        "key_usage": "ENCRYPT_DECRYPT",
        "key_description": record.description,
        "creation_date": (record.created * 1000).to_string(),
        "scheduled_deletion_date": match record.state {
            CmkState::PendingDeletion { at } => (at * 1000).to_string(),
            _ => String::new(),
        },
        "key_state": key_state(record),
        "default_key_flag": "0",
        "key_type": "1",
        "expiration_time": "",
        "origin": record.origin,
        "key_rotation_enabled": record.policy.enabled.to_string(),
        "sys_enterprise_project_id": "0",
        "keystore_id": "0",
    })
}

/// `POST /v1.0/{project_id}/kms/{action}`: authenticates, parses, and runs one action.
pub(crate) async fn handle(
    State(state): State<Arc<AppState>>,
    Path((project, action)): Path<(String, String)>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, KmsError> {
    let now = state.service.now();
    authenticate(&state.http, &project, &method, &uri, &headers, &body, now)?;
    let request: Value = if body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(&body).map_err(|_| err(StatusCode::BAD_REQUEST, "KMS.0202", "Invalid JSON."))?
    };
    if !request.is_object() {
        return Err(err(StatusCode::BAD_REQUEST, "KMS.0202", "The request body must be a JSON object."));
    }
    let state2 = state.clone();
    tokio::task::spawn_blocking(move || run(&state2, &project, &action, &request))
        .await
        .map_err(|_| err(StatusCode::INTERNAL_SERVER_ERROR, "KMS.0103", "System exception."))?
}

fn string<'a>(request: &'a Value, field: &str) -> Option<&'a str> {
    request.get(field).and_then(Value::as_str)
}

/// The CMK a request names, which must be this project's.
fn named_cmk(state: &AppState, project: &str, request: &Value) -> Result<CmkRecord, KmsError> {
    let key_id =
        string(request, "key_id").ok_or_else(|| err(StatusCode::BAD_REQUEST, "KMS.0204", "key_id is missing."))?;
    if !valid_key_id(key_id) {
        return Err(err(StatusCode::BAD_REQUEST, "KMS.0205", "Invalid key ID."));
    }
    match state.service.cmk(key_id) {
        Ok(record) if record.project == project => Ok(record),
        Ok(_) | Err(RotationError::NotFound) => Err(RotationError::NotFound.into()),
        Err(e) => Err(e.into()),
    }
}

fn require_enabled(record: &CmkRecord) -> Result<(), RotationError> {
    match record.state {
        CmkState::Enabled => Ok(()),
        CmkState::Disabled => Err(RotationError::Disabled),
        CmkState::PendingDeletion { .. } => Err(RotationError::PendingDeletion),
    }
}

fn run(state: &AppState, project: &str, action: &str, request: &Value) -> Result<Json<Value>, KmsError> {
    let svc = &state.service;
    let ok = |v: Value| Ok(Json(v));
    match action {
        "create-key" => {
            let alias = string(request, "key_alias")
                .ok_or_else(|| err(StatusCode::BAD_REQUEST, "KMS.0204", "key_alias is missing."))?;
            if !valid_alias(alias) {
                return Err(err(StatusCode::BAD_REQUEST, "KMS.1101", "Invalid key_alias."));
            }
            if let Some(spec) = string(request, "key_spec") {
                if spec != "AES_256" {
                    return Err(err(
                        StatusCode::BAD_REQUEST,
                        "KMS.0308",
                        format!("key_spec {spec} is not offered; AES_256 is"),
                    ));
                }
            }
            if string(request, "origin").is_some_and(|o| o != "kms") {
                return Err(err(StatusCode::BAD_REQUEST, "KMS.0308", "only origin kms is offered"));
            }
            let owner = state
                .http
                .projects
                .iter()
                .find(|p| p.id == project)
                .map_or_else(|| format!("project:{project}"), |p| p.kmip_owner.clone());
            let spec = NewCmk {
                project: project.to_owned(),
                owner,
                alias: alias.to_owned(),
                description: string(request, "key_description").unwrap_or_default().to_owned(),
            };
            let record = svc.create_cmk(spec)?;
            ok(json!({"key_info": {"key_id": record.key_id, "domain_id": record.project}}))
        }
        "describe-key" => ok(json!({"key_info": key_info(&named_cmk(state, project, request)?)})),
        "list-keys" => list_keys(state, project, request),
        "get-key-rotation-status" => {
            let r = named_cmk(state, project, request)?;
            ok(json!({
                "key_rotation_enabled": r.policy.enabled,
                "rotation_interval": r.policy.interval_days,
                "last_rotation_time": r.policy.last_rotation.map_or_else(String::new, |t| (t * 1000).to_string()),
                "number_of_rotations": r.policy.rotations,
                "key_materials": r.versions.iter().rev().map(|v| json!({
                    "material_id": v.uid,
                    "create_time": (v.created * 1000).to_string(),
                    "state": 2,
                })).collect::<Vec<_>>(),
            }))
        }
        "enable-key-rotation" => {
            let record = named_cmk(state, project, request)?;
            svc.update_cmk(&record.key_id, |r, now| {
                require_enabled(r)?;
                if r.origin != "kms" {
                    return Err(RotationError::Imported);
                }
                if r.policy.enabled {
                    return Err(RotationError::AlreadyEnabled);
                }
                r.policy.enabled = true;
                r.policy.next_rotation = Some(one_interval_after(now, r.policy.interval_days));
                Ok(())
            })?;
            ok(json!({}))
        }
        "disable-key-rotation" => {
            let record = named_cmk(state, project, request)?;
            svc.update_cmk(&record.key_id, |r, _| {
                if !r.policy.enabled {
                    return Err(RotationError::NotEnabled);
                }
                r.policy.enabled = false;
                r.policy.next_rotation = None;
                Ok(())
            })?;
            ok(json!({}))
        }
        "update-key-rotation-interval" => {
            let record = named_cmk(state, project, request)?;
            let days = request
                .get("rotation_interval")
                .and_then(Value::as_u64)
                .and_then(|d| u32::try_from(d).ok())
                .filter(|d| INTERVAL_DAYS.contains(d))
                .ok_or(RotationError::BadInterval)?;
            svc.update_cmk(&record.key_id, |r, now| {
                r.policy.interval_days = days;
                if r.policy.enabled {
                    r.policy.next_rotation = Some(one_interval_after(r.policy.last_rotation.unwrap_or(now), days));
                }
                Ok(())
            })?;
            ok(json!({}))
        }
        "rotate-on-demand" => {
            let record = named_cmk(state, project, request)?;
            let record = svc.rotate_cmk(&record.key_id, VersionOrigin::OnDemand)?;
            ok(json!({"key_id": record.key_id}))
        }
        "enable-key" | "disable-key" => {
            let record = named_cmk(state, project, request)?;
            let enable = action == "enable-key";
            let record = svc
                .update_cmk(&record.key_id, |r, _| {
                    match (r.state, enable) {
                        (CmkState::Disabled, true) => r.state = CmkState::Enabled,
                        (CmkState::Enabled, false) => r.state = CmkState::Disabled,
                        (_, true) => return Err(RotationError::BadState("The key is not disabled.")),
                        (_, false) => return Err(RotationError::BadState("The key is not enabled.")),
                    }
                    Ok(())
                })
                .map_err(|e| match e {
                    RotationError::BadState(m) if enable => err(StatusCode::BAD_REQUEST, "KMS.1201", m),
                    RotationError::BadState(m) => err(StatusCode::BAD_REQUEST, "KMS.1301", m),
                    other => other.into(),
                })?;
            ok(json!({"key_info": {"key_id": record.key_id, "key_state": key_state(&record)}}))
        }
        "schedule-key-deletion" => {
            let record = named_cmk(state, project, request)?;
            let days = request
                .get("pending_days")
                .and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
                .filter(|d| (7..=1096).contains(d))
                .ok_or_else(|| err(StatusCode::BAD_REQUEST, "KMS.1401", "pending_days must be 7 to 1096."))?;
            let record = svc
                .update_cmk(&record.key_id, |r, now| {
                    if matches!(r.state, CmkState::PendingDeletion { .. }) {
                        return Err(RotationError::BadState("The key is already pending deletion."));
                    }
                    r.state = CmkState::PendingDeletion { at: now + days as i64 * DAY };
                    Ok(())
                })
                .map_err(|e| match e {
                    RotationError::BadState(m) => err(StatusCode::BAD_REQUEST, "KMS.1402", m),
                    other => other.into(),
                })?;
            ok(json!({"key_id": record.key_id, "key_state": key_state(&record)}))
        }
        "cancel-key-deletion" => {
            let record = named_cmk(state, project, request)?;
            let record = svc
                .update_cmk(&record.key_id, |r, _| {
                    if !matches!(r.state, CmkState::PendingDeletion { .. }) {
                        return Err(RotationError::BadState("The key is not pending deletion."));
                    }
                    // > Huawei KMS: a cancelled deletion leaves the key disabled.
                    r.state = CmkState::Disabled;
                    Ok(())
                })
                .map_err(|e| match e {
                    RotationError::BadState(m) => err(StatusCode::BAD_REQUEST, "KMS.1501", m),
                    other => other.into(),
                })?;
            ok(json!({"key_id": record.key_id, "key_state": key_state(&record)}))
        }
        _ => Err(err(StatusCode::BAD_REQUEST, "KMS.0201", "Invalid URL.")),
    }
}

fn list_keys(state: &AppState, project: &str, request: &Value) -> Result<Json<Value>, KmsError> {
    let number =
        |field: &str| request.get(field).and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())));
    let limit = match number("limit") {
        Some(l) if (1..=1000).contains(&l) => l as usize,
        Some(_) => return Err(err(StatusCode::BAD_REQUEST, "KMS.1601", "Invalid limit.")),
        None => 1000,
    };
    let marker = string(request, "marker").filter(|m| !m.is_empty());
    let mut ids = state.service.project_cmks(project, marker, limit + 1).map_err(KmsError::from)?;
    let truncated = ids.len() > limit;
    ids.truncate(limit);
    let mut details = Vec::with_capacity(ids.len());
    for id in &ids {
        details.push(key_info(&state.service.cmk(id)?));
    }
    Ok(Json(json!({
        "keys": ids,
        "key_details": details,
        "next_marker": if truncated { ids.last().cloned().unwrap_or_default() } else { String::new() },
        "truncated": truncated.to_string(),
        "total": ids.len(),
    })))
}
