//! Builders of valid domain values for tests.
//!
//! Everything that a database keeps unique (owner email, `phone_number_id`, `wa_id`, `wamid`,
//! ids) is random (UUIDv4 digits), so tests running in parallel against one shared database,
//! or again against a database kept from an earlier run, never collide. Times come from
//! [`now`], truncated to whole microseconds, because Postgres keeps no finer precision and a
//! round trip must compare equal.

use std::fmt::Display;

use chrono::{DateTime, SubsecRound, Utc};
use omni_domain::{
    AccountId, Conversation, ConversationId, ConversationState, Currency, Customer, CustomerId,
    Direction, Email, MenuItem, MenuItemId, Message, MessageBody, MessageId, MessageStatus, Money,
    Order, Owner, OwnerId, PaymentMethod, PaymentMethodId, PaymentMethodKind, PhoneNumber,
    PhoneNumberId, SealedSecret, Store, StoreId, StoreKind, StoreName, TenantLocation, WabaId,
    WhatsappAccount,
};
use omni_ports::InboundRecord;
use uuid::Uuid;

/// Unwraps a builder step that cannot fail for the constant inputs used here.
#[track_caller]
fn built<T, E: Display>(result: Result<T, E>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(e) => panic!("fixture {what} is invalid: {e}"),
    }
}

/// The current time, truncated to whole microseconds (what every backend stores exactly).
#[must_use]
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// `len` random decimal digits (at most 38) from a UUIDv4.
#[must_use]
pub fn random_digits(len: usize) -> String {
    let len = len.min(38);
    let digits = Uuid::new_v4().as_u128().to_string();
    let padded = format!("{digits:0>38}");
    padded[padded.len() - len..].to_owned()
}

/// A random lower-case hex token (32 characters), for names and paths.
#[must_use]
pub fn random_token() -> String {
    Uuid::new_v4().simple().to_string()
}

/// A unique email address.
#[must_use]
pub fn email() -> Email {
    built(
        Email::parse(&format!("owner-{}@example.test", random_token())),
        "email",
    )
}

/// A unique, valid Pakistani mobile number ("+92300" and seven random digits).
#[must_use]
pub fn phone_number() -> PhoneNumber {
    built(
        PhoneNumber::parse(&format!("+92300{}", random_digits(7))),
        "phone number",
    )
}

/// A unique Meta `phone_number_id` (15 digits, like Meta's).
#[must_use]
pub fn phone_number_id() -> PhoneNumberId {
    built(
        PhoneNumberId::parse(&format!("1{}", random_digits(14))),
        "phone_number_id",
    )
}

/// A unique WABA id (15 digits).
#[must_use]
pub fn waba_id() -> WabaId {
    built(WabaId::parse(&format!("2{}", random_digits(14))), "WABA id")
}

/// A unique sealed secret (not real ciphertext: repositories store it opaquely).
#[must_use]
pub fn sealed(label: &str) -> SealedSecret {
    SealedSecret::from_ciphertext(format!("v1.test.{label}.{}", random_token()))
}

/// A unique Meta message id.
#[must_use]
pub fn wamid() -> String {
    format!("wamid.HBgM{}", random_token().to_ascii_uppercase())
}

