//! The operator views of kmipd's HTTPS side API that kmipctl shows (`kmipctl clients`): a
//! GET with an `X-Auth-Token`, the server verified against the profile's CA with rustls
//! (ring), as the KMIP connection is.

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

/// `GET {api}{path}` with `token`; the JSON answer, or what went wrong.
pub fn get(api: &str, path: &str, token: &str, ca: &Path) -> Result<Value, String> {
    let pem = std::fs::read(ca).map_err(|e| format!("{}: {e}", ca.display()))?;
    let roots = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => Some(Ok(cert)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
        .collect::<Result<Vec<Certificate<'static>>, _>>()
        .map_err(|e| format!("{}: {e}", ca.display()))?;
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .root_certs(RootCerts::Specific(Arc::new(roots)))
        .build();
    let agent: ureq::Agent = ureq::Agent::config_builder().tls_config(tls).http_status_as_error(false).build().into();
    let url = format!("{}{path}", api.trim_end_matches('/'));
    let mut response = agent.get(&url).header("X-Auth-Token", token).call().map_err(|e| format!("{url}: {e}"))?;
    let status = response.status();
    let body = response.body_mut().read_to_string().map_err(|e| format!("{url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{url}: {status}: {body}"));
    }
    serde_json::from_str(&body).map_err(|e| format!("{url}: not JSON: {e}"))
}

/// The client health registry as a table: one line per identity.
pub fn clients_table(page: &Value) -> String {
    let mut out = format!(
        "{:<44} {:<14} {:<21} {:<32} {:>9} {:>9} {:>8}\n",
        "IDENTITY", "KMIP", "LAST SUCCESS", "LAST ERROR", "CERT DAYS", "REQUESTS", "OBJECTS"
    );
    for client in page["clients"].as_array().into_iter().flatten() {
        let text = |v: &Value| v.as_str().unwrap_or("-").to_owned();
        let versions: Vec<&str> =
            client["kmip_versions"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        let error = match &client["last_error"] {
            Value::Object(e) => format!("{} {}", text(&e["operation"]), text(&e["result_reason"])),
            _ => "-".into(),
        };
        out.push_str(&format!(
            "{:<44} {:<14} {:<21} {:<32} {:>9} {:>9} {:>8}\n",
            text(&client["identity"]),
            versions.join(","),
            text(&client["last_success"]),
            error,
            client["certificate_expires_in_days"],
            format!("{}/{}", client["requests"], client["failed_requests"]),
            client["objects_owned"],
        ));
    }
    out
}
