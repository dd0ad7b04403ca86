//! Meta's error bodies and codes turned into [`GraphError`]s the core can act on
//! (meta-api.md §9). The table is the one place that knows Meta's numbers.

use std::time::Duration;

use omni_ports::meta::{GraphError, GraphErrorKind, MetaErrorBody};
use serde::Deserialize;

#[derive(Deserialize)]
struct Envelope {
    error: WireError,
}

#[derive(Deserialize)]
struct WireError {
    #[serde(default)]
    message: String,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    error_subcode: Option<i64>,
    #[serde(default)]
    error_data: Option<ErrorData>,
    #[serde(default)]
    fbtrace_id: Option<String>,
    #[serde(default)]
    is_transient: Option<bool>,
}

#[derive(Deserialize)]
struct ErrorData {
    #[serde(default)]
    details: Option<String>,
}

/// Reads Meta's `{"error": {...}}` body, `None` when the body is something else.
#[must_use]
pub fn parse_error_body(body: &[u8]) -> Option<MetaErrorBody> {
    let env: Envelope = serde_json::from_slice(body).ok()?;
    let e = env.error;
    Some(MetaErrorBody {
        code: e.code?,
        subcode: e.error_subcode,
        kind: e.kind,
        message: e.message,
        details: e.error_data.and_then(|d| d.details),
        fbtrace_id: e.fbtrace_id,
        is_transient: e.is_transient,
    })
}

/// What a Meta error code calls for. `http_status` breaks the ties Meta leaves: codes 1 and
/// 2 are "temporary" on a 5xx but, for example, a wrong client secret on the OAuth endpoint
/// is code 1 on a 400.
#[must_use]
pub fn classify(code: i64, http_status: Option<u16>, is_transient: Option<bool>) -> GraphErrorKind {
    use GraphErrorKind as K;
    let server_side = http_status.is_some_and(|s| s >= 500);
    match code {
        0 | 102 | 190 => K::TokenInvalid,
        4 | 17 | 32 | 613 => K::AppRateLimited,
        80_007 => K::WabaRateLimited,
        130_429 => K::ThroughputLimited,
        131_056 => K::PairRateLimited,
        131_047 => K::OutsideWindow,
        131_026 => K::Undeliverable,
        131_048 => K::SpamLimited,
        131_042 => K::PaymentRequired,
        368 | 131_031 => K::AccountRestricted,
        131_052 | 131_053 => K::Media,
        132_000..=132_999 => K::Template,
        133_010 => K::NotRegistered,
        2 | 131_000 | 131_016 | 131_057 | 133_004 => K::Temporary,
        131_045 | 133_000..=133_999 | 136_024 => K::Registration,
        100 | 131_008 | 131_009 | 135_000 => K::InvalidParameter,
        3 | 10 | 200..=299 | 131_005 => K::PermissionDenied,
        // Code 1 ("unknown error") and any code we do not know: temporary when Meta says
        // so or answered 5xx; otherwise permanent (a wrong client secret is code 1 on a 400).
        _ if is_transient == Some(true) || server_side => K::Temporary,
        _ => K::Other,
    }
}

/// The error for a non-success HTTP response.
#[must_use]
pub fn from_response(status: u16, retry_after: Option<Duration>, body: &[u8]) -> GraphError {
    let meta = parse_error_body(body).map(Box::new);
    let kind = match &meta {
        Some(m) => classify(m.code, Some(status), m.is_transient),
        None => match status {
            401 => GraphErrorKind::TokenInvalid,
            403 => GraphErrorKind::PermissionDenied,
            // An expired media URL or a vanished object.
            404 => GraphErrorKind::InvalidParameter,
            429 => GraphErrorKind::AppRateLimited,
            s if s >= 500 => GraphErrorKind::Temporary,
            _ => GraphErrorKind::Protocol,
        },
    };
    let detail = meta
        .is_none()
        .then(|| format!("HTTP {status} without a Graph error body"));
    GraphError {
        kind,
        meta,
        http_status: Some(status),
        retry_after,
        detail,
    }
}

