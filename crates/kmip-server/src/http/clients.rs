//! `GET /v1/clients`: the client health registry, for operator tokens; and
//! `GET /v1/keys/{key_id}/consumers`: which client uses which version of a CMK.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use kmip_ops::rfc3339;
use serde_json::{Value, json};

use super::{AppState, token_config, token_project};

/// Objects counted per identity at most: the count reads the owner index, and past this
/// many the answer says "at least".
const KEYS_COUNTED: usize = 100_000;

/// Every client identity this node has served: versions, last success, last failure,
/// certificate expiry, requests, and the keys it owns.
pub(crate) async fn clients(State(state): State<Arc<AppState>>, headers: HeaderMap) -> (StatusCode, Json<Value>) {
    let Some(token) = token_config(&state, &headers) else {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "an X-Auth-Token is required"})));
    };
    if !token.operator {
        return (StatusCode::FORBIDDEN, Json(json!({"error": "this view is for operator tokens"})));
    }
    let snapshot = state.clients.snapshot();
    let (service, now) = (state.service.clone(), state.service.now());
    // The key counts read the store: off the async threads.
    let owned = tokio::task::spawn_blocking(move || {
        snapshot
            .into_iter()
            .map(|(identity, health)| {
                let keys = service.objects_owned(&identity, KEYS_COUNTED + 1);
                (identity, health, keys)
            })
            .collect::<Vec<_>>()
    })
    .await;
    let Ok(rows) = owned else {
        return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": "the registry is unreadable"})));
    };
    let clients: Vec<Value> = rows
        .into_iter()
        .map(|(identity, health, keys)| {
            json!({
                "identity": identity,
                "kmip_versions": health.versions.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "last_success": health.last_success.map(rfc3339),
                "last_error": health.last_failure.map(|f| json!({
                    "at": rfc3339(f.at),
                    "operation": f.operation,
                    "result_reason": f.reason,
                })),
                "certificate_not_after": rfc3339(health.not_after),
                "certificate_expires_in_days": (health.not_after - now).div_euclid(86_400),
                "requests": health.items,
                "failed_requests": health.failures,
                "objects_owned": keys.as_ref().map_or(0, |k| (*k).min(KEYS_COUNTED)),
                "objects_owned_at_least": keys.as_ref().is_ok_and(|k| *k > KEYS_COUNTED),
            })
        })
        .collect();
    (StatusCode::OK, Json(json!({"clients": clients})))
}

/// `GET /v1/keys/{key_id}/consumers`, for a token of the CMK's project: each client's last
/// version (Get, Encrypt, Decrypt) and when, and for each version whether it is safe to
/// retire (no client's last use within `[rotation] retire_after_unused_days`).
pub(crate) async fn consumers(
    State(state): State<Arc<AppState>>,
    Path(key_id): Path<String>,
    headers: HeaderMap,
) -> (StatusCode, Json<Value>) {
    let Some(project) = token_project(&state, &headers) else {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "an X-Auth-Token is required"})));
    };
    let service = state.service.clone();
    let read = tokio::task::spawn_blocking(move || {
        let record = service.cmk(&key_id)?;
        let consumers = service.consumers_of(&key_id)?;
        Ok::<_, kmip_ops::rotation::RotationError>((record, consumers))
    })
    .await;
    let (record, consumers) = match read {
        Ok(Ok((record, consumers))) if record.project == project => (record, consumers),
        Ok(Ok(_)) | Ok(Err(kmip_ops::rotation::RotationError::NotFound)) => {
            return (StatusCode::NOT_FOUND, Json(json!({"error": "no such key"})));
        }
        _ => return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": "the consumers are unreadable"}))),
    };
    let now = state.service.now();
    let versions: Vec<Value> = record
        .versions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            json!({
                "uid": v.uid,
                "generation": i + 1,
                "safe_to_retire": state.service.safe_to_retire(&record, &consumers, &v.uid, now),
            })
        })
        .collect();
    let consumers: Vec<Value> = consumers
        .iter()
        .map(|c| json!({"identity": c.identity, "version": c.version, "generation": c.generation, "last_used": rfc3339(c.last_used)}))
        .collect();
    (StatusCode::OK, Json(json!({"key_id": record.key_id, "consumers": consumers, "versions": versions})))
}
