//! Qumulo-compatible routes: the cluster's own view of its key store, for harnesses that
//! stand in for a Qumulo cluster. The status comes from a real probe of the configured KMIP
//! server (a Get and a GetAttributes(State) over mutual TLS with the configured PEMs), and no
//! route ever returns a certificate or a private key.
//!
//! Errors take Qumulo's shape: `{module, error_class, description, stack, user_visible}`.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::AppState;
use crate::probe::{self, KmsTarget, ProbeStatus};

/// Where the key-store configuration is kept.
const RECORD: &str = "qumulo/key-store";
/// How long a bearer token lasts, in seconds.
const SESSION_SECONDS: i64 = 12 * 3600;

/// A Qumulo API error.
#[derive(Debug)]
pub(crate) struct QumuloError(StatusCode, &'static str, String);

impl IntoResponse for QumuloError {
    fn into_response(self) -> Response {
        let body =
            json!({"module": "kmipd", "error_class": self.1, "description": self.2, "stack": [], "user_visible": true});
        (self.0, Json(body)).into_response()
    }
}

fn bad_request(description: impl Into<String>) -> QumuloError {
    QumuloError(StatusCode::BAD_REQUEST, "validation_error", description.into())
}

fn internal(e: impl std::fmt::Display) -> QumuloError {
    tracing::error!(error = %e, "side API: Qumulo route failed");
    QumuloError(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "internal error".into())
}

/// The stored configuration. The PEMs are kept to probe with; no route returns them.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct KeyStore {
    kms: Option<Kms>,
    last_key_rotation_time: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Kms {
    hostname: String,
    port: u16,
    key_id: String,
    server_ca_cert: String,
    client_cert: String,
    client_private_key: String,
    config_creation_time: String,
}

impl Kms {
    fn target(&self) -> KmsTarget {
        KmsTarget {
            hostname: self.hostname.clone(),
            port: self.port,
            server_ca_cert: self.server_ca_cert.clone(),
            client_cert: self.client_cert.clone(),
            client_private_key: self.client_private_key.clone(),
        }
    }
}

fn rfc3339(seconds: i64, nanos: u32) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .map(|t| t.replace_nanosecond(nanos).unwrap_or(t))
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

fn now_string(state: &AppState) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    rfc3339(state.service.now(), nanos)
}

async fn load(state: &Arc<AppState>) -> Result<KeyStore, QumuloError> {
    let state = state.clone();
    let bytes =
        tokio::task::spawn_blocking(move || state.service.record(RECORD)).await.map_err(internal)?.map_err(internal)?;
    match bytes {
        Some(bytes) => serde_json::from_slice(&bytes).map_err(internal),
        None => Ok(KeyStore::default()),
    }
}

async fn save(state: &Arc<AppState>, store: &KeyStore) -> Result<(), QumuloError> {
    let bytes = serde_json::to_vec(store).map_err(internal)?;
    let state = state.clone();
    tokio::task::spawn_blocking(move || state.service.put_record(RECORD, bytes))
        .await
        .map_err(internal)?
        .map_err(internal)
}

/// Checks `Authorization: Bearer <token>` against the live sessions.
fn authorised(state: &AppState, headers: &HeaderMap) -> Result<(), QumuloError> {
    let token = headers.get("authorization").and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let now = state.service.now();
    let sessions = state.sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    match token.and_then(|t| sessions.get(t)) {
        Some(expiry) if *expiry > now => Ok(()),
        _ => Err(QumuloError(StatusCode::UNAUTHORIZED, "http_unauthorized_error", "Need to log in first".into())),
    }
}

fn parse<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, QumuloError> {
    serde_json::from_slice(body).map_err(|e| bad_request(format!("invalid request body: {e}")))
}

/// `port` arrives as a number in the schema and as a string from `qq`: take both.
fn port_of(value: &Value) -> Result<u16, QumuloError> {
    let port = match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        Value::Null => Some(5696),
        _ => None,
    };
    port.and_then(|p| u16::try_from(p).ok()).filter(|p| *p > 0).ok_or_else(|| bad_request("port must be 1 to 65535"))
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

/// `POST /v1/session/login`.
pub(crate) async fn login(State(state): State<Arc<AppState>>, body: Bytes) -> Result<Json<Value>, QumuloError> {
    let login: Login = parse(&body)?;
    let known = state.http.logins.iter().any(|l| l.username == login.username && l.password.matches(&login.password));
    if !known {
        return Err(QumuloError(
            StatusCode::UNAUTHORIZED,
            "http_unauthorized_error",
            "Invalid username or password".into(),
        ));
    }
    let mut raw = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut raw).map_err(|_| internal("random"))?;
    let token = format!("session-v1:{}", hex::encode(raw));
    let expiry = state.service.now() + SESSION_SECONDS;
    state.sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(token.clone(), expiry);
    Ok(Json(json!({"bearer_token": token})))
}

