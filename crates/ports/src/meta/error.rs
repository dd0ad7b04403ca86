//! What can go wrong talking to Meta, classified by what the core can do about it. Every Graph
//! error body (`error.code`, `error_subcode`, `type`, `message`, `error_data.details`,
//! `fbtrace_id`) is kept beside the classification for logs; access tokens never are.

use std::fmt;
use std::time::Duration;

/// The action a Graph failure calls for. The adapter maps Meta's codes (meta-api.md §9.2)
/// onto these; the core branches on them, never on raw codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GraphErrorKind {
    /// Access token invalid or expired (code 190 and its subcodes, 0, 102): the owner must
    /// reconnect. Not retryable.
    TokenInvalid,
    /// Missing permission or asset access (3, 10, 200-299, 131005). Not retryable.
    PermissionDenied,
    /// App-level call rate limit (4, also 17, 32, 613). Retry in minutes.
    AppRateLimited,
    /// WABA management rate limit (80007). Retry in minutes.
    WabaRateLimited,
    /// The number's throughput (messages per second) was exceeded (130429). Retry shortly.
    ThroughputLimited,
    /// Too many messages to the same user (131056). Retry after 4^attempt seconds.
    PairRateLimited,
    /// More than 24 hours since the customer last wrote (131047): send a template instead.
    OutsideWindow,
    /// Not a WhatsApp user, or they cannot receive (131026). Not retryable.
    Undeliverable,
    /// Spam-rate limit (131048): slow down, tell the owner. Not retryable as is.
    SpamLimited,
    /// The business has no valid payment method (131042).
    PaymentRequired,
    /// WABA or number restricted, locked or disabled (368, 131031).
    AccountRestricted,
    /// Media could not be uploaded, sent or downloaded on Meta's side (131052, 131053).
    Media,
    /// Template problems (132xxx): missing, unapproved, wrong parameters, paused, disabled.
    Template,
    /// The number is not registered with the Cloud API (133010): call `register`.
    NotRegistered,
    /// Registration problems (133005-133009, 133015, 133016, 131045).
    Registration,
    /// Invalid or unsupported parameter, bad id (100, 131008, 131009, 135000).
    InvalidParameter,
    /// Meta is temporarily unavailable (HTTP 5xx, codes 1, 2, 131000, 131016, 131057, 133004,
    /// or a body marked `is_transient`). Retry with backoff.
    Temporary,
    /// No response in time. Retryable, but the request may have taken effect: a retried send
    /// can duplicate a message.
    Timeout,
    /// The connection failed or broke (refused, reset, unreadable response). Retryable; as with
    /// [`Self::Timeout`] the request may have taken effect if the connection broke late.
    Transport,
    /// A downloaded media file failed our own checks (too large, checksum mismatch, URL not on
    /// a Meta host). Not retryable.
    MediaRejected,
    /// Meta answered something we cannot read. Not retryable.
    Protocol,
    /// Any other Meta error. Not retryable.
    Other,
}

impl GraphErrorKind {
    /// Whether the same request may succeed later without anyone changing anything.
    #[must_use]
    pub const fn is_retryable(self) -> bool {
        self.is_rate_limit() || matches!(self, Self::Temporary | Self::Timeout | Self::Transport)
    }

    /// Meta asks us to slow down (a rate or throughput limit): the request was fine and will
    /// go through once the limit lifts, so waiting it out is not a failed attempt.
    #[must_use]
    pub const fn is_rate_limit(self) -> bool {
        matches!(
            self,
            Self::AppRateLimited
                | Self::WabaRateLimited
                | Self::ThroughputLimited
                | Self::PairRateLimited
        )
    }

    /// A stable snake_case name for logs, metrics and API error codes.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TokenInvalid => "token_invalid",
            Self::PermissionDenied => "permission_denied",
            Self::AppRateLimited => "app_rate_limited",
            Self::WabaRateLimited => "waba_rate_limited",
            Self::ThroughputLimited => "throughput_limited",
            Self::PairRateLimited => "pair_rate_limited",
            Self::OutsideWindow => "outside_window",
            Self::Undeliverable => "undeliverable",
            Self::SpamLimited => "spam_limited",
            Self::PaymentRequired => "payment_required",
            Self::AccountRestricted => "account_restricted",
            Self::Media => "media",
            Self::Template => "template",
            Self::NotRegistered => "not_registered",
            Self::Registration => "registration",
            Self::InvalidParameter => "invalid_parameter",
            Self::Temporary => "temporary",
            Self::Timeout => "timeout",
            Self::Transport => "transport",
            Self::MediaRejected => "media_rejected",
            Self::Protocol => "protocol",
            Self::Other => "other",
        }
    }
}

impl GraphErrorKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 22] = [
        Self::TokenInvalid,
        Self::PermissionDenied,
        Self::AppRateLimited,
        Self::WabaRateLimited,
        Self::ThroughputLimited,
        Self::PairRateLimited,
        Self::OutsideWindow,
        Self::Undeliverable,
        Self::SpamLimited,
        Self::PaymentRequired,
        Self::AccountRestricted,
        Self::Media,
        Self::Template,
        Self::NotRegistered,
        Self::Registration,
        Self::InvalidParameter,
        Self::Temporary,
        Self::Timeout,
        Self::Transport,
        Self::MediaRejected,
        Self::Protocol,
        Self::Other,
    ];

    /// The kind [`Self::as_str`] names.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

