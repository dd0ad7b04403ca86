//! Inbound media: downloading it through Meta (looked up again each time, since Meta's URLs
//! live five minutes), and the payment-proof flow.

use omni_domain::{Conversation, Order, StoreId};
use omni_ports::meta::DownloadedMedia;
use omni_ports::{GraphErrorKind, MediaObject, OrderWrite};
use secrecy::SecretString;

use super::config::{AgentConfig, AgentPorts};
use super::reply::text_reply;
use super::text;
use crate::conversation::{Decision, ProcessError, Turn};

/// Why media could not be had.
#[derive(Debug, thiserror::Error)]
pub(super) enum MediaFailure {
    /// The message carries no media id.
    #[error("message has no media")]
    Missing,
    /// Meta refused or the file is bad (too large, checksum mismatch): asking again will not
    /// help; ask the customer.
    #[error("media rejected: {0}")]
    Rejected(String),
    /// Worth retrying (Meta or the network away).
    #[error("media unavailable: {0}")]
    Transient(String),
}

/// Downloads the turn's media with the account's token.
pub(super) async fn download(
    ports: &AgentPorts,
    config: &AgentConfig,
    turn: &Turn<'_>,
    token: &SecretString,
) -> Result<DownloadedMedia, MediaFailure> {
    let media = turn.inbound.media.as_ref().ok_or(MediaFailure::Missing)?;
    let classify = |e: omni_ports::GraphError| {
        if e.is_retryable() || matches!(e.kind, GraphErrorKind::Timeout | GraphErrorKind::Transport)
        {
            MediaFailure::Transient(e.to_string())
        } else {
            MediaFailure::Rejected(e.to_string())
        }
    };
    let mut info = ports
        .graph
        .media_info(token, &media.id, Some(&turn.account.phone_number_id))
        .await
        .map_err(classify)?;
    // The webhook's checksum is the one Meta sent with the message; keep it if the lookup has
    // none, so the download is always checked.
    if info.sha256.is_none() {
        info.sha256.clone_from(&media.sha256);
    }
    ports
        .graph
        .download_media(token, &info, config.max_media_bytes)
        .await
        .map_err(classify)
}

/// Lowercase hex SHA-256 of bytes: the content hash that spots one screenshot used twice.
#[must_use]
pub fn sha256_hex(bytes: &[u8]) -> String {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The file types a payment proof may be.
const PROOF_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/webp", "application/pdf"];

/// A proof's type, read from its bytes (magic numbers, the `infer` crate): one of
/// [`PROOF_TYPES`], and the type Meta declared (an SVG or HTML page sent as an "image" is
/// refused, and so is a PNG declared as a PDF). `None` when refused.
#[must_use]
pub fn proof_type(bytes: &[u8], declared: &str) -> Option<&'static str> {
    let sniffed = infer::get(bytes)?.mime_type();
    let declared = declared.split(';').next().unwrap_or("").trim();
    let declared = if declared.eq_ignore_ascii_case("image/jpg") {
        "image/jpeg"
    } else {
        declared
    };
    PROOF_TYPES
        .into_iter()
        .find(|t| *t == sniffed && t.eq_ignore_ascii_case(declared))
}

/// Where a payment proof is kept: per store, per order, per message (a redelivered webhook
/// writes the same key).
#[must_use]
pub fn proof_key(store: StoreId, order: &Order, wamid: &str, mime_type: &str) -> String {
    let ext = match mime_type {
        "image/png" => "png",
        "image/webp" => "webp",
        "application/pdf" => "pdf",
        _ => "jpg",
    };
    let safe: String = wamid
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(120)
        .collect();
    format!("stores/{store}/proofs/{}/{safe}.{ext}", order.id)
}

