//! Where media (payment screenshots, voice notes) is kept. First shape: the media issue
//! implements it over `object_store`.

use async_trait::async_trait;

use crate::BoxError;

/// A stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaObject {
    /// Bytes.
    pub bytes: Vec<u8>,
    /// MIME type.
    pub content_type: String,
}

/// Media storage failures.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// No object under that key.
    #[error("media not found")]
    NotFound,
    /// The store is unreachable.
    #[error("media store unavailable")]
    Unavailable(#[source] BoxError),
}

/// Media storage keyed by path.
#[async_trait]
pub trait MediaStorePort: Send + Sync {
    /// Stores an object under `key`, replacing any.
    ///
    /// # Errors
    /// `Unavailable`.
    async fn put(&self, key: &str, object: MediaObject) -> Result<(), MediaError>;

    /// Reads an object.
    ///
    /// # Errors
    /// `NotFound` or `Unavailable`.
    async fn get(&self, key: &str) -> Result<MediaObject, MediaError>;
}