/// Reads `Retry-After`: delay seconds or an HTTP date.
#[must_use]
pub fn parse_retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let delta = at.with_timezone(&chrono::Utc) - now;
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use GraphErrorKind as K;

    #[test]
    fn every_code_the_core_acts_on_has_its_kind() {
        let table = [
            (190, 400, K::TokenInvalid),
            (0, 400, K::TokenInvalid),
            (4, 400, K::AppRateLimited),
            (80_007, 400, K::WabaRateLimited),
            (130_429, 400, K::ThroughputLimited),
            (131_056, 400, K::PairRateLimited),
            (131_047, 400, K::OutsideWindow),
            (131_026, 400, K::Undeliverable),
            (131_048, 400, K::SpamLimited),
            (131_042, 400, K::PaymentRequired),
            (368, 400, K::AccountRestricted),
            (131_052, 400, K::Media),
            (131_053, 400, K::Media),
            (132_000, 400, K::Template),
            (132_001, 400, K::Template),
            (132_016, 400, K::Template),
            (133_010, 400, K::NotRegistered),
            (133_005, 400, K::Registration),
            (133_016, 400, K::Registration),
            (133_004, 503, K::Temporary),
            (100, 400, K::InvalidParameter),
            (131_009, 400, K::InvalidParameter),
            (200, 403, K::PermissionDenied),
            (10, 400, K::PermissionDenied),
            (2, 400, K::Temporary),
            (1, 500, K::Temporary),
            (1, 400, K::Other),
            (131_000, 500, K::Temporary),
            (131_016, 503, K::Temporary),
            (131_057, 400, K::Temporary),
            (130_497, 400, K::Other),
            (424_242, 503, K::Temporary),
        ];
        for (code, status, kind) in table {
            assert_eq!(classify(code, Some(status), None), kind, "code {code}");
        }
        assert_eq!(classify(424_242, Some(400), Some(true)), K::Temporary);
    }

    #[test]
    fn a_graph_body_is_read_field_by_field() {
        let body = br#"{"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,
            "error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more than 24 hours have passed"},
            "error_subcode":2494055,"fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}}"#;
        let e = from_response(400, None, body);
        assert_eq!(e.kind, K::OutsideWindow);
        let m = e.meta.map(|m| *m).unwrap_or_default();
        assert_eq!(m.code, 131_047);
        assert_eq!(m.subcode, Some(2_494_055));
        assert_eq!(m.kind.as_deref(), Some("OAuthException"));
        assert!(m.details.unwrap_or_default().contains("24 hours"));
        assert_eq!(m.fbtrace_id.as_deref(), Some("Az8or2yhqkZfEZ-_4Qn_Bam"));
    }

    #[test]
    fn is_transient_in_the_body_makes_an_unknown_or_generic_code_temporary() {
        let body = |code: i64, transient: bool| {
            format!(
                r#"{{"error":{{"message":"m","type":"OAuthException","code":{code},"is_transient":{transient},"fbtrace_id":"A"}}}}"#
            )
        };
        let e = from_response(400, None, body(424_242, true).as_bytes());
        assert_eq!(e.kind, K::Temporary);
        assert_eq!(e.meta.and_then(|m| m.is_transient), Some(true));
        assert_eq!(
            from_response(400, None, body(1, true).as_bytes()).kind,
            K::Temporary
        );
        assert_eq!(
            from_response(400, None, body(1, false).as_bytes()).kind,
            K::Other
        );
        // A code the table knows keeps its kind whatever `is_transient` says.
        assert_eq!(
            from_response(400, None, body(131_047, true).as_bytes()).kind,
            K::OutsideWindow
        );
    }

    #[test]
    fn a_response_without_a_graph_body_is_classified_by_status() {
        assert_eq!(from_response(502, None, b"<html>").kind, K::Temporary);
        assert_eq!(from_response(401, None, b"").kind, K::TokenInvalid);
        assert_eq!(from_response(418, None, b"{}").kind, K::Protocol);
        assert_eq!(from_response(403, None, b"").kind, K::PermissionDenied);
        assert_eq!(
            from_response(404, None, b"Not Found").kind,
            K::InvalidParameter
        );
        assert_eq!(from_response(429, None, b"").kind, K::AppRateLimited);
        let e = from_response(502, None, b"<html>");
        assert!(e.meta.is_none() && e.detail.is_some_and(|d| d.contains("502")));
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-24T10:00:00Z")
            .map(|d| d.with_timezone(&chrono::Utc))
            .unwrap_or_default();
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Tue, 24 Nov 2026 10:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
