//! The [`AnalyticsRepo`](omni_ports::AnalyticsRepo) contract: figures per UTC day of one number
//! from what the tenant ports stored (messages in and out, deliveries, reads and failures by
//! code, response times, orders and revenue), days without activity absent, nothing of another
//! number, and when a customer last wrote. Each rule provisions its own store, so the figures
//! it reads are only its own.
//!
//! Two rules pin what the SQL adapter does where the port is loose: a reply up to two days
//! after the range still gives its inbound message a response time, and a failure's code is
//! the text of its error before the first colon (`unknown` without an error).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use omni_domain::{
    AccountId, ConversationId, Direction, Message, MessageId, MessageStatus, Order, OrderItem,
    OrderStatus, StoreId,
};
use omni_ports::{DailyFigures, InboundRecord, RecordedInbound};

use super::{Repos, ok, tenant_not_found};
use crate::fixtures;

/// A registered, provisioned store.
async fn provisioned(r: &Repos) -> StoreId {
    let owner = fixtures::owner();
    ok(r.central.insert_owner(&owner).await, "insert_owner (setup)");
    let id = StoreId::new();
    let store = fixtures::store(id, owner.id, r.tenants.new_location(id));
    ok(r.central.insert_store(&store).await, "insert_store (setup)");
    ok(r.tenants.provision(id).await, "provision (setup)");
    id
}

/// Ten days ago (UTC), a day with no other activity of the store.
fn day() -> NaiveDate {
    (fixtures::now() - TimeDelta::days(10)).date_naive()
}

/// `hours:minutes` on `day`, UTC.
fn at(day: NaiveDate, hours: u32, minutes: u32) -> DateTime<Utc> {
    match day.and_hms_opt(hours, minutes, 0) {
        Some(t) => t.and_utc(),
        None => panic!("{hours}:{minutes} is not a time"),
    }
}

/// Records an inbound message, which must succeed.
async fn inbound(r: &Repos, store: StoreId, record: &InboundRecord) -> RecordedInbound {
    ok(
        r.tenants.record_inbound(store, record).await,
        "record_inbound (setup)",
    )
}

/// Stores an outbound message of `conversation` at `when` with a status (and error), answering
/// `reply_to` when given.
async fn outbound(
    r: &Repos,
    store: StoreId,
    conversation: ConversationId,
    when: DateTime<Utc>,
    status: MessageStatus,
    error: Option<&str>,
    reply_to: Option<MessageId>,
) -> Message {
    let mut m = fixtures::message(
        conversation,
        Direction::Outbound,
        fixtures::text("ok"),
        when,
    );
    m.wamid = Some(fixtures::wamid());
    m.status = Some(status);
    m.status_at = Some(when);
    m.error = error.map(str::to_owned);
    m.in_reply_to = reply_to;
    ok(
        r.tenants.insert_message(store, &m).await,
        "insert_message (setup)",
    );
    m
}