/// Takes a payment screenshot for `order`: download (checked against Meta's SHA-256), keep it
/// in the media store, flag a reused screenshot, move the payment to pending verification and
/// tell the customer; all saved with the turn.
pub(super) async fn take_proof(
    ports: &AgentPorts,
    config: &AgentConfig,
    turn: &Turn<'_>,
    mut conversation: Conversation,
    order: &Order,
) -> Result<Decision, ProcessError> {
    let now = ports.clock.now();
    let Some(token) = ports.token(turn.account) else {
        return Err(ProcessError::Retryable(
            "the account's access token cannot be opened".into(),
        ));
    };
    let media = match download(ports, config, turn, &token).await {
        Ok(m) => m,
        Err(MediaFailure::Transient(e)) => return Err(ProcessError::Retryable(e)),
        Err(e) => {
            tracing::warn!(store = %turn.store, order = %order.id, error = %e, "payment proof could not be downloaded");
            return Ok(Decision::replies(
                conversation,
                vec![text_reply(text::proof_unreadable())],
            ));
        }
    };
    let Some(mime) = proof_type(&media.bytes, &media.mime_type) else {
        tracing::warn!(store = %turn.store, order = %order.id, declared = %media.mime_type,
            bytes = media.bytes.len(), "payment proof refused: not a JPEG, PNG, WebP or PDF, or not what Meta said it is");
        return Ok(Decision::replies(
            conversation,
            vec![text_reply(text::proof_unreadable())],
        ));
    };
    let mut media = media;
    mime.clone_into(&mut media.mime_type);
    let hash = sha256_hex(&media.bytes);
    let wamid = turn.message.wamid.as_deref().unwrap_or("message");
    let key = proof_key(turn.store, order, wamid, &media.mime_type);
    ports
        .media
        .put(
            &key,
            MediaObject {
                bytes: media.bytes,
                content_type: media.mime_type,
            },
        )
        .await
        .map_err(|e| ProcessError::Retryable(omni_ports::error_chain(&e)))?;
    let reused = ports
        .commerce
        .orders_with_proof(turn.store, &hash, order.id)
        .await?;
    let mut updated = order.clone();
    if let Err(e) = updated.payment.submit_proof(key.clone(), hash) {
        return Err(ProcessError::Permanent(e.to_string()));
    }
    updated.proof_reuse_of = reused.first().copied();
    if let Some(first) = updated.proof_reuse_of {
        tracing::warn!(store = %turn.store, order = %order.id, earlier = %first, "payment screenshot already used for another order; flagged for the owner");
        notify_reuse(ports, turn, &updated, first, wamid).await;
    }
    updated.updated_at = now;
    conversation.updated_at = now;
    Ok(Decision {
        conversation,
        replies: vec![text_reply(text::proof_received(&updated))],
        order: Some(OrderWrite::Update {
            expected_status: order.status(),
            expected_payment: order.payment.status(),
            order: updated,
        }),
        transcript: None,
        media_path: Some(key),
    })
}

/// Tells the owner a screenshot was used before. Best effort (the flag on the order is what
/// the verification queue shows); the id is derived from the message, so a retried turn adds
/// no second notification.
async fn notify_reuse(
    ports: &AgentPorts,
    turn: &Turn<'_>,
    order: &Order,
    earlier: omni_domain::OrderId,
    wamid: &str,
) {
    let Some(repo) = &ports.notifications else {
        return;
    };
    let n = omni_ports::Notification {
        id: format!(
            "proof-reuse:{}",
            sha256_hex(format!("{}:{wamid}", order.id).as_bytes())
        ),
        store_id: turn.store,
        account_id: Some(turn.account.id),
        kind: "payment_proof_reused".into(),
        severity: "warning".into(),
        title: format!(
            "Payment screenshot for order {} was used before",
            order.reference()
        ),
        body: format!(
            "The screenshot sent for order {} has the same bytes as the one for an earlier order. Check the payment before approving.",
            order.reference()
        ),
        detail: serde_json::json!({ "order_id": order.id.to_string(), "earlier_order_id": earlier.to_string() }),
        created_at: ports.clock.now(),
        read_at: None,
    };
    if let Err(e) = repo.add_notification(&n).await {
        tracing::debug!(error = %e, "payment reuse notification not added (already there?)");
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use omni_domain::{Currency, CustomerId};

    use super::*;

    #[test]
    fn a_proof_must_be_the_image_or_pdf_it_claims_to_be() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        let jpeg = b"\xff\xd8\xff\xe0\0\x10JFIF\0";
        let pdf = b"%PDF-1.7\n";
        let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
        assert_eq!(proof_type(png, "image/png"), Some("image/png"));
        assert_eq!(proof_type(jpeg, "image/jpeg"), Some("image/jpeg"));
        assert_eq!(proof_type(jpeg, "image/jpg"), Some("image/jpeg"));
        assert_eq!(proof_type(pdf, "application/pdf"), Some("application/pdf"));
        // An SVG (scriptable) claiming to be a JPEG, HTML, text, nothing: refused.
        assert_eq!(proof_type(svg, "image/jpeg"), None);
        assert_eq!(proof_type(svg, "image/svg+xml"), None);
        assert_eq!(proof_type(b"<html>", "image/png"), None);
        assert_eq!(proof_type(b"", "image/png"), None);
        // Real bytes under another declared type: refused.
        assert_eq!(proof_type(png, "image/jpeg"), None);
        assert_eq!(proof_type(png, "application/pdf"), None);
    }

    #[test]
    fn the_content_hash_is_hex_sha256() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn proof_keys_are_per_store_order_and_message_and_safe() {
        let store = StoreId::new();
        let order = Order::new(CustomerId::new(), Currency::PKR, Utc::now());
        let key = proof_key(store, &order, "wamid.HBg/../x==", "image/png");
        assert_eq!(
            key,
            format!("stores/{store}/proofs/{}/wamid.HBg..x.png", order.id)
        );
    }
}