/// `GET /v2/encryption/key-store`: never certificates or keys.
pub(crate) async fn get_key_store(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Value>, QumuloError> {
    authorised(&state, &headers)?;
    Ok(Json(match load(&state).await?.kms {
        None => json!({"type": "Local", "local_store": {"status": "Encrypted"}}),
        Some(kms) => json!({"type": "KMS", "kms_store": {
            "hostname": kms.hostname, "port": kms.port, "key_id": kms.key_id, "config_creation_time": kms.config_creation_time,
        }}),
    }))
}

/// `PUT /v2/encryption/key-store`: `{type: "Local"}` or `{type: "KMS", kms_store: {...}}`.
pub(crate) async fn put_key_store(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, QumuloError> {
    authorised(&state, &headers)?;
    let request: Value = parse(&body)?;
    let mut store = load(&state).await?;
    match request.get("type").and_then(Value::as_str) {
        Some("Local") => store.kms = None,
        Some("KMS") => {
            let kms = request.get("kms_store").ok_or_else(|| bad_request("kms_store is required"))?;
            let text = |field: &str| {
                kms.get(field)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| bad_request(format!("{field} is required")))
            };
            let config = Kms {
                hostname: text("hostname")?,
                port: port_of(kms.get("port").unwrap_or(&Value::Null))?,
                key_id: text("key_id")?,
                server_ca_cert: text("server_ca_cert")?,
                client_cert: text("client_cert")?,
                client_private_key: text("client_private_key")?,
                config_creation_time: now_string(&state),
            };
            if probe::cert_expiry(&config.client_cert).is_none() || probe::cert_expiry(&config.server_ca_cert).is_none()
            {
                return Err(bad_request("client_cert and server_ca_cert must be PEM certificates"));
            }
            // > seed-systems §6 A: "400 when key_id is unknown on the KMS".
            if probe::probe(&config.target(), &config.key_id).await == ProbeStatus::KeyNotFound {
                return Err(bad_request(format!("KMS Key Not Found: {}", config.key_id)));
            }
            store.kms = Some(config);
        }
        _ => return Err(bad_request("type must be Local or KMS")),
    }
    save(&state, &store).await?;
    Ok(Json(json!({})))
}

/// `GET /v2/encryption/key-store/status`: probes the KMS now.
pub(crate) async fn status(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Json<Value>, QumuloError> {
    authorised(&state, &headers)?;
    let store = load(&state).await?;
    let updated = now_string(&state);
    Ok(Json(match &store.kms {
        None => json!({
            "type": "Local", "status": "Encrypted", "ca_cert_expiry": null, "client_cert_expiry": null,
            "last_key_rotation_time": store.last_key_rotation_time, "last_status_update_time": updated,
        }),
        Some(kms) => json!({
            "type": "KMS",
            "status": probe::probe(&kms.target(), &kms.key_id).await.as_str(),
            "ca_cert_expiry": probe::cert_expiry(&kms.server_ca_cert),
            "client_cert_expiry": probe::cert_expiry(&kms.client_cert),
            "last_key_rotation_time": store.last_key_rotation_time,
            "last_status_update_time": updated,
        }),
    }))
}

/// `POST /v2/encryption/rotate-keys` `{key_id?}`: switches the cluster to another key.
pub(crate) async fn rotate_keys(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, QumuloError> {
    authorised(&state, &headers)?;
    let request: Value = if body.is_empty() { json!({}) } else { parse(&body)? };
    let mut store = load(&state).await?;
    if let Some(kms) = store.kms.as_mut() {
        let key_id = request
            .get("key_id")
            .and_then(Value::as_str)
            .ok_or_else(|| bad_request("a KMS key store rotates to a key_id"))?;
        if probe::probe(&kms.target(), key_id).await == ProbeStatus::KeyNotFound {
            return Err(QumuloError(
                StatusCode::NOT_FOUND,
                "kms_key_not_found",
                format!("KMS Key Not Found: {key_id}"),
            ));
        }
        kms.key_id = key_id.to_owned();
    }
    store.last_key_rotation_time = Some(now_string(&state));
    save(&state, &store).await?;
    Ok(Json(json!({})))
}

/// `POST /v2/encryption/external-kms/keys/create` `{kms_config?, key_name}`.
pub(crate) async fn create_key(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, QumuloError> {
    authorised(&state, &headers)?;
    let request: Value = parse(&body)?;
    let name = request.get("key_name").and_then(Value::as_str).ok_or_else(|| bad_request("key_name is required"))?;
    let target = match request.get("kms_config") {
        Some(config) => {
            let text = |field: &str| {
                config
                    .get(field)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or_else(|| bad_request(format!("{field} is required")))
            };
            KmsTarget {
                hostname: text("hostname")?,
                port: port_of(config.get("port").unwrap_or(&Value::Null))?,
                server_ca_cert: text("server_ca_cert")?,
                client_cert: text("client_cert")?,
                client_private_key: text("client_private_key")?,
            }
        }
        None => load(&state)
            .await?
            .kms
            .map(|k| k.target())
            .ok_or_else(|| bad_request("no KMS is configured and no kms_config was given"))?,
    };
    let key_id = probe::create_key(&target, name)
        .await
        .map_err(|e| bad_request(format!("the KMS refused to create the key: {e}")))?;
    Ok(Json(json!({"key_id": key_id})))
}

/// `GET /v1/encryption/status`.
pub(crate) async fn v1_status(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Value>, QumuloError> {
    authorised(&state, &headers)?;
    let store = load(&state).await?;
    Ok(Json(json!({"status": "Encrypted", "last_key_rotation_time": store.last_key_rotation_time})))
}

/// `POST /v1/encryption/rotate-keys`: a local rotation; only its time is recorded here.
pub(crate) async fn v1_rotate(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Json<Value>, QumuloError> {
    authorised(&state, &headers)?;
    let mut store = load(&state).await?;
    store.last_key_rotation_time = Some(now_string(&state));
    save(&state, &store).await?;
    Ok(Json(json!({})))
}
