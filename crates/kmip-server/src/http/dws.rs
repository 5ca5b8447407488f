//! GaussDB(DWS)-compatible routes: a registry of consumer clusters bound to CMKs, their
//! encryption information, and key rotation. Errors are flat: `{"error_code", "error_msg"}`.
//!
//! - `POST /v2/{project_id}/clusters/{cluster_id}/encrypt` binds a cluster to a CMK;
//! - `GET /v1/{project_id}/clusters/{cluster_id}/encrypt-info` reads the binding;
//! - `POST /v1/{project_id}/clusters/{cluster_id}/rotate-key` rotates the cluster's CMK now,
//!   or rebinds it to `master_key_id`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use kmip_keystore::{CmkRecord, VersionOrigin};
use kmip_ops::rotation::RotationError;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::AppState;
use super::auth::authenticate;

/// A DWS error.
#[derive(Debug)]
pub(crate) struct DwsError(StatusCode, &'static str, String);

impl IntoResponse for DwsError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error_code": self.1, "error_msg": self.2}))).into_response()
    }
}

impl From<RotationError> for DwsError {
    fn from(e: RotationError) -> Self {
        match e {
            RotationError::NotFound => DwsError(StatusCode::BAD_REQUEST, "DWS.0002", "the CMK does not exist".into()),
            RotationError::Disabled | RotationError::PendingDeletion => {
                DwsError(StatusCode::BAD_REQUEST, "DWS.0003", "the CMK is disabled".into())
            }
            RotationError::Op(e) => {
                tracing::error!(error = %e, "side API: DWS operation failed");
                DwsError(StatusCode::INTERNAL_SERVER_ERROR, "DWS.0000", "internal error".into())
            }
            other => DwsError(StatusCode::BAD_REQUEST, "DWS.0004", other.to_string()),
        }
    }
}

/// A cluster's binding, as the store keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Binding {
    key_id: String,
    crypt_algorithm: String,
}

fn record_key(project: &str, cluster: &str) -> String {
    format!("dws/{project}/{cluster}")
}

fn binding(state: &AppState, project: &str, cluster: &str) -> Result<Option<Binding>, DwsError> {
    match state.service.record(&record_key(project, cluster))? {
        Some(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|_| DwsError(StatusCode::INTERNAL_SERVER_ERROR, "DWS.0000", "corrupt cluster record".into())),
        None => Ok(None),
    }
}

fn cmk(state: &AppState, project: &str, key_id: &str) -> Result<CmkRecord, DwsError> {
    match state.service.cmk(key_id) {
        Ok(record) if record.project == project => Ok(record),
        Ok(_) => Err(RotationError::NotFound.into()),
        Err(e) => Err(e.into()),
    }
}

