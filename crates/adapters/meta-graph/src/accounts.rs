//! A WABA's phone numbers, webhook subscriptions and registration (meta-api.md §3.7-3.9,
//! §8.8). Listing follows Meta's cursor paging, sending the token only back to the Graph host.

use omni_domain::{
    LimitTier, MessagingLimits, PhoneNumberId, QualityRating, ThroughputLevel, WabaId,
};
use omni_ports::meta::{
    CallbackOverride, CanSend, GraphError, GraphErrorKind, HealthEntity, HealthProblem,
    HealthStatus, PhoneNumberInfo, SubscribedApp,
};
use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::MetaGraphClient;

/// The fields we read of a number. Both limit fields (portfolio and the deprecated per-number
/// tier) and both platform names are asked for.
pub(crate) const PHONE_FIELDS: &str = "id,display_phone_number,verified_name,quality_rating,\
code_verification_status,name_status,status,platform_type,throughput,\
whatsapp_business_manager_messaging_limit,messaging_limit_tier,account_mode,health_status";

/// Pages followed at most, so a misbehaving `paging.next` cannot loop forever.
const MAX_PAGES: usize = 100;

#[derive(Deserialize)]
struct Page<T> {
    #[serde(default = "Vec::new")]
    data: Vec<T>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Deserialize)]