/// The figures of `account` from `from` to `to`.
async fn figures(
    r: &Repos,
    store: StoreId,
    account: AccountId,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<DailyFigures> {
    ok(
        r.analytics.daily_figures(store, account, from, to).await,
        "daily_figures",
    )
}

/// One day's figures with only these message counts.
fn messages_only(day: NaiveDate, messages_in: u64, messages_out: u64) -> DailyFigures {
    DailyFigures {
        day: Some(day),
        messages_in,
        messages_out,
        ..DailyFigures::default()
    }
}

/// Both methods answer `TenantNotFound` for a store never provisioned.
pub async fn unprovisioned(r: &Repos) {
    let (store, account) = (StoreId::new(), AccountId::new());
    tenant_not_found(
        r.analytics
            .daily_figures(store, account, day(), day())
            .await,
        "daily_figures of an unknown store",
    );
    tenant_not_found(
        r.analytics
            .last_inbound_from(store, account, "923001234567")
            .await,
        "last_inbound_from of an unknown store",
    );
}

/// Messages in and out are counted per UTC day of the range; days without activity, and days
/// outside the range, are absent.
pub async fn messages_per_day(r: &Repos) {
    let store = provisioned(r).await;
    let account = AccountId::new();
    let d = day();
    let next = d + TimeDelta::days(1);
    let first = fixtures::inbound(account, "salam", at(d, 10, 0));
    let got = inbound(r, store, &first).await;
    let c = got.conversation.id;
    inbound(
        r,
        store,
        &fixtures::next_inbound(&first, "menu?", at(d, 23, 59)),
    )
    .await;
    outbound(r, store, c, at(d, 10, 5), MessageStatus::Sent, None, None).await;
    inbound(
        r,
        store,
        &fixtures::next_inbound(&first, "hello", at(next, 0, 0)),
    )
    .await;
    let after = d + TimeDelta::days(3);
    inbound(
        r,
        store,
        &fixtures::next_inbound(&first, "later", at(after, 9, 0)),
    )
    .await;
    assert_eq!(
        figures(r, store, account, d, d + TimeDelta::days(2)).await,
        vec![messages_only(d, 2, 1), messages_only(next, 1, 0)],
        "per UTC day; the empty day and the day after the range absent"
    );
    assert_eq!(
        figures(r, store, account, next, next).await,
        vec![messages_only(next, 1, 0)],
        "only the days asked for"
    );
    assert!(
        figures(
            r,
            store,
            account,
            d - TimeDelta::days(5),
            d - TimeDelta::days(1)
        )
        .await
        .is_empty(),
        "no activity, no days"
    );
}

/// Outbound messages count as delivered when delivered or read, as read when read, and as
/// failed by the code before the colon of their error.
pub async fn delivery_figures(r: &Repos) {
    let store = provisioned(r).await;
    let account = AccountId::new();
    let d = day();
    let c = inbound(r, store, &fixtures::inbound(account, "hi", at(d, 9, 0)))
        .await
        .conversation
        .id;
    for (status, error) in [
        (MessageStatus::Queued, None),
        (MessageStatus::Sent, None),
        (MessageStatus::Delivered, None),
        (MessageStatus::Read, None),
        (MessageStatus::Failed, Some("131047: Re-engagement message")),
        (MessageStatus::Failed, Some("131047: again")),
        (MessageStatus::Failed, Some("outside_window: closed")),
        (MessageStatus::Failed, None),
    ] {
        outbound(r, store, c, at(d, 10, 0), status, error, None).await;
    }
    let expected = DailyFigures {
        day: Some(d),
        messages_in: 1,
        messages_out: 8,
        delivered: 2,
        read: 1,
        failed: 4,
        failures_by_code: BTreeMap::from([
            ("131047".to_owned(), 2),
            ("outside_window".to_owned(), 1),
            ("unknown".to_owned(), 1),
        ]),
        ..DailyFigures::default()
    };
    assert_eq!(figures(r, store, account, d, d).await, vec![expected]);
}

/// An answered inbound message gives the seconds to its first reply, also when the reply came
/// after the range (up to two days); an unanswered one gives none.
pub async fn response_times(r: &Repos) {
    let store = provisioned(r).await;
    let account = AccountId::new();
    let d = day();
    let next = d + TimeDelta::days(1);
    let asked = inbound(
        r,
        store,
        &fixtures::inbound(account, "price?", at(d, 23, 50)),
    )
    .await;
    let c = asked.conversation.id;
    let q = Some(asked.message.id);
    outbound(r, store, c, at(next, 0, 20), MessageStatus::Sent, None, q).await;
    outbound(r, store, c, at(next, 0, 10), MessageStatus::Sent, None, q).await;
    inbound(
        r,
        store,
        &fixtures::inbound(account, "hello?", at(d, 12, 0)),
    )
    .await;
    let got = figures(r, store, account, d, d).await;
    assert_eq!(got.len(), 1, "one day: {got:?}");
    assert_eq!(
        got[0].response_secs,
        vec![20 * 60],
        "to the first reply, the next day; the unanswered message has none"
    );
    assert_eq!((got[0].messages_in, got[0].messages_out), (2, 0));
}

/// Orders of the number count on the day they were created with their total, unless still a
/// cart or cancelled.
pub async fn orders_and_revenue(r: &Repos) {
    let store = provisioned(r).await;
    let (account, other) = (AccountId::new(), AccountId::new());
    let d = day();
    let item = fixtures::menu_item("Zinger", Some("Burgers"), 55_000);
    ok(
        r.tenants.insert_menu_item(store, &item).await,
        "insert_menu_item (setup)",
    );
    let customer = ok(
        r.tenants
            .upsert_customer(store, &fixtures::customer())
            .await,
        "upsert_customer (setup)",
    );
    let order = |of: AccountId, when: DateTime<Utc>, quantity: u32, status: OrderStatus| {
        let mut o = Order::new(customer.id, omni_domain::Currency::PKR, when);
        o.account_id = Some(of);
        o.items = vec![OrderItem {
            menu_item_id: item.id,
            name: item.name.clone(),
            unit_price: item.price,
            quantity,
            variant: None,
        }];
        o.with_status(status)
    };
    let counted = [
        order(account, at(d, 12, 0), 1, OrderStatus::Placed),
        order(account, at(d, 13, 0), 3, OrderStatus::Delivered),
    ];
    let not_counted = [
        order(account, at(d, 14, 0), 2, OrderStatus::Cart),
        order(account, at(d, 15, 0), 2, OrderStatus::Cancelled),
        order(other, at(d, 15, 0), 2, OrderStatus::Placed),
        order(
            account,
            at(d + TimeDelta::days(1), 1, 0),
            2,
            OrderStatus::Placed,
        ),
    ];
    for o in counted.iter().chain(&not_counted) {
        ok(
            r.tenants.insert_order(store, o).await,
            "insert_order (setup)",
        );
    }
    let revenue: i64 = counted
        .iter()
        .map(|o| match o.total() {
            Ok(total) => total.minor(),
            Err(e) => panic!("order total: {e}"),
        })
        .sum();
    assert_eq!(
        figures(r, store, account, d, d).await,
        vec![DailyFigures {
            day: Some(d),
            orders: 2,
            revenue_minor: revenue,
            ..DailyFigures::default()
        }]
    );
}

/// The figures are of one number only: another number's conversations of the same store
/// count for it, not here.
pub async fn by_account(r: &Repos) {
    let store = provisioned(r).await;
    let (mine, theirs) = (AccountId::new(), AccountId::new());
    let d = day();
    let first = fixtures::inbound(mine, "hi", at(d, 9, 0));
    inbound(r, store, &first).await;
    // The same customer writing to the store's other number: another conversation.
    let mut elsewhere = fixtures::next_inbound(&first, "hi again", at(d, 9, 30));
    elsewhere.account_id = theirs;
    let c = inbound(r, store, &elsewhere).await.conversation.id;
    outbound(r, store, c, at(d, 9, 31), MessageStatus::Read, None, None).await;
    assert_eq!(
        figures(r, store, mine, d, d).await,
        vec![messages_only(d, 1, 0)]
    );
    let theirs_figures = figures(r, store, theirs, d, d).await;
    assert_eq!(theirs_figures.len(), 1);
    assert_eq!(
        (
            theirs_figures[0].messages_in,
            theirs_figures[0].messages_out,
            theirs_figures[0].read
        ),
        (1, 1, 1)
    );
    assert!(
        figures(r, store, AccountId::new(), d, d).await.is_empty(),
        "a number without conversations has no figures"
    );
}

/// When a customer last wrote to a number: their latest inbound there; `None` for a number
/// they never wrote to and for an unknown `wa_id`.
pub async fn last_inbound_from(r: &Repos) {
    let store = provisioned(r).await;
    let (account, other) = (AccountId::new(), AccountId::new());
    let d = day();
    let first = fixtures::inbound(account, "hi", at(d, 9, 0));
    inbound(r, store, &first).await;
    inbound(
        r,
        store,
        &fixtures::next_inbound(&first, "there?", at(d, 11, 0)),
    )
    .await;
    let wa_id = first.customer.wa_id().to_owned();
    let last = |of: AccountId, wa_id: String| async move {
        ok(
            r.analytics.last_inbound_from(store, of, &wa_id).await,
            "last_inbound_from",
        )
    };
    assert_eq!(last(account, wa_id.clone()).await, Some(at(d, 11, 0)));
    assert_eq!(last(other, wa_id).await, None, "never wrote to that number");
    assert_eq!(
        last(account, fixtures::customer().wa_id().to_owned()).await,
        None,
        "an unknown wa_id"
    );
}
