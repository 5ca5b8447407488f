//! `GET /v1/rotation/schedule`: the rotation calendar of a project's keys.
//!
//! `?within=30d` (or `12h`, `3600s`, a number of seconds; 30 days when absent) bounds how far
//! ahead it looks; `limit` (1 to 1,000, 100 by default) and `marker` (the previous page's
//! `next_marker`) page through it. Overdue keys come first, then the rest soonest first.

use kmip_ops::rfc3339;
use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AppState, token_config};

/// The query string.
#[derive(Debug, Deserialize)]
pub(crate) struct ScheduleQuery {
    within: Option<String>,
    limit: Option<usize>,
    marker: Option<String>,
}

/// `30d`, `12h`, `90m`, `3600s` or `3600`, in seconds; at most ten years.
fn parse_within(text: &str) -> Option<i64> {
    let (digits, unit) = match text.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 's'),
    };
    let n: i64 = digits.parse().ok().filter(|n| *n >= 0)?;
    let secs = n.checked_mul(match unit {
        'd' => 86_400,
        'h' => 3_600,
        'm' => 60,
        's' => 1,
        _ => return None,
    })?;
    (secs <= 3_650 * 86_400).then_some(secs)
}

fn bad(message: &str) -> (StatusCode, Json<Value>) {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message})))
}

pub(crate) async fn schedule(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    query: Result<Query<ScheduleQuery>, QueryRejection>,
) -> (StatusCode, Json<Value>) {
    let Some(token) = token_config(&state, &headers) else {
        return (StatusCode::UNAUTHORIZED, Json(json!({"error": "an X-Auth-Token is required"})));
    };
    // A project's token sees its project's keys; an operator's, the whole fleet's.
    let (project, fleet) = (token.project.clone(), token.operator);
    // A query string that does not parse (a field twice, a limit that is no number) gets the
    // same JSON error as any other bad request.
    let Ok(Query(query)) = query else {
        return bad("the query takes within, limit and marker, each at most once");
    };
    let Some(within) = query.within.as_deref().map_or(Some(30 * 86_400), parse_within) else {
        return bad("within is a duration: 30d, 12h, 90m, 3600s");
    };
    let limit = query.limit.unwrap_or(100);
    if !(1..=1_000).contains(&limit) {
        return bad("limit is 1 to 1000");
    }
    let marker = match query.marker.as_deref().map(kmip_ops::schedule::parse_marker) {
        Some(None) => return bad("marker is the next_marker of a previous page"),
        Some(Some(m)) => Some(m),
        None => None,
    };
    let service = state.service.clone();
    let page = tokio::task::spawn_blocking(move || {
        service.rotation_schedule(within, marker, limit, |record| fleet || record.project == project)
    })
    .await;
    let page = match page {
        Ok(Ok(page)) => page,
        _ => return (StatusCode::INTERNAL_SERVER_ERROR, Json(json!({"error": "the calendar is unreadable"}))),
    };
    let rotations: Vec<Value> = page
        .rotations
        .iter()
        .map(|r| {
            json!({
                "key_id": r.record.key_id,
                "key_alias": r.record.alias,
                "project": r.record.project,
                "next_rotation": rfc3339(r.next_rotation),
                "next_rotation_epoch": r.next_rotation,
                "rotation_interval_days": r.record.policy.interval_days,
                "overdue": r.overdue,
            })
        })
        .collect();
    (StatusCode::OK, Json(json!({"rotations": rotations, "next_marker": page.next_marker})))
}

#[cfg(test)]
mod tests {
    use super::parse_within;

    #[test]
    fn durations_read_as_seconds() {
        assert_eq!(parse_within("30d"), Some(30 * 86_400));
        assert_eq!(parse_within("12h"), Some(43_200));
        assert_eq!(parse_within("3600"), Some(3_600));
        assert_eq!(parse_within("90m"), Some(5_400));
        for bad in ["", "d", "-1d", "3w", "99999d", "1.5d"] {
            assert_eq!(parse_within(bad), None, "{bad}");
        }
    }
}