struct Paging {
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct PhoneWire {
    id: String,
    display_phone_number: String,
    verified_name: Option<String>,
    quality_rating: Option<String>,
    code_verification_status: Option<String>,
    name_status: Option<String>,
    status: Option<String>,
    platform_type: Option<String>,
    host_platform: Option<String>,
    throughput: Option<Value>,
    whatsapp_business_manager_messaging_limit: Option<String>,
    messaging_limit_tier: Option<String>,
    account_mode: Option<String>,
    health_status: Option<HealthWire>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct HealthWire {
    can_send_message: String,
    entities: Vec<EntityWire>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EntityWire {
    entity_type: String,
    id: String,
    can_send_message: String,
    additional_info: Vec<String>,
    errors: Vec<ProblemWire>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProblemWire {
    error_code: i64,
    error_description: String,
    possible_solution: Option<String>,
}

fn tier(raw: Option<&str>) -> Option<LimitTier> {
    raw.and_then(|t| t.trim().to_ascii_uppercase().parse().ok())
}

impl TryFrom<PhoneWire> for PhoneNumberInfo {
    type Error = GraphError;

    fn try_from(w: PhoneWire) -> Result<Self, GraphError> {
        let id = PhoneNumberId::parse(&w.id).map_err(|e| {
            GraphError::local(GraphErrorKind::Protocol, format!("phone number id: {e}"))
        })?;
        // `throughput` is `{"level": "STANDARD"}`; accept a bare string too.
        let throughput = w
            .throughput
            .as_ref()
            .and_then(|t| t.get("level").unwrap_or(t).as_str())
            .and_then(|l| l.parse::<ThroughputLevel>().ok());
        Ok(Self {
            id,
            display_phone_number: w.display_phone_number,
            verified_name: w.verified_name,
            quality_rating: QualityRating::from_meta(w.quality_rating.as_deref().unwrap_or("")),
            limits: MessagingLimits {
                portfolio_tier: tier(w.whatsapp_business_manager_messaging_limit.as_deref()),
                legacy_tier: tier(w.messaging_limit_tier.as_deref()),
                throughput,
            },
            code_verification_status: w.code_verification_status,
            name_status: w.name_status,
            status: w.status,
            platform_type: w.platform_type.or(w.host_platform),
            account_mode: w.account_mode,
            health: w.health_status.map(|h| HealthStatus {
                can_send_message: CanSend::from_meta(&h.can_send_message),
                entities: h
                    .entities
                    .into_iter()
                    .map(|e| HealthEntity {
                        entity_type: e.entity_type,
                        id: e.id,
                        can_send_message: CanSend::from_meta(&e.can_send_message),
                        additional_info: e.additional_info,
                        errors: e
                            .errors
                            .into_iter()
                            .map(|p| HealthProblem {
                                code: p.error_code,
                                description: p.error_description,
                                possible_solution: p.possible_solution,
                            })
                            .collect(),
                    })
                    .collect(),
            }),
        })
    }
}

#[derive(Deserialize)]
struct SubscribedWire {
    #[serde(default)]
    whatsapp_business_api_data: Option<AppData>,
    #[serde(default)]
    override_callback_uri: Option<String>,
}

#[derive(Deserialize)]
struct AppData {
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: Option<String>,
}

impl MetaGraphClient {
    /// GETs `first` and every `paging.next` after it.
    pub(crate) async fn paged<T: DeserializeOwned>(
        &self,
        what: &'static str,
        token: &SecretString,
        first: Url,
    ) -> Result<Vec<T>, GraphError> {
        let mut out = Vec::new();
        let mut next = Some(first);
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > MAX_PAGES {
                return Err(GraphError::local(
                    GraphErrorKind::Protocol,
                    format!("{what}: more than {MAX_PAGES} pages"),
                ));
            }
            let page: Page<T> = self
                .json(what, self.authed(Method::GET, url.as_str(), token))
                .await?;
            out.extend(page.data);
            if let Some(link) = page.paging.and_then(|p| p.next) {
                let url = Url::parse(&link).map_err(|e| {
                    GraphError::local(
                        GraphErrorKind::Protocol,
                        format!("{what}: paging.next: {e}"),
                    )
                })?;
                if !self.is_graph_url(&url) {
                    return Err(GraphError::local(
                        GraphErrorKind::Protocol,
                        format!("{what}: paging.next leaves the Graph host"),
                    ));
                }
                // Meta's `next` may carry `access_token`; we authenticate by header instead.
                let url = strip_access_token(url);
                next = Some(url);
            }
        }
        Ok(out)
    }

    pub(crate) fn page_url(&self, path: &str, fields: &str) -> Result<Url, GraphError> {
        let mut url = Url::parse(&self.url(path))
            .map_err(|e| GraphError::local(GraphErrorKind::Protocol, format!("{path}: {e}")))?;
        url.query_pairs_mut()
            .append_pair("fields", fields)
            .append_pair("limit", "100");
        Ok(url)
    }

    pub(crate) async fn phone_numbers(
        &self,
        token: &SecretString,
        waba: &WabaId,
    ) -> Result<Vec<PhoneNumberInfo>, GraphError> {
        let url = self.page_url(&format!("{}/phone_numbers", waba.as_str()), PHONE_FIELDS)?;
        let wires: Vec<PhoneWire> = self
            .paged("accounts.list_phone_numbers", token, url)
            .await?;
        wires.into_iter().map(PhoneNumberInfo::try_from).collect()
    }

    pub(crate) async fn phone_number(
        &self,
        token: &SecretString,
        id: &PhoneNumberId,
    ) -> Result<PhoneNumberInfo, GraphError> {
        let req = self
            .authed(Method::GET, &self.url(id.as_str()), token)
            .query(&[("fields", PHONE_FIELDS)]);
        let wire: PhoneWire = self.json("accounts.get_phone_number", req).await?;
        wire.try_into()
    }

    pub(crate) async fn subscribe(
        &self,
        token: &SecretString,
        waba: &WabaId,
        callback_override: Option<&CallbackOverride>,
    ) -> Result<(), GraphError> {
        let url = self.url(&format!("{}/subscribed_apps", waba.as_str()));
        let mut req = self.authed(Method::POST, &url, token);
        if let Some(o) = callback_override {
            req = req.json(&json!({
                "override_callback_uri": o.uri,
                "verify_token": o.verify_token.expose_secret(),
            }));
        }
        self.expect_success("accounts.subscribe_app", req).await
    }

    pub(crate) async fn subscriptions(
        &self,
        token: &SecretString,
        waba: &WabaId,
    ) -> Result<Vec<SubscribedApp>, GraphError> {
        let url = self.url(&format!("{}/subscribed_apps", waba.as_str()));
        let page: Page<SubscribedWire> = self
            .json(
                "accounts.subscribed_apps",
                self.authed(Method::GET, &url, token),
            )
            .await?;
        Ok(page
            .data
            .into_iter()
            .filter_map(|s| {
                let app = s.whatsapp_business_api_data?;
                Some(SubscribedApp {
                    app_id: app.id,
                    name: app.name,
                    override_callback_uri: s.override_callback_uri,
                })
            })
            .collect())
    }

    pub(crate) async fn unsubscribe(
        &self,
        token: &SecretString,
        waba: &WabaId,
    ) -> Result<(), GraphError> {
        let url = self.url(&format!("{}/subscribed_apps", waba.as_str()));
        self.expect_success(
            "accounts.unsubscribe_app",
            self.authed(Method::DELETE, &url, token),
        )
        .await
    }

    pub(crate) async fn register(
        &self,
        token: &SecretString,
        id: &PhoneNumberId,
        pin: Option<&SecretString>,
    ) -> Result<(), GraphError> {
        let (what, path, body) = match pin {
            Some(pin) => (
                "accounts.register",
                format!("{}/register", id.as_str()),
                json!({ "messaging_product": "whatsapp", "pin": pin.expose_secret() }),
            ),
            None => (
                "accounts.deregister",
                format!("{}/deregister", id.as_str()),
                json!({ "messaging_product": "whatsapp" }),
            ),
        };
        let req = self
            .authed(Method::POST, &self.url(&path), token)
            .json(&body);
        self.expect_success(what, req).await
    }
}

fn strip_access_token(mut url: Url) -> Url {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "access_token")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut().clear().extend_pairs(kept);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paging_link_loses_its_access_token() {
        let url = Url::parse("https://graph.facebook.com/v25.0/1/phone_numbers?access_token=EAAsecret&limit=1&after=QVFI")
            .map(strip_access_token)
            .map(String::from)
            .unwrap_or_default();
        assert!(!url.contains("EAAsecret"), "{url}");
        assert!(
            url.contains("after=QVFI") && url.contains("limit=1"),
            "{url}"
        );
    }

    #[test]
    fn a_number_reads_both_limit_fields_and_unrated_quality() {
        let wire: PhoneWire = serde_json::from_value(json!({
            "id": "106540352242922", "display_phone_number": "+92 300 1112233",
            "quality_rating": "NA", "throughput": {"level": "HIGH"},
            "whatsapp_business_manager_messaging_limit": "TIER_2K",
            "messaging_limit_tier": "tier_250", "host_platform": "CLOUD_API",
            "health_status": {"can_send_message": "LIMITED", "entities": [
                {"entity_type": "PHONE_NUMBER", "id": "106540352242922", "can_send_message": "BLOCKED",
                 "errors": [{"error_code": 141010, "error_description": "d", "possible_solution": "s"}]}]}
        }))
        .unwrap_or_default();
        let info = PhoneNumberInfo::try_from(wire).map_err(|e| e.to_string());
        let info = info.as_ref().map_err(Clone::clone);
        let Ok(info) = info else {
            panic!("{info:?}");
        };
        assert_eq!(info.quality_rating, QualityRating::Unknown);
        assert_eq!(info.limits.portfolio_tier, Some(LimitTier::Tier2K));
        assert_eq!(info.limits.legacy_tier, Some(LimitTier::Tier250));
        assert_eq!(info.limits.throughput, Some(ThroughputLevel::High));
        assert_eq!(info.platform_type.as_deref(), Some("CLOUD_API"));
        let health = info.health.clone().unwrap_or_else(|| panic!("no health"));
        assert_eq!(health.can_send_message, CanSend::Limited);
        assert_eq!(health.entities[0].errors[0].code, 141_010);
    }
}
