//! The HTTPS side API: rotation status and control over HTTP/1.1, on its own port, with the
//! server's certificate. Routes call the `kmip-ops` service, never the store.
//!
//! - `/v1.0/{project_id}/kms/{action}`: Huawei Cloud KMS-compatible ([`huawei`]).
//! - `/v1/{project_id}/clusters/{cluster_id}/...`: GaussDB(DWS)-compatible ([`dws`]).
//! - `/v1/session/login`, `/v2/encryption/...`, `/v1/encryption/...`: Qumulo-compatible
//!   ([`qumulo`]).
//! - `GET /v1/keys/{key_id}/versions`: a CMK's versions (the KMIP UIDs clients hold).
//! - `GET /healthz`, `GET /readyz`, `GET /metrics` (Prometheus), `GET /openapi.json`.

mod auth;
mod aws;
mod clients;
mod dws;
mod huawei;
mod qumulo;
mod schedule;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use kmip_ops::Service;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::config::HttpConfig;

/// The OpenAPI 3.0 document of every route here, checked in beside this file.
const OPENAPI: &str = include_str!("openapi.json");

/// What every handler shares.
#[derive(Debug)]
pub(crate) struct AppState {
    pub(crate) service: Arc<Service>,
    pub(crate) http: HttpConfig,
    /// Qumulo-style bearer tokens and when they expire.
    pub(crate) sessions: std::sync::Mutex<std::collections::HashMap<String, i64>>,
    /// How far re-sealing under the current root key has come.
    pub(crate) reseal: Arc<crate::ResealProgress>,
    /// The audit log.
    pub(crate) audit: crate::audit::Audit,
    /// The TLS configurations, for the certificate expiry metric (none in the fuzz target).
    pub(crate) tls: Option<Arc<crate::tls::TlsState>>,
    /// Whether this node runs the rotation scheduler now.
    pub(crate) leading: Arc<std::sync::atomic::AtomicBool>,
    /// The KMIP clients this node has served.
    pub(crate) clients: Arc<crate::clients::ClientRegistry>,
}

/// Who made a side-API call, by the kind of credential it carried: never the credential.
fn caller(headers: &HeaderMap) -> String {
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if header("x-auth-token").is_some() {
        return "token".into();
    }
    match header("authorization") {
        Some(a) if a.starts_with("SDK-HMAC-SHA256") => a
            .split([' ', ','])
            .find_map(|part| part.trim().strip_prefix("Access="))
            .map_or_else(|| "ak:?".into(), |ak| format!("ak:{ak}")),
        Some(a) if a.starts_with("Bearer ") => "session".into(),
        Some(_) => "other".into(),
        None => "anonymous".into(),
    }
}

/// Writes one audit line per call, after the handler has answered.
async fn audit_call(
    State(state): State<Arc<AppState>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let (method, path, who) = (request.method().clone(), request.uri().path().to_owned(), caller(request.headers()));
    let response = next.run(request).await;
    state.audit.http(&who, method.as_str(), &path, response.status().as_u16());
    response
}

/// The side API's routes.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(|| async { ([("content-type", "application/json")], OPENAPI) }))
        .route("/v1/keys/{key_id}/versions", get(versions))
        .route("/v1/keys/{key_id}/policy", put(set_policy))
        .route("/v1/keys/{key_id}/consumers", get(clients::consumers))
        .route("/v1/rotation/schedule", get(schedule::schedule))
        .route("/v1/clients", get(clients::clients))
        .route("/", post(aws::handle))
        .route("/v1.0/{project_id}/kms/{action}", post(huawei::handle))
        .route("/v1/{project_id}/clusters/{cluster_id}/encrypt-info", get(dws::encrypt_info))
        .route("/v1/{project_id}/clusters/{cluster_id}/rotate-key", post(dws::rotate_key))
        .route("/v2/{project_id}/clusters/{cluster_id}/encrypt", post(dws::encrypt))
        .route("/v1/session/login", post(qumulo::login))
        .route("/v2/encryption/key-store", get(qumulo::get_key_store).put(qumulo::put_key_store))
        .route("/v2/encryption/key-store/status", get(qumulo::status))
        .route("/v2/encryption/rotate-keys", post(qumulo::rotate_keys))
        .route("/v2/encryption/external-kms/keys/create", post(qumulo::create_key))
        .route("/v1/encryption/status", get(qumulo::v1_status))
        .route("/v1/encryption/rotate-keys", post(qumulo::v1_rotate))
        .fallback(|| async {
            (StatusCode::NOT_FOUND, Json(json!({"error": {"error_code": "KMS.0201", "error_msg": "Invalid URL."}})))
        })
        .layer(axum::middleware::from_fn_with_state(state.clone(), audit_call))
        .with_state(state)
}

