//! A store's ordering settings (defaults until set).

use omni_domain::{Money, StoreId, StoreSettings, TemplateRef};

use super::service::{Commerce, CommerceError, check_paisa, invalid};

impl Commerce {
    /// The ordering settings (defaults until set).
    ///
    /// # Errors
    /// Storage.
    pub async fn settings(&self, store: StoreId) -> Result<StoreSettings, CommerceError> {
        let s = self.store(store).await?;
        Ok(self
            .commerce
            .settings(store)
            .await?
            .unwrap_or_else(|| StoreSettings::defaults(s.currency)))
    }

    /// Sets the ordering settings.
    ///
    /// # Errors
    /// `Invalid`; storage.
    pub async fn set_settings(
        &self,
        store: StoreId,
        delivery_fee_paisa: i64,
        min_order_paisa: i64,
        voice_replies: bool,
        rider_template: Option<TemplateRef>,
    ) -> Result<StoreSettings, CommerceError> {
        let s = self.store(store).await?;
        check_paisa("delivery_fee_paisa", delivery_fee_paisa)?;
        check_paisa("min_order_paisa", min_order_paisa)?;
        if let Some(t) = &rider_template {
            let ok_name = !t.name.is_empty()
                && t.name.len() <= 512
                && t.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            let ok_lang = (2..=10).contains(&t.language.len())
                && t.language
                    .chars()
                    .all(|c| c.is_ascii_alphabetic() || c == '_');
            if !ok_name || !ok_lang {
                return Err(invalid(
                    "invalid_template",
                    "rider_template needs a template name (lowercase, digits, _) and a language code like en_US",
                ));
            }
        }
        let settings = StoreSettings {
            delivery_fee: Money::from_minor(delivery_fee_paisa, s.currency),
            min_order: Money::from_minor(min_order_paisa, s.currency),
            voice_replies,
            rider_template,
        };
        self.commerce
            .set_settings(store, &settings, self.clock.now())
            .await?;
        Ok(settings)
    }
}