/// An owner with a unique email and a WhatsApp number.
#[must_use]
pub fn owner() -> Owner {
    Owner {
        id: OwnerId::new(),
        email: email(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
        whatsapp_number: Some(phone_number()),
        created_at: now(),
    }
}

/// A restaurant with the defaults of [`Store::new`], created now.
#[must_use]
pub fn store(id: StoreId, owner: OwnerId, tenant: TenantLocation) -> Store {
    Store::new(
        id,
        owner,
        built(
            StoreName::parse(&format!("Test Store {}", random_digits(6))),
            "store name",
        ),
        StoreKind::Restaurant,
        tenant,
        now(),
    )
}

/// A tenant location that names the store, for central-only tests.
#[must_use]
pub fn sqlite_location(store: StoreId) -> TenantLocation {
    TenantLocation::Sqlite {
        file: format!("tenants/{store}.sqlite"),
    }
}

/// A newly connected (pending) account of `store` with a unique number, `phone_number_id`,
/// WABA and access token.
#[must_use]
pub fn account(store: StoreId) -> WhatsappAccount {
    WhatsappAccount::new(
        store,
        phone_number(),
        phone_number_id(),
        waba_id(),
        sealed("access"),
        now(),
    )
}

/// A customer with a unique `wa_id`, its phone number and a name.
#[must_use]
pub fn customer() -> Customer {
    let phone = phone_number();
    let mut customer = customer_with_wa_id(phone.digits());
    customer.phone = Some(phone);
    customer
}

/// A customer with this `wa_id` (another customer's, to test what is unique), a fresh id,
/// a random phone number and a name.
///
/// # Panics
/// When `wa_id` is not valid ([`Customer::new`]): a mistake in the test itself.
#[must_use]
pub fn customer_with_wa_id(wa_id: &str) -> Customer {
    let mut customer = Customer::new(CustomerId::new(), wa_id, now())
        .unwrap_or_else(|e| panic!("fixture wa_id {wa_id:?}: {e}"));
    customer.phone = Some(phone_number());
    customer.name = Some("Ayesha Khan".into());
    customer
}

/// A conversation state label known to be well-formed.
///
/// # Panics
/// When `label` is not one ([`ConversationState::parse`]): a mistake in the test itself.
#[must_use]
pub fn state(label: &str) -> ConversationState {
    ConversationState::parse(label).unwrap_or_else(|e| panic!("state {label:?}: {e}"))
}

/// A new conversation of `customer` on `account`.
#[must_use]
pub fn conversation(customer: CustomerId, account: AccountId) -> Conversation {
    let at = now();
    let mut c = Conversation::new(ConversationId::new(), customer, account, at)
        .with_last_inbound_at(Some(at));
    c.state = state("greeting");
    c.context = serde_json::json!({ "language": "ur", "cart": [] });
    c
}

/// A message in `conversation`: inbound ones carry a unique wamid, outbound ones none.
#[must_use]
pub fn message(
    conversation: ConversationId,
    direction: Direction,
    body: MessageBody,
    created_at: DateTime<Utc>,
) -> Message {
    let mut m = Message::new(MessageId::new(), conversation, direction, body, created_at);
    m.wamid = (direction == Direction::Inbound).then(wamid);
    m
}

/// A queued outbound reply in `conversation` answering `inbound`, with a unique idempotency
/// key and no wamid yet.
#[must_use]
pub fn reply(
    conversation: ConversationId,
    inbound: MessageId,
    body: &str,
    created_at: DateTime<Utc>,
) -> Message {
    let mut m = message(conversation, Direction::Outbound, text(body), created_at);
    m.status = Some(MessageStatus::Queued);
    m.status_at = Some(created_at);
    m.idempotency_key = Some(format!("reply:{}", random_token()));
    m.in_reply_to = Some(inbound);
    m
}

/// A text from a new customer (unique `wa_id` and wamid) to `account`, received at `at`. The
/// message's conversation id is a placeholder: `record_inbound` fills it in.
#[must_use]
pub fn inbound(account: AccountId, body: &str, at: DateTime<Utc>) -> InboundRecord {
    InboundRecord {
        customer: customer(),
        account_id: account,
        message: message(ConversationId::new(), Direction::Inbound, text(body), at),
        at,
    }
}

/// The next message of the same customer as `previous`: a new wamid and id, received at `at`.
#[must_use]
pub fn next_inbound(previous: &InboundRecord, body: &str, at: DateTime<Utc>) -> InboundRecord {
    let mut next = previous.clone();
    next.customer.id = CustomerId::new();
    next.message = message(ConversationId::new(), Direction::Inbound, text(body), at);
    next.at = at;
    next
}

/// A text body.
#[must_use]
pub fn text(body: &str) -> MessageBody {
    MessageBody::Text { body: body.into() }
}

/// An available menu item priced in paisa.
#[must_use]
pub fn menu_item(name: &str, category: Option<&str>, price_paisa: i64) -> MenuItem {
    MenuItem {
        id: MenuItemId::new(),
        name: name.into(),
        description: None,
        category: category.map(str::to_owned),
        price: Money::pkr_paisa(price_paisa),
        variants: Vec::new(),
        available: true,
        created_at: now(),
    }
}

/// An active payment method.
#[must_use]
pub fn payment_method(kind: PaymentMethodKind) -> PaymentMethod {
    PaymentMethod {
        id: PaymentMethodId::new(),
        kind,
        label: kind.as_str().replace('_', " "),
        details: format!("Account 0300{}", random_digits(7)),
        instructions: Some("Send the screenshot here after paying.".into()),
        active: true,
        created_at: now(),
    }
}

/// A new draft order of `customer` in PKR, without items.
#[must_use]
pub fn order(customer: CustomerId) -> Order {
    Order::new(customer, Currency::PKR, now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_values_are_valid_and_distinct() {
        assert_eq!(random_digits(15).len(), 15);
        assert!(random_digits(38).bytes().all(|b| b.is_ascii_digit()));
        assert_ne!(phone_number_id(), phone_number_id());
        assert_ne!(email(), email());
        assert_ne!(customer().wa_id(), customer().wa_id());
        for _ in 0..200 {
            let _ = phone_number();
        }
        assert_eq!(now().timestamp_subsec_nanos() % 1_000, 0);
    }
}
