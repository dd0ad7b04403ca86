//! Voice: a customer's voice note transcribed for the agent, and the agent's first text reply
//! spoken back as a voice note (both need the speech service).

use std::sync::atomic::Ordering;

use omni_ports::meta::{MediaKind, MediaSource, MediaUpload, OutboundContent};

use super::handler::AgentHandler;
use super::{media, text};
use crate::conversation::Turn;

impl AgentHandler {
    /// A voice note as text, or the reply to send instead.
    pub(super) async fn transcribe(&self, turn: &Turn<'_>) -> Result<String, String> {
        let Some(speech) = &self.ports.speech else {
            if !self.voice_warned.swap(true, Ordering::Relaxed) {
                tracing::warn!(
                    "a voice note arrived and no speech service is configured (agent.speech_base_url); customers are asked to type"
                );
            }
            return Err(text::voice_not_supported());
        };
        let Some(token) = self.ports.token(turn.account) else {
            return Err(text::voice_failed());
        };
        let media = match media::download(&self.ports, &self.config, turn, &token).await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(store = %turn.store, error = %e, "voice note download failed");
                return Err(text::voice_failed());
            }
        };
        match speech.transcribe(&media.bytes, &media.mime_type).await {
            Ok(t) if !t.trim().is_empty() => Ok(t.trim().to_owned()),
            Ok(_) => Err(text::voice_failed()),
            Err(e) => {
                tracing::warn!(store = %turn.store, error = %omni_ports::error_chain(e.as_ref()), "transcription failed");
                Err(text::voice_failed())
            }
        }
    }

    /// Speaks the first text reply as a voice note, uploaded to Meta.
    pub(super) async fn voice_reply(
        &self,
        turn: &Turn<'_>,
        reply: &str,
    ) -> Option<OutboundContent> {
        let speech = self.ports.speech.as_ref()?;
        let token = self.ports.token(turn.account)?;
        let (bytes, mime_type) = speech
            .synthesize(reply)
            .await
            .inspect_err(|e| tracing::warn!(store = %turn.store, error = %omni_ports::error_chain(e.as_ref()), "speech synthesis failed; text only"))
            .ok()?;
        let upload = MediaUpload {
            bytes,
            mime_type,
            filename: "reply.ogg".to_owned(),
        };
        let id = self
            .ports
            .graph
            .upload_media(&token, &turn.account.phone_number_id, &upload)
            .await
            .inspect_err(|e| tracing::warn!(store = %turn.store, error = %e, "voice reply upload failed; text only"))
            .ok()?;
        Some(OutboundContent::Media {
            kind: MediaKind::Audio,
            source: MediaSource::Id(id),
            caption: None,
            filename: None,
            voice: true,
        })
    }
}
