//! `MetaGraphPort` over reqwest with rustls on ring: OAuth, a WABA's numbers, webhook
//! subscriptions, registration, messages, media and templates, plus Meta's webhook payloads
//! (signature check and parsing). Tests and the sandbox point it at the Meta simulator through
//! [`GraphConfig::with_base_url`]; production uses graph.facebook.com.
//!
//! The adapter never retries: each failure is a typed [`omni_ports::GraphError`] and the
//! caller decides. Tokens travel in the `Authorization` header (the one exception is
//! `debug_token`, whose `input_token` Meta takes only in the query) and never appear in logs or
//! error messages.

mod accounts;
mod client;
mod config;
pub mod errors;
mod media;
mod messages;
mod oauth;
mod templates;
pub mod webhook;

use async_trait::async_trait;
use omni_domain::{PhoneNumberId, WabaId};
use omni_ports::meta::{
    AccessToken, CallbackOverride, CreatedTemplate, DownloadedMedia, GraphError, MediaInfo,
    MediaUpload, MessageTemplate, MetaGraphPort, NewTemplate, OAuthDialogRequest, OutboundMessage,
    PhoneNumberInfo, SentMessage, SubscribedApp, TokenInfo,
};
use secrecy::SecretString;

pub use client::{BuildError, MetaGraphClient};
pub use config::GraphConfig;
pub use messages::message_body;

#[async_trait]
impl MetaGraphPort for MetaGraphClient {
    fn oauth_dialog_url(&self, request: &OAuthDialogRequest) -> String {
        self.dialog_url(request)
    }

    async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: Option<&str>,
    ) -> Result<AccessToken, GraphError> {
        self.oauth_exchange_code(code, redirect_uri).await
    }

    async fn exchange_long_lived(
        &self,
        token: &SecretString,
        system_user_60_days: bool,
    ) -> Result<AccessToken, GraphError> {
        self.oauth_exchange_long_lived(token, system_user_60_days)
            .await
    }

    async fn debug_token(&self, token: &SecretString) -> Result<TokenInfo, GraphError> {
        self.oauth_debug_token(token).await
    }

    async fn list_phone_numbers(
        &self,
        token: &SecretString,
        waba: &WabaId,
    ) -> Result<Vec<PhoneNumberInfo>, GraphError> {
        self.phone_numbers(token, waba).await
    }

    async fn get_phone_number(
        &self,
        token: &SecretString,
        id: &PhoneNumberId,
    ) -> Result<PhoneNumberInfo, GraphError> {
        self.phone_number(token, id).await
    }

    async fn subscribe_app(
        &self,
        token: &SecretString,
        waba: &WabaId,
        callback_override: Option<&CallbackOverride>,
    ) -> Result<(), GraphError> {
        self.subscribe(token, waba, callback_override).await
    }

    async fn subscribed_apps(
        &self,
        token: &SecretString,
        waba: &WabaId,
    ) -> Result<Vec<SubscribedApp>, GraphError> {
        self.subscriptions(token, waba).await
    }

    async fn unsubscribe_app(&self, token: &SecretString, waba: &WabaId) -> Result<(), GraphError> {
        self.unsubscribe(token, waba).await
    }

    async fn register_number(
        &self,
        token: &SecretString,
        id: &PhoneNumberId,
        pin: &SecretString,
    ) -> Result<(), GraphError> {
        self.register(token, id, Some(pin)).await
    }

    async fn deregister_number(
        &self,
        token: &SecretString,
        id: &PhoneNumberId,
    ) -> Result<(), GraphError> {
        self.register(token, id, None).await
    }

    async fn send_message(
        &self,
        token: &SecretString,
        from: &PhoneNumberId,
        message: &OutboundMessage,
    ) -> Result<SentMessage, GraphError> {
        self.send(token, from, message).await
    }

    async fn mark_read(
        &self,
        token: &SecretString,
        from: &PhoneNumberId,
        wamid: &str,
        typing_indicator: bool,
    ) -> Result<(), GraphError> {
        self.read(token, from, wamid, typing_indicator).await
    }

    async fn media_info(
        &self,
        token: &SecretString,
        media_id: &str,
        phone_number_id: Option<&PhoneNumberId>,
    ) -> Result<MediaInfo, GraphError> {
        self.media_lookup(token, media_id, phone_number_id).await
    }

    async fn download_media(
        &self,
        token: &SecretString,
        info: &MediaInfo,
        max_bytes: u64,
    ) -> Result<DownloadedMedia, GraphError> {
        self.media_download(token, info, max_bytes).await
    }

    async fn upload_media(
        &self,
        token: &SecretString,
        from: &PhoneNumberId,
        upload: &MediaUpload,
    ) -> Result<String, GraphError> {
        self.media_upload(token, from, upload).await
    }

    async fn list_templates(
        &self,
        token: &SecretString,
        waba: &WabaId,
    ) -> Result<Vec<MessageTemplate>, GraphError> {
        self.templates(token, waba).await
    }

    async fn create_template(
        &self,
        token: &SecretString,
        waba: &WabaId,
        template: &NewTemplate,
    ) -> Result<CreatedTemplate, GraphError> {
        self.template_create(token, waba, template).await
    }

    async fn delete_template(
        &self,
        token: &SecretString,
        waba: &WabaId,
        name: &str,
        id: Option<&str>,
    ) -> Result<(), GraphError> {
        self.template_delete(token, waba, name, id).await
    }
}