impl fmt::Display for GraphErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Meta's error body (`{"error": {...}}`), as sent. Holds no token: Meta never echoes one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MetaErrorBody {
    /// `error.code`.
    pub code: i64,
    /// `error.error_subcode` (not returned since v16 for most errors; never rely on it).
    pub subcode: Option<i64>,
    /// `error.type`, e.g. `OAuthException`.
    pub kind: Option<String>,
    /// `error.message`, e.g. `(#131047) Re-engagement message`.
    pub message: String,
    /// `error.error_data.details`.
    pub details: Option<String>,
    /// `error.fbtrace_id`, for Meta support.
    pub fbtrace_id: Option<String>,
    /// `error.is_transient`.
    pub is_transient: Option<bool>,
}

/// A failed Graph call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    /// What to do about it.
    pub kind: GraphErrorKind,
    /// Meta's body when there was one.
    pub meta: Option<Box<MetaErrorBody>>,
    /// The HTTP status when a response arrived.
    pub http_status: Option<u16>,
    /// `Retry-After` when Meta sent one.
    pub retry_after: Option<Duration>,
    /// Our own description when Meta sent no body (timeouts, transport, checksum).
    pub detail: Option<String>,
}

impl GraphError {
    /// An error of `kind` with our own description (no Meta body).
    #[must_use]
    pub fn local(kind: GraphErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            meta: None,
            http_status: None,
            retry_after: None,
            detail: Some(detail.into()),
        }
    }

    /// Whether the same request may succeed later.
    #[must_use]
    pub const fn is_retryable(&self) -> bool {
        self.kind.is_retryable()
    }

    /// Whether the owner must reconnect (the token is dead).
    #[must_use]
    pub const fn needs_reauth(&self) -> bool {
        matches!(self.kind, GraphErrorKind::TokenInvalid)
    }

    /// Meta's code, when Meta sent a body.
    #[must_use]
    pub fn code(&self) -> Option<i64> {
        self.meta.as_ref().map(|m| m.code)
    }

    /// How long to wait before retry number `attempt` (0-based), or `None` when retrying is
    /// pointless. Honours `Retry-After`; otherwise follows Meta's guidance per kind: 4^attempt
    /// seconds for the pair limit, minutes for management rate limits, exponential backoff from
    /// one second for throughput and temporary failures. Capped at one hour.
    #[must_use]
    pub fn retry_delay(&self, attempt: u32) -> Option<Duration> {
        if !self.is_retryable() {
            return None;
        }
        const CAP: u64 = 3_600;
        if let Some(after) = self.retry_after {
            return Some(after.min(Duration::from_secs(CAP)));
        }
        let exp = |base: u64, factor: u64| {
            let mut secs = base;
            for _ in 0..attempt {
                secs = secs.saturating_mul(factor);
                if secs >= CAP {
                    return CAP;
                }
            }
            secs.min(CAP)
        };
        let secs = match self.kind {
            GraphErrorKind::PairRateLimited => exp(1, 4),
            GraphErrorKind::AppRateLimited | GraphErrorKind::WabaRateLimited => exp(60, 2),
            _ => exp(1, 2),
        };
        Some(Duration::from_secs(secs))
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "graph error ({})", self.kind)?;
        if let Some(status) = self.http_status {
            write!(f, " http {status}")?;
        }
        if let Some(m) = &self.meta {
            write!(f, ": code {}", m.code)?;
            if let Some(sub) = m.subcode {
                write!(f, "/{sub}")?;
            }
            write!(f, " {}", m.message)?;
            if let Some(d) = &m.details {
                write!(f, " ({d})")?;
            }
            if let Some(t) = &m.fbtrace_id {
                write!(f, " fbtrace_id={t}")?;
            }
        }
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for GraphError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: GraphErrorKind) -> GraphError {
        GraphError::local(kind, "x")
    }

    #[test]
    fn pair_limit_backs_off_by_powers_of_four() {
        let e = err(GraphErrorKind::PairRateLimited);
        let secs: Vec<u64> = (0..4)
            .filter_map(|a| e.retry_delay(a))
            .map(|d| d.as_secs())
            .collect();
        assert_eq!(secs, [1, 4, 16, 64]);
    }

    #[test]
    fn retry_after_wins_and_everything_is_capped_at_an_hour() {
        let mut e = err(GraphErrorKind::ThroughputLimited);
        e.retry_after = Some(Duration::from_secs(7));
        assert_eq!(e.retry_delay(9), Some(Duration::from_secs(7)));
        let e = err(GraphErrorKind::Temporary);
        assert_eq!(e.retry_delay(40), Some(Duration::from_secs(3_600)));
        assert_eq!(
            err(GraphErrorKind::WabaRateLimited).retry_delay(0),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn permanent_errors_have_no_retry_delay() {
        for kind in [
            GraphErrorKind::TokenInvalid,
            GraphErrorKind::OutsideWindow,
            GraphErrorKind::Undeliverable,
            GraphErrorKind::InvalidParameter,
            GraphErrorKind::MediaRejected,
        ] {
            assert_eq!(err(kind).retry_delay(0), None, "{kind}");
        }
        assert!(err(GraphErrorKind::TokenInvalid).needs_reauth());
    }

    #[test]
    fn display_carries_meta_fields_for_logs() {
        let e = GraphError {
            kind: GraphErrorKind::OutsideWindow,
            meta: Some(Box::new(MetaErrorBody {
                code: 131_047,
                subcode: Some(2_494_055),
                message: "(#131047) Re-engagement message".into(),
                details: Some("more than 24 hours".into()),
                fbtrace_id: Some("Az8or".into()),
                ..MetaErrorBody::default()
            })),
            http_status: Some(400),
            retry_after: None,
            detail: None,
        };
        let text = e.to_string();
        for part in [
            "outside_window",
            "http 400",
            "131047/2494055",
            "24 hours",
            "Az8or",
        ] {
            assert!(text.contains(part), "{text}");
        }
    }
}
