//! One number of a connection: stored as an account (or found taken by another store, or
//! invalid), and verified by a message that reaches the owner's own WhatsApp.

use omni_domain::{AccountId, Owner, PhoneNumber, Store, WabaId, WhatsappAccount};
use omni_ports::meta::{OutboundContent, OutboundMessage, PhoneNumberInfo, Recipient};
use omni_ports::{GraphErrorKind, RepoError, secret_aad};
use secrecy::SecretString;
use serde_json::json;

use super::service::{FALLBACK_TEMPLATE, Onboarding, OnboardingError};
use crate::accounts::{ACCESS_TOKEN_FIELD, apply_number_info};

pub(super) enum Stored {
    Connected(Box<WhatsappAccount>),
    Taken,
    Invalid,
}

impl Onboarding {
    pub(super) async fn store_number(
        &self,
        owner: &Owner,
        store: &Store,
        waba: &WabaId,
        number: &PhoneNumberInfo,
        existing: Option<WhatsappAccount>,
        token: &SecretString,
    ) -> Result<Stored, OnboardingError> {
        let Ok(phone) = PhoneNumber::parse(&number.display_phone_number) else {
            tracing::warn!(phone_number_id = %number.id, "Meta's display number is not a valid phone number; skipped");
            return Ok(Stored::Invalid);
        };
        let now = self.clock.now();
        let seal = |id: AccountId| {
            self.cipher
                .seal(token, &secret_aad(id, ACCESS_TOKEN_FIELD))
                .map_err(|_| OnboardingError::Secret)
        };
        let mut account = match existing {
            Some(mut account) => {
                account.access_token = seal(account.id)?;
                account.phone_number = phone;
                account.reconnect();
                apply_number_info(&mut account, number);
                account.updated_at = now;
                self.central.update_account(&account).await?;
                account
            }
            None => {
                let placeholder = omni_domain::SealedSecret::from_ciphertext(String::new());
                let mut account = WhatsappAccount::new(
                    store.id,
                    phone,
                    number.id.clone(),
                    waba.clone(),
                    placeholder,
                    now,
                );
                account.access_token = seal(account.id)?;
                apply_number_info(&mut account, number);
                match self.central.insert_account(&account).await {
                    Ok(()) => {}
                    Err(RepoError::Conflict { .. }) => return Ok(Stored::Taken),
                    Err(e) => return Err(e.into()),
                }
                account
            }
        };
        self.verify(owner, store, &mut account, number, token).await;
        self.central.update_account(&account).await?;
        Ok(Stored::Connected(Box::new(account)))
    }

    /// Marks the account verified when a message from it reaches the owner's own WhatsApp
    /// number (text, or Meta's `hello_world` template when the owner's 24-hour window is
    /// closed); for an owner without a WhatsApp number, when Meta reports the number
    /// connected and its code verified. A failure leaves the account pending, with the
    /// reason in `meta.verification_error`.
    pub(super) async fn verify(
        &self,
        owner: &Owner,
        store: &Store,
        account: &mut WhatsappAccount,
        number: &PhoneNumberInfo,
        token: &SecretString,
    ) {
        let now = self.clock.now();
        let result: Result<serde_json::Value, String> = match (&owner.whatsapp_number, &self.graph)
        {
            (Some(to), Some(graph)) => {
                let text = OutboundMessage::text(
                    Recipient::Phone(to.as_str().to_owned()),
                    format!(
                        "OmniPortal: {} is now connected to {}. Customers can message this number.",
                        account.phone_number,
                        store.name.as_str()
                    ),
                );
                let sent = match graph
                    .send_message(token, &account.phone_number_id, &text)
                    .await
                {
                    Err(e) if e.kind == GraphErrorKind::OutsideWindow => {
                        let template = OutboundMessage {
                            content: OutboundContent::Template {
                                name: FALLBACK_TEMPLATE.0.to_owned(),
                                language: FALLBACK_TEMPLATE.1.to_owned(),
                                components: Vec::new(),
                            },
                            ..text
                        };
                        graph
                            .send_message(token, &account.phone_number_id, &template)
                            .await
                    }
                    other => other,
                };
                sent.map(|m| json!({ "method": "message", "wamid": m.wamid }))
                    .map_err(|e| e.kind.as_str().to_owned())
            }
            _ if number.is_connected()
                && number.code_verification_status.as_deref() != Some("NOT_VERIFIED")
                && number.code_verification_status.as_deref() != Some("EXPIRED") =>
            {
                Ok(json!({ "method": "meta_status" }))
            }
            _ => Err("number_not_connected".to_owned()),
        };
        match result {
            Ok(how) => {
                account.meta.verification_error = None;
                account.meta.verification = Some(how);
                account.mark_verified(now);
            }
            Err(code) => {
                tracing::warn!(phone_number_id = %account.phone_number_id, reason = %code, "number not verified");
                account.meta.verification_error = Some(code);
            }
        }
    }
}
