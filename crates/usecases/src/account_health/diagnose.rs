//! Diagnose: asks Meta, check by check, why a number might not work (token, permissions, app
//! subscription, registration, whether Meta lets it send, recent webhooks).

use omni_domain::{AccountId, StoreId, WhatsappAccount};
use omni_ports::meta::{
    CanSend, GraphError, PhoneNumberInfo, SCOPE_MANAGEMENT, SCOPE_MESSAGING, SubscribedApp,
    TokenInfo,
};

use super::service::Health;
use crate::accounts::{AccountError, open_token};

/// One diagnose check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// `token_valid`, `token_scopes`, `app_subscribed`, `number_registered`, `can_send`,
    /// `webhook_recent`.
    pub check: &'static str,
    /// Passed.
    pub pass: bool,
    /// What was found.
    pub detail: String,
    /// What to do when it failed.
    pub fix: Option<String>,
}

impl Health {
    /// Asks Meta, check by check, why a number might not work.
    ///
    /// # Errors
    /// `NotFound`, `MetaNotConfigured`, `Secret`, storage failure. Meta failing a check is a
    /// failed check, not an error.
    pub async fn diagnose(
        &self,
        store: StoreId,
        id: AccountId,
    ) -> Result<Vec<Check>, AccountError> {
        let account = self.find(store, id).await?;
        let graph = self.graph()?.clone();
        let token = open_token(self.p.cipher.as_ref(), &account).map_err(AccountError::Secret)?;
        let reconnect = format!("Reconnect the number: {}", self.reconnect_link(&account));
        let mut checks = self.token_checks(graph.debug_token(&token).await, &account, &reconnect);
        checks.push(self.subscription_check(
            graph.subscribed_apps(&token, &account.waba_id).await,
            &reconnect,
        ));
        checks.extend(number_checks(
            graph
                .get_phone_number(&token, &account.phone_number_id)
                .await,
            &reconnect,
        ));
        checks.push(self.webhook_check(&account));
        Ok(checks)
    }

    /// `token_valid` and `token_scopes`, from `debug_token`.
    fn token_checks(
        &self,
        result: Result<TokenInfo, GraphError>,
        account: &WhatsappAccount,
        reconnect: &str,
    ) -> Vec<Check> {
        let mut checks = Vec::new();
        match result {
            Ok(info) => {
                let ours = self
                    .config
                    .app_id
                    .as_ref()
                    .is_none_or(|app| app == &info.app_id);
                let valid = info.is_valid && ours;
                checks.push(Check {
                    check: "token_valid",
                    pass: valid,
                    detail: if !info.is_valid {
                        format!(
                            "Meta says the token is not valid: {}",
                            info.error_message.as_deref().unwrap_or("no reason given")
                        )
                    } else if !ours {
                        "the token belongs to another Meta app".to_owned()
                    } else {
                        match info.expires_at {
                            Some(t) => format!("valid until {}", t.to_rfc3339()),
                            None => "valid, never expires".to_owned(),
                        }
                    },
                    fix: (!valid).then(|| reconnect.to_owned()),
                });
                let missing: Vec<&str> = [SCOPE_MANAGEMENT, SCOPE_MESSAGING]
                    .into_iter()
                    .filter(|s| !info.scopes.iter().any(|g| g == s))
                    .collect();
                checks.push(Check {
                    check: "token_scopes",
                    pass: missing.is_empty(),
                    detail: if missing.is_empty() {
                        "both WhatsApp permissions granted".to_owned()
                    } else {
                        format!("missing permissions: {}", missing.join(", "))
                    },
                    fix: (!missing.is_empty()).then(|| {
                        format!(
                            "Reconnect and grant both {SCOPE_MANAGEMENT} and {SCOPE_MESSAGING}: {}",
                            self.reconnect_link(account)
                        )
                    }),
                });
            }
            Err(e) => {
                checks.push(Check {
                    check: "token_valid",
                    pass: false,
                    detail: format!("debug_token failed: {}", e.kind),
                    fix: Some(
                        "Retry shortly; if it persists, check the Meta app settings".to_owned(),
                    ),
                });
            }
        }
        checks
    }

