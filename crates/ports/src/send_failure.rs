//! Why an outbound message was retried or parked: one of our own checks before sending, or
//! Meta's refusal. Stored in the outbox as text (`outside_window`, `131047`, `timeout`), shown
//! to operators and used as a metrics label.

use std::borrow::Cow;
use std::fmt;

use crate::meta::{GraphError, GraphErrorKind};

/// Why a send was retried or parked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SendFailure {
    /// The customer's 24-hour window closed before sending (our check).
    OutsideWindow,
    /// No live account sends from the number any more.
    AccountDisconnected,
    /// Meta rejected the number's token: the owner must reconnect.
    ReauthRequired,
    /// The number's account is not active (banned, restricted, deleted).
    AccountInactive,
    /// A business-initiated message would pass the number's messaging-limit tier: retried
    /// when the window rolls.
    MessagingLimit,
    /// The stored access token cannot be opened (a key problem, not Meta's).
    TokenUnreadable,
    /// The template is not approved for the number's WABA.
    TemplateNotApproved,
    /// The template's parameters do not match its approved components.
    TemplateParametersMismatch,
    /// Meta refused with this numeric error code (`131047`, `130429`, ...).
    Meta(i64),
    /// The call failed without a Meta error code, by kind (`timeout`, `transport`, ...).
    Graph(GraphErrorKind),
}

impl SendFailure {
    /// What refused a send at Meta: its numeric code, or the kind when it sent none.
    #[must_use]
    pub fn of_graph(e: &GraphError) -> Self {
        e.code().map_or(Self::Graph(e.kind), Self::Meta)
    }

    /// The stored text: our check's name, Meta's code in decimal, or the failure kind.
    #[must_use]
    pub fn code(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            Self::OutsideWindow => "outside_window",
            Self::AccountDisconnected => "account_disconnected",
            Self::ReauthRequired => "reauth_required",
            Self::AccountInactive => "account_inactive",
            Self::MessagingLimit => "messaging_limit",
            Self::TokenUnreadable => "token_unreadable",
            Self::TemplateNotApproved => "template_not_approved",
            Self::TemplateParametersMismatch => "template_parameters_mismatch",
            Self::Graph(kind) => kind.as_str(),
            Self::Meta(code) => return Cow::Owned(code.to_string()),
        })
    }

    /// From the stored text; `None` for text no version of us wrote. A kind name that is also
    /// one of our checks (`outside_window`) reads as our check: the same condition.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "outside_window" => Self::OutsideWindow,
            "account_disconnected" => Self::AccountDisconnected,
            "reauth_required" => Self::ReauthRequired,
            "account_inactive" => Self::AccountInactive,
            "messaging_limit" => Self::MessagingLimit,
            "token_unreadable" => Self::TokenUnreadable,
            "template_not_approved" => Self::TemplateNotApproved,
            "template_parameters_mismatch" => Self::TemplateParametersMismatch,
            digits if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                Self::Meta(digits.parse().ok()?)
            }
            kind => Self::Graph(GraphErrorKind::parse(kind)?),
        })
    }
}

impl fmt::Display for SendFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_reads_back_from_its_code() {
        let mut all = vec![
            SendFailure::OutsideWindow,
            SendFailure::AccountDisconnected,
            SendFailure::ReauthRequired,
            SendFailure::AccountInactive,
            SendFailure::MessagingLimit,
            SendFailure::TokenUnreadable,
            SendFailure::TemplateNotApproved,
            SendFailure::TemplateParametersMismatch,
            SendFailure::Meta(131_047),
            SendFailure::Meta(130_429),
        ];
        all.extend(
            GraphErrorKind::ALL
                .into_iter()
                .filter(|k| *k != GraphErrorKind::OutsideWindow)
                .map(SendFailure::Graph),
        );
        for f in all {
            assert_eq!(SendFailure::parse(&f.code()), Some(f), "{f}");
        }
        assert_eq!(SendFailure::Meta(131_047).to_string(), "131047");
        assert_eq!(
            SendFailure::parse("outside_window"),
            Some(SendFailure::OutsideWindow)
        );
        assert_eq!(
            SendFailure::parse("timeout"),
            Some(SendFailure::Graph(GraphErrorKind::Timeout))
        );
        for unknown in ["", "Outside_Window", "13 1047", "+5", "-1", "nonsense"] {
            assert_eq!(SendFailure::parse(unknown), None, "{unknown:?}");
        }
    }

    #[test]
    fn graph_kind_names_are_distinct_and_parse() {
        for k in GraphErrorKind::ALL {
            assert_eq!(GraphErrorKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(GraphErrorKind::parse("bogus"), None);
    }
}
