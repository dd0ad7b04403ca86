//! The payment methods a store offers its customers (cash, transfers), checked and kept.

use omni_domain::{PaymentMethod, PaymentMethodId, PaymentMethodKind, StoreId};
use omni_ports::RepoError;

use super::service::{Commerce, CommerceError, check_len, check_optional};

/// A payment method as the owner writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethodInput {
    /// Kind.
    pub kind: PaymentMethodKind,
    /// Title shown to customers, 1 to 60 characters.
    pub label: String,
    /// Account number, IBAN or wallet number; 1 to 200 characters (may be empty for cash).
    pub details: String,
    /// Instructions, up to 500 characters.
    pub instructions: Option<String>,
    /// Offered now.
    pub active: bool,
}

impl Commerce {
    pub(super) fn payment_method(
        id: PaymentMethodId,
        input: &PaymentMethodInput,
        created_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<PaymentMethod, CommerceError> {
        let label = check_len("invalid_label", "label", &input.label, 1, 60)?;
        let min = usize::from(input.kind.needs_proof());
        let details = check_len("invalid_details", "details", &input.details, min, 200)?;
        let instructions = check_optional(
            "invalid_instructions",
            "instructions",
            input.instructions.as_deref(),
            500,
        )?;
        Ok(PaymentMethod {
            id,
            kind: input.kind,
            label,
            details,
            instructions,
            active: input.active,
            created_at,
        })
    }

    /// The payment methods.
    ///
    /// # Errors
    /// Storage.
    pub async fn payment_methods(
        &self,
        store: StoreId,
    ) -> Result<Vec<PaymentMethod>, CommerceError> {
        Ok(self.tenants.list_payment_methods(store).await?)
    }

    /// Adds a payment method.
    ///
    /// # Errors
    /// `Invalid`; storage.
    pub async fn add_payment_method(
        &self,
        store: StoreId,
        input: &PaymentMethodInput,
    ) -> Result<PaymentMethod, CommerceError> {
        self.store(store).await?;
        let m = Self::payment_method(PaymentMethodId::new(), input, self.clock.now())?;
        self.tenants.insert_payment_method(store, &m).await?;
        Ok(m)
    }

    /// Replaces a payment method.
    ///
    /// # Errors
    /// `NotFound`, `Invalid`; storage.
    pub async fn update_payment_method(
        &self,
        store: StoreId,
        id: PaymentMethodId,
        input: &PaymentMethodInput,
    ) -> Result<PaymentMethod, CommerceError> {
        let existing = self
            .commerce
            .find_payment_method(store, id)
            .await?
            .ok_or(CommerceError::NotFound("payment method"))?;
        let m = Self::payment_method(id, input, existing.created_at)?;
        self.commerce.update_payment_method(store, &m).await?;
        Ok(m)
    }

    /// Deletes a payment method.
    ///
    /// # Errors
    /// `NotFound`; storage.
    pub async fn delete_payment_method(
        &self,
        store: StoreId,
        id: PaymentMethodId,
    ) -> Result<(), CommerceError> {
        match self.commerce.delete_payment_method(store, id).await {
            Err(RepoError::NotFound) => Err(CommerceError::NotFound("payment method")),
            other => Ok(other?),
        }
    }
}