/// The configured token an `X-Auth-Token` header carries.
fn token_config<'a>(state: &'a AppState, headers: &HeaderMap) -> Option<&'a crate::config::TokenConfig> {
    let token = headers.get("x-auth-token").and_then(|v| v.to_str().ok())?;
    state.http.tokens.iter().find(|t| t.token.matches(token))
}

/// The project an `X-Auth-Token` acts for.
fn token_project(state: &AppState, headers: &HeaderMap) -> Option<String> {
    token_config(state, headers).map(|t| t.project.clone())
}

/// `PUT /v1/keys/{key_id}/policy` with any of `{"deactivate_after_days": 90 | null,
/// "max_encryptions_per_version": 4294967296 | null}`: the opt-in deactivation of versions
/// older than that many days (off by default, F2), and rotation once the current version has
/// served that many Encrypt operations (off by default). A field left out is left as it is.
async fn set_policy(
    State(state): State<Arc<AppState>>,
    Path(key_id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> (StatusCode, Json<serde_json::Value>) {
    use serde_json::Value;
    let Some(project) = token_project(&state, &headers) else {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "an X-Auth-Token is required"})));
    };
    let bad = |message: &str| (StatusCode::BAD_REQUEST, Json(json!({"error": message})));
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&body) else {
        return bad("the body must be a JSON object");
    };
    // Each field: absent (unchanged), null (off), or a number in range.
    let setting = |name: &str, range: std::ops::RangeInclusive<u64>| -> Result<Option<Option<u64>>, ()> {
        match fields.get(name) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(v) => v.as_u64().filter(|n| range.contains(n)).map(|n| Some(Some(n))).ok_or(()),
        }
    };
    let Ok(days) = setting("deactivate_after_days", 1..=3650) else {
        return bad("deactivate_after_days must be 1 to 3650, or null");
    };
    let Ok(cap) = setting("max_encryptions_per_version", 1..=(1 << 62)) else {
        return bad("max_encryptions_per_version must be 1 to 2^62, or null");
    };
    if days.is_none() && cap.is_none() {
        return bad("give deactivate_after_days or max_encryptions_per_version");
    }
    let service = state.service.clone();
    let result = tokio::task::spawn_blocking(move || {
        match service.cmk(&key_id) {
            Ok(record) if record.project == project => {}
            _ => return Err(kmip_ops::rotation::RotationError::NotFound),
        }
        service.update_cmk(&key_id, |r, _| {
            if let Some(days) = days {
                r.policy.deactivate_after_days = days.and_then(|d| u32::try_from(d).ok());
            }
            if let Some(cap) = cap {
                r.policy.max_encryptions = cap;
            }
            Ok(())
        })
    })
    .await;
    match result {
        Ok(Ok(record)) => (
            StatusCode::OK,
            Json(json!({
                "key_id": record.key_id,
                "deactivate_after_days": record.policy.deactivate_after_days,
                "max_encryptions_per_version": record.policy.max_encryptions,
            })),
        ),
        Ok(Err(kmip_ops::rotation::RotationError::NotFound)) => {
            (StatusCode::NOT_FOUND, Json(json!({"error": "no such key"})))
        }
        _ => (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": "internal error"}))),
    }
}

/// `GET /v1/keys/{key_id}/versions`: the chain of KMIP UIDs, oldest first, for a token of the
/// CMK's project.
async fn versions(
    State(state): State<Arc<AppState>>,
    Path(key_id): Path<String>,
    headers: HeaderMap,
) -> impl IntoResponse {
    let Some(project) = token_project(&state, &headers) else {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "an X-Auth-Token is required"})));
    };
    // Store reads block (and a PostgreSQL store's driver must not run on an async thread).
    let service = state.service.clone();
    match tokio::task::spawn_blocking(move || service.cmk(&key_id)).await {
        Ok(Ok(record)) if record.project == project => {
            let current = record.current_uid().map(str::to_owned);
            let versions: Vec<_> = record
                .versions
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    json!({
                        "uid": v.uid,
                        "generation": i + 1,
                        "created": v.created,
                        "origin": v.origin,
                        "is_current": Some(&v.uid) == current.as_ref(),
                    })
                })
                .collect();
            (StatusCode::OK, Json(json!({"key_id": record.key_id, "versions": versions})))
        }
        _ => (StatusCode::NOT_FOUND, Json(json!({"error": "no such key"}))),
    }
}

