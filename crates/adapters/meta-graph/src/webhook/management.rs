//! The management fields of a webhook (quality, capability, account, review, alerts,
//! templates, display names): routed by WABA id, each read into its event.

use omni_domain::LimitTier;
use omni_ports::meta::webhook::{
    AccountAlert, AccountUpdate, CapabilityUpdate, NameUpdate, QualityUpdate, ReviewUpdate,
    TemplateStatus, WebhookEvent,
};
use serde_json::{Map, Value};

use super::entry::EntryCtx;
use super::json::{int, text};

pub(super) type Obj = Map<String, Value>;

pub(super) fn quality_update(ctx: &EntryCtx<'_>, v: &Obj) -> Option<WebhookEvent> {
    let limit = tier(v.get("max_daily_conversations_per_business"))
        .or_else(|| tier(v.get("current_limit")));
    Some(WebhookEvent::QualityUpdate(QualityUpdate {
        waba_id: ctx.id.clone(),
        display_phone_number: text(v.get("display_phone_number")).unwrap_or_default(),
        event: text(v.get("event")).unwrap_or_default(),
        limit,
        old_limit: tier(v.get("old_limit")),
        origin: ctx.origin(),
    }))
}

pub(super) fn capability_update(ctx: &EntryCtx<'_>, v: &Obj) -> Option<WebhookEvent> {
    let max_daily = tier(v.get("max_daily_conversations_per_business"))
        .or_else(|| tier(v.get("max_daily_conversation_per_phone")));
    let max_phone_numbers = v
        .get("max_phone_numbers_per_waba")
        .and_then(int)
        .or_else(|| v.get("max_phone_numbers_per_business").and_then(int))
        .and_then(|n| u32::try_from(n).ok());
    Some(WebhookEvent::CapabilityUpdate(CapabilityUpdate {
        waba_id: ctx.id.clone(),
        max_daily,
        max_phone_numbers,
        origin: ctx.origin(),
    }))
}

pub(super) fn account_update(ctx: &EntryCtx<'_>, v: &Obj) -> Option<WebhookEvent> {
    let waba_info = v.get("waba_info");
    let ban = v.get("ban_info");
    Some(WebhookEvent::AccountUpdate(AccountUpdate {
        waba_id: text(waba_info.and_then(|w| w.get("waba_id")))
            .filter(|w| !w.is_empty())
            .unwrap_or_else(|| ctx.id.clone()),
        event: text(v.get("event")).unwrap_or_default(),
        ban_state: text(ban.and_then(|b| b.get("waba_ban_state"))),
        ban_date: text(ban.and_then(|b| b.get("waba_ban_date"))),
        violation_type: text(
            v.get("violation_info")
                .and_then(|i| i.get("violation_type")),
        ),
        owner_business_id: text(waba_info.and_then(|w| w.get("owner_business_id"))),
        partner_app_id: text(waba_info.and_then(|w| w.get("partner_app_id"))),
        country: text(v.get("country")),
        origin: ctx.origin(),
    }))
}

pub(super) fn review_update(ctx: &EntryCtx<'_>, v: &Obj) -> Option<WebhookEvent> {
    Some(WebhookEvent::ReviewUpdate(ReviewUpdate {
        waba_id: ctx.id.clone(),
        decision: text(v.get("decision"))?,
        origin: ctx.origin(),
    }))
}

pub(super) fn account_alert(ctx: &EntryCtx<'_>, v: &Obj) -> Option<WebhookEvent> {
    let info = v.get("alert_info");
    let info_text = |k: &str| text(info.and_then(|i| i.get(k)));
    Some(WebhookEvent::AccountAlert(AccountAlert {
        waba_id: ctx.id.clone(),
        entity_type: text(v.get("entity_type")),
        entity_id: text(v.get("entity_id")),
        alert_type: info_text("alert_type"),
        severity: info_text("alert_severity"),
        status: info_text("alert_status"),
        description: info_text("alert_description"),
        origin: ctx.origin(),
    }))
}

pub(super) fn template_status(ctx: &EntryCtx<'_>, v: &Obj) -> Option<WebhookEvent> {
    Some(WebhookEvent::TemplateStatus(TemplateStatus {
        waba_id: ctx.id.clone(),
        template_id: text(v.get("message_template_id"))?,
        name: text(v.get("message_template_name")),
        language: text(v.get("message_template_language")),
        category: text(v.get("message_template_category")),
        event: text(v.get("event")).unwrap_or_default(),
        reason: text(v.get("reason")),
        origin: ctx.origin(),
    }))
}

pub(super) fn name_update(ctx: &EntryCtx<'_>, v: &Obj) -> Option<WebhookEvent> {
    Some(WebhookEvent::NameUpdate(NameUpdate {
        waba_id: ctx.id.clone(),
        display_phone_number: text(v.get("display_phone_number")).unwrap_or_default(),
        decision: text(v.get("decision")).unwrap_or_default(),
        requested_verified_name: text(v.get("requested_verified_name")),
        rejection_reason: text(v.get("rejection_reason")),
        origin: ctx.origin(),
    }))
}

/// A tier as Meta sends it: `TIER_*` (any case), or the integer form of
/// `business_capability_update` (50, 250, 1000, 2000, 10000, 100000; -1 = unlimited).
/// Unknown values are `None` (logged).
pub(super) fn tier(v: Option<&Value>) -> Option<LimitTier> {
    let v = v?;
    if let Some(n) = int(v).filter(|_| !v.is_string()) {
        return match n {
            -1 => Some(LimitTier::Unlimited),
            50 => Some(LimitTier::Tier50),
            250 => Some(LimitTier::Tier250),
            1_000 => Some(LimitTier::Tier1K),
            2_000 => Some(LimitTier::Tier2K),
            10_000 => Some(LimitTier::Tier10K),
            100_000 => Some(LimitTier::Tier100K),
            _ => {
                tracing::warn!(n, "unknown numeric messaging limit in a webhook");
                None
            }
        };
    }
    let raw = v.as_str()?.trim().to_ascii_uppercase();
    if raw.is_empty() {
        return None;
    }
    let parsed = raw.parse().ok();
    if parsed.is_none() {
        tracing::warn!(tier = %raw, "unknown messaging limit tier in a webhook");
    }
    parsed
}