/// `YYYY-MM-DD HH:MM:SS`, UTC, as DWS writes times.
fn dws_time(seconds: i64) -> String {
    let days = seconds.div_euclid(86_400);
    let rem = seconds.rem_euclid(86_400);
    // Civil date from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

async fn authorised(
    state: &AppState,
    project: &str,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), DwsError> {
    authenticate(&state.http, project, method, uri, headers, body, state.service.now())
        .map_err(|_| DwsError(StatusCode::UNAUTHORIZED, "DWS.0001", "authentication failed".into()))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, DwsError> + Send + 'static) -> Result<T, DwsError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| DwsError(StatusCode::INTERNAL_SERVER_ERROR, "DWS.0000", "internal error".into()))?
}

/// `GET /v1/{project_id}/clusters/{cluster_id}/encrypt-info`.
pub(crate) async fn encrypt_info(
    State(state): State<Arc<AppState>>,
    Path((project, cluster)): Path<(String, String)>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> Result<Json<Value>, DwsError> {
    authorised(&state, &project, &method, &uri, &headers, b"").await?;
    blocking(move || {
        let Some(bound) = binding(&state, &project, &cluster)? else {
            return Err(DwsError(StatusCode::NOT_FOUND, "DWS.0005", format!("cluster {cluster} is not registered")));
        };
        let record = cmk(&state, &project, &bound.key_id)?;
        Ok(Json(json!({
            "id": record.versions.first().map(|v| v.uid.clone()),
            "cluster_id": cluster,
            "master_key_id": record.key_id,
            "master_key_name": record.alias,
            "last_rotate_key_time": record.policy.last_rotation.map(dws_time),
            "crypt_algorithm": bound.crypt_algorithm,
        })))
    })
    .await
}

/// `POST /v2/{project_id}/clusters/{cluster_id}/encrypt`: registers the cluster and binds it.
pub(crate) async fn encrypt(
    State(state): State<Arc<AppState>>,
    Path((project, cluster)): Path<(String, String)>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, DwsError> {
    authorised(&state, &project, &method, &uri, &headers, &body).await?;
    let request: Value = serde_json::from_slice(&body)
        .map_err(|_| DwsError(StatusCode::BAD_REQUEST, "DWS.0006", "invalid JSON".into()))?;
    let encrypt = request.get("encrypt").unwrap_or(&Value::Null);
    let key_id = encrypt.get("master_key_id").and_then(Value::as_str).unwrap_or_default().to_owned();
    let algorithm = encrypt.get("crypt_algorithm").and_then(Value::as_str).unwrap_or("generalCipher").to_owned();
    if algorithm != "generalCipher" {
        return Err(DwsError(StatusCode::BAD_REQUEST, "DWS.0007", "only generalCipher (AES) is offered".into()));
    }
    blocking(move || {
        cmk(&state, &project, &key_id)?;
        let bound = Binding { key_id, crypt_algorithm: algorithm };
        let bytes = serde_json::to_vec(&bound).unwrap_or_default();
        state.service.put_record(&record_key(&project, &cluster), bytes)?;
        Ok(Json(json!({"job_id": format!("encrypt-{cluster}")})))
    })
    .await
}

/// `POST /v1/{project_id}/clusters/{cluster_id}/rotate-key`.
pub(crate) async fn rotate_key(
    State(state): State<Arc<AppState>>,
    Path((project, cluster)): Path<(String, String)>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, DwsError> {
    authorised(&state, &project, &method, &uri, &headers, &body).await?;
    let request: Value = if body.is_empty() {
        json!({})
    } else {
        serde_json::from_slice(&body)
            .map_err(|_| DwsError(StatusCode::BAD_REQUEST, "DWS.0006", "invalid JSON".into()))?
    };
    let rebind = request.get("master_key_id").and_then(Value::as_str).filter(|k| !k.is_empty()).map(str::to_owned);
    blocking(move || {
        let Some(mut bound) = binding(&state, &project, &cluster)? else {
            return Err(DwsError(StatusCode::NOT_FOUND, "DWS.0005", format!("cluster {cluster} is not registered")));
        };
        let record = match rebind {
            // Switch the cluster to another CMK.
            Some(key_id) => {
                let record = cmk(&state, &project, &key_id)?;
                bound.key_id = key_id;
                state
                    .service
                    .put_record(&record_key(&project, &cluster), serde_json::to_vec(&bound).unwrap_or_default())?;
                record
            }
            // Rotate the cluster's CMK now.
            None => {
                cmk(&state, &project, &bound.key_id)?;
                state.service.rotate_cmk(&bound.key_id, VersionOrigin::OnDemand)?
            }
        };
        Ok(Json(json!({
            "master_key_name": record.alias,
            "cluster_id": cluster,
            "rotate_key_time": dws_time(record.policy.last_rotation.unwrap_or(state.service.now())),
        })))
    })
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn dws_times() {
        assert_eq!(super::dws_time(0), "1970-01-01 00:00:00");
        assert_eq!(super::dws_time(1_767_225_600 + 3661), "2026-01-01 01:01:01");
    }
}