    /// `app_subscribed`, from `subscribed_apps`.
    fn subscription_check(
        &self,
        result: Result<Vec<SubscribedApp>, GraphError>,
        reconnect: &str,
    ) -> Check {
        match result {
            Ok(apps) => {
                let ours = apps
                    .iter()
                    .any(|a| self.config.app_id.as_ref().is_none_or(|id| id == &a.app_id));
                Check {
                    check: "app_subscribed",
                    pass: ours,
                    detail: if ours {
                        "our app is subscribed to the WABA's webhooks".to_owned()
                    } else {
                        format!("our app is not among the {} subscribed app(s)", apps.len())
                    },
                    fix: (!ours).then(|| {
                        "Subscribe the app to the WABA (reconnecting the number does it)".to_owned()
                    }),
                }
            }
            Err(e) => Check {
                check: "app_subscribed",
                pass: false,
                detail: format!("Meta refused subscribed_apps: {}", e.kind),
                fix: Some(reconnect.to_owned()),
            },
        }
    }

    /// `webhook_recent`: a webhook arrived within `webhook_recent`.
    fn webhook_check(&self, account: &WhatsappAccount) -> Check {
        let now = self.p.clock.now();
        let recent = account
            .last_webhook_at
            .is_some_and(|t| now - t <= self.config.webhook_recent);
        Check {
            check: "webhook_recent",
            pass: recent,
            detail: match account.last_webhook_at {
                Some(t) => format!("last webhook at {}", t.to_rfc3339()),
                None => "no webhook has arrived for this number".to_owned(),
            },
            fix: (!recent).then(|| {
                format!(
                    "Send a message to the number; if nothing arrives within {} hours, check the app's webhook URL and its `messages` subscription",
                    self.config.webhook_recent.num_hours()
                )
            }),
        }
    }
}

/// `number_registered` and `can_send`, from the number lookup.
fn number_checks(result: Result<PhoneNumberInfo, GraphError>, reconnect: &str) -> Vec<Check> {
    let mut checks = Vec::new();
    match result {
        Ok(info) => {
            let registered = info.is_connected()
                && info
                    .platform_type
                    .as_deref()
                    .is_none_or(|p| p == "CLOUD_API");
            checks.push(Check {
                    check: "number_registered",
                    pass: registered,
                    detail: format!(
                        "status {}, platform {}",
                        info.status.as_deref().unwrap_or("unknown"),
                        info.platform_type.as_deref().unwrap_or("unknown")
                    ),
                    fix: (!registered).then(|| {
                        "Register the number with the Cloud API (two-step PIN) in WhatsApp Manager or by reconnecting".to_owned()
                    }),
                });
            let (pass, detail) = match &info.health {
                Some(h) => {
                    let why: Vec<String> = h
                        .entities
                        .iter()
                        .flat_map(|e| {
                            e.additional_info.iter().cloned().chain(
                                e.errors
                                    .iter()
                                    .map(|p| format!("{} {}", p.code, p.description)),
                            )
                        })
                        .collect();
                    (
                        !matches!(h.can_send_message, CanSend::Blocked),
                        format!(
                            "can_send_message {}{}",
                            h.can_send_message.as_str(),
                            if why.is_empty() {
                                String::new()
                            } else {
                                format!(": {}", why.join("; "))
                            }
                        ),
                    )
                }
                None => (true, "Meta gave no health_status".to_owned()),
            };
            checks.push(Check {
                    check: "can_send",
                    pass,
                    detail,
                    fix: (!pass).then(|| {
                        "Meta blocks sending from this number: see the reasons, fix them in WhatsApp Manager (payment method, display name, policy)".to_owned()
                    }),
                });
        }
        Err(e) => {
            for check in ["number_registered", "can_send"] {
                checks.push(Check {
                    check,
                    pass: false,
                    detail: format!("Meta refused the number lookup: {}", e.kind),
                    fix: Some(reconnect.to_owned()),
                });
            }
        }
    }
    checks
}