/// `GET /metrics`: Prometheus text exposition.
async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    use std::sync::atomic::Ordering::Relaxed;
    // Counted from the due-time index, up to a bound: a scrape stays cheap however many keys.
    let service = state.service.clone();
    let (overdue, soonest) = tokio::task::spawn_blocking(move || service.rotation_gauges(1_000_000))
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    let m = state.service.metrics();
    let body = format!(
        "# HELP kmip_rotations_total Key rotations made, by kind.\n\
         # TYPE kmip_rotations_total counter\n\
         kmip_rotations_total{{kind=\"automatic\"}} {}\n\
         kmip_rotations_total{{kind=\"on_demand\"}} {}\n\
         # HELP kmip_rotation_overdue_keys Keys whose rotation time has passed and that have not rotated yet.\n\
         # TYPE kmip_rotation_overdue_keys gauge\n\
         kmip_rotation_overdue_keys {overdue}\n\
         # HELP kmip_rotation_next_timestamp_seconds The soonest next rotation (0: none scheduled).\n\
         # TYPE kmip_rotation_next_timestamp_seconds gauge\n\
         kmip_rotation_next_timestamp_seconds {}\n\
         # HELP kmip_rotation_sweeps_total Scheduler sweeps for due keys.\n\
         # TYPE kmip_rotation_sweeps_total counter\n\
         kmip_rotation_sweeps_total {}\n",
        m.rotations_automatic.load(Relaxed),
        m.rotations_on_demand.load(Relaxed),
        soonest.unwrap_or(0),
        m.sweeps.load(Relaxed),
    ) + &format!(
        "# HELP kmip_client_certificates_expiring Client certificates seen by this node that expire within 30 days (or have).\n\
         # TYPE kmip_client_certificates_expiring gauge\n\
         kmip_client_certificates_expiring {}\n\
         # HELP kmip_rotation_scheduler_leader 1 while this node runs the rotation scheduler.\n\
         # TYPE kmip_rotation_scheduler_leader gauge\n\
         kmip_rotation_scheduler_leader {}\n\
         # HELP kmip_root_key_resealed_records Records sealed again under the current root key since start.\n\
         # TYPE kmip_root_key_resealed_records counter\n\
         kmip_root_key_resealed_records {}\n\
         # HELP kmip_root_key_reseal_complete 1 once every record is sealed under the current root key.\n\
         # TYPE kmip_root_key_reseal_complete gauge\n\
         kmip_root_key_reseal_complete {}\n",
        state.clients.expiring_within(state.service.now(), 30 * 86_400),
        u8::from(state.leading.load(Relaxed)),
        state.reseal.resealed.load(Relaxed),
        u8::from(state.reseal.complete.load(Relaxed)),
    ) + "# HELP kmip_certificate_not_after_seconds When a certificate kmipd serves with or trusts expires.\n\
           # TYPE kmip_certificate_not_after_seconds gauge\n"
        + &state
            .tls
            .as_ref()
            .map(|tls| tls.expiries())
            .unwrap_or_default()
            .iter()
            .map(|(label, at)| format!("kmip_certificate_not_after_seconds{{certificate=\"{label}\"}} {at}\n"))
            .collect::<String>();
    ([("content-type", "text/plain; version=0.0.4")], body)
}

/// Serves the side API until `shutdown` flips.
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Arc<crate::tls::TlsState>,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let (stream, peer): (_, SocketAddr) = tokio::select! {
            _ = shutdown.changed() => return,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    tracing::warn!(error = %e, "side API: accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let (acceptor, router) = (tls.http_acceptor(), router.clone());
        tokio::spawn(async move {
            let Ok(Ok(stream)) = tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await else {
                tracing::debug!(%peer, "side API: TLS handshake failed");
                return;
            };
            let service = TowerToHyperService::new(router);
            if let Err(e) = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(30))
                .serve_connection(TokioIo::new(stream), service)
                .await
            {
                tracing::debug!(%peer, error = %e, "side API: connection ended");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_openapi_document_parses_and_names_every_route_family() {
        let doc: serde_json::Value = serde_json::from_str(super::OPENAPI).expect("JSON");
        let paths = doc["paths"].as_object().expect("paths");
        for path in [
            "/v1.0/{project_id}/kms/get-key-rotation-status",
            "/v1/{project_id}/clusters/{cluster_id}/encrypt-info",
            "/v2/encryption/key-store/status",
            "/v1/keys/{key_id}/versions",
            "/metrics",
            "/",
        ] {
            assert!(paths.contains_key(path), "{path} is not documented");
        }
    }
}
