//! Who is calling the side API: a static `X-Auth-Token`, or an AK/SK signature in the form
//! Huawei Cloud's SDKs send (`Authorization: SDK-HMAC-SHA256 Access=..., SignedHeaders=...,
//! Signature=...` with `X-Sdk-Date`).
//!
//! The signature covers a canonical request: the method; the path, each segment percent-
//! encoded and ending in `/`; the sorted query; each signed header as `name:value`; the signed
//! header names joined by `;`; and the hex SHA-256 of the body. The string to sign is
//! `SDK-HMAC-SHA256`, the `X-Sdk-Date`, and the hex SHA-256 of the canonical request, one a
//! line; the signature is the hex HMAC-SHA256 of it under the secret key.

use axum::http::{HeaderMap, Method, Uri};
use ring::digest::{SHA256, digest};
use ring::hmac;

use crate::config::HttpConfig;

/// How far an `X-Sdk-Date` may be from the server's clock, in seconds: Huawei's gateway
/// allows 15 minutes.
const MAX_SKEW: i64 = 15 * 60;

/// Why a request is not authenticated, as the KMS error codes name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthError {
    /// No credentials (KMS.0301).
    Missing,
    /// Unknown token or key, or a bad signature (KMS.0302).
    Invalid,
    /// A signature dated too far from now (KMS.0303).
    Expired,
    /// Credentials for another project (KMS.0321).
    WrongProject,
}

/// Checks a request's credentials and that they are for `project`.
pub(crate) fn authenticate(
    config: &HttpConfig,
    project: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(), AuthError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let bound = if let Some(token) = header("x-auth-token") {
        let found = config.tokens.iter().find(|t| t.token.matches(token));
        found.map(|t| t.project.as_str()).ok_or(AuthError::Invalid)?
    } else if let Some(authorization) = header("authorization") {
        verify_signature(config, method, uri, headers, body, authorization, now)?
    } else {
        return Err(AuthError::Missing);
    };
    if bound != project {
        return Err(AuthError::WrongProject);
    }
    Ok(())
}

fn verify_signature<'a>(
    config: &'a HttpConfig,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    authorization: &str,
    now: i64,
) -> Result<&'a str, AuthError> {
    let fields = authorization.strip_prefix("SDK-HMAC-SHA256 ").ok_or(AuthError::Invalid)?;
    let field = |name: &str| {
        fields.split(',').map(str::trim).find_map(|f| f.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
    };
    let (ak, signed, signature) = (
        field("Access").ok_or(AuthError::Invalid)?,
        field("SignedHeaders").ok_or(AuthError::Invalid)?,
        field("Signature").ok_or(AuthError::Invalid)?,
    );
    let key = config.access_keys.iter().find(|k| k.ak == ak).ok_or(AuthError::Invalid)?;
    let date = headers.get("x-sdk-date").and_then(|v| v.to_str().ok()).ok_or(AuthError::Invalid)?;
    if (sdk_date_seconds(date).ok_or(AuthError::Invalid)? - now).abs() > MAX_SKEW {
        return Err(AuthError::Expired);
    }
    let mut canonical_headers = String::new();
    for name in signed.split(';') {
        let value = headers.get(name).and_then(|v| v.to_str().ok()).ok_or(AuthError::Invalid)?;
        canonical_headers.push_str(&format!("{name}:{}\n", value.trim()));
    }
    let payload_hash = match headers.get("x-sdk-content-sha256").and_then(|v| v.to_str().ok()) {
        Some(declared) => declared.to_owned(),
        None => hex::encode(digest(&SHA256, body)),
    };
    let canonical = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        method.as_str(),
        canonical_uri(uri.path()),
        canonical_query(uri.query().unwrap_or("")),
        canonical_headers,
        signed,
        payload_hash
    );
    let to_sign = format!("SDK-HMAC-SHA256\n{date}\n{}", hex::encode(digest(&SHA256, canonical.as_bytes())));
    let expected = hex::decode(signature).map_err(|_| AuthError::Invalid)?;
    let mac = hmac::Key::new(hmac::HMAC_SHA256, key.sk.expose().as_bytes());
    // ring compares in constant time.
    hmac::verify(&mac, to_sign.as_bytes(), &expected).map_err(|_| AuthError::Invalid)?;
    Ok(&key.project)
}

/// `X-Sdk-Date` is `YYYYMMDDTHHMMSSZ`, UTC.
fn sdk_date_seconds(date: &str) -> Option<i64> {
    let b = date.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| date.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (hh, mm, ss) = (num(9..11)?, num(11..13)?, num(13..15)?);
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Percent-encodes all but RFC 3986's unreserved characters, as the SDK does.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (
            bytes[i],
            bytes.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()),
        ) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn canonical_uri(path: &str) -> String {
    let mut uri = path.split('/').map(|segment| percent_encode(&percent_decode(segment))).collect::<Vec<_>>().join("/");
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_encode(&percent_decode(k)), percent_encode(&percent_decode(v)))
        })
        .collect();
    pairs.sort();
    pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_dates() {
        assert_eq!(sdk_date_seconds("19700101T000000Z"), Some(0));
        assert_eq!(sdk_date_seconds("20260101T000000Z"), Some(1_767_225_600));
        assert_eq!(sdk_date_seconds("2026-01-01"), None);
    }

    #[test]
    fn canonical_forms() {
        assert_eq!(canonical_uri("/v1.0/dev-project/kms/create-key"), "/v1.0/dev-project/kms/create-key/");
        assert_eq!(canonical_uri("/a%20b/c"), "/a%20b/c/");
        assert_eq!(canonical_query("b=2&a=1"), "a=1&b=2");
    }
}
