//! [`MediaStorePort`] over the `object_store` crate: a directory on the local filesystem by
//! default (under the data directory), any S3-compatible bucket by configuration, and memory
//! for tests. Keys are relative paths (`stores/<id>/proofs/<order>/<wamid>.jpg`); the content
//! type is derived from the key's extension when read back, because the local filesystem
//! keeps no object attributes.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path as ObjectPath;
use omni_ports::{MediaError, MediaObject, MediaStorePort};

/// An S3-compatible bucket.
#[derive(Clone)]
pub struct S3Config {
    /// Bucket name.
    pub bucket: String,
    /// Region (`us-east-1` for most S3-compatible servers).
    pub region: String,
    /// Endpoint URL for non-AWS servers (MinIO, R2, Wasabi); `None` for AWS.
    pub endpoint: Option<String>,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Allow a plain-HTTP endpoint (a local MinIO).
    pub allow_http: bool,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// Media kept in an object store.
#[derive(Clone)]
pub struct ObjectMediaStore {
    store: Arc<dyn ObjectStore>,
    description: String,
}

impl std::fmt::Debug for ObjectMediaStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectMediaStore")
            .field("store", &self.description)
            .finish()
    }
}

/// The store could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("media store: {0}")]
pub struct SetupError(String);

impl ObjectMediaStore {
    /// Files under `dir` (created when missing).
    ///
    /// # Errors
    /// When the directory cannot be created.
    pub fn local(dir: &Path) -> Result<Self, SetupError> {
        std::fs::create_dir_all(dir).map_err(|e| SetupError(format!("{}: {e}", dir.display())))?;
        let fs = LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| SetupError(format!("{}: {e}", dir.display())))?;
        Ok(Self {
            store: Arc::new(fs),
            description: format!("local:{}", dir.display()),
        })
    }

    /// An S3-compatible bucket.
    ///
    /// # Errors
    /// When the configuration is incomplete.
    pub fn s3(config: &S3Config) -> Result<Self, SetupError> {
        if config.bucket.trim().is_empty() || config.region.trim().is_empty() {
            return Err(SetupError("S3 needs a bucket and a region".into()));
        }
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            .with_access_key_id(&config.access_key_id)
            .with_secret_access_key(&config.secret_access_key)
            .with_allow_http(config.allow_http);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        let s3 = builder.build().map_err(|e| SetupError(e.to_string()))?;
        Ok(Self {
            store: Arc::new(s3),
            description: format!("s3:{}", config.bucket),
        })
    }

    /// In memory (tests).
    #[must_use]
    pub fn memory() -> Self {
        Self {
            store: Arc::new(InMemory::new()),
            description: "memory".into(),
        }
    }
}

/// Checks a key: relative, no empty, `.` or `..` segments, printable ASCII only.
fn object_path(key: &str) -> Result<ObjectPath, MediaError> {
    let ok = !key.is_empty()
        && key.len() <= 1024
        && !key.starts_with('/')
        && key
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.'));
    if !ok {
        return Err(MediaError::NotFound);
    }
    ObjectPath::parse(key).map_err(|_| MediaError::NotFound)
}

/// The content type of a key, from its extension.
#[must_use]
pub fn content_type_of(key: &str) -> &'static str {
    match key
        .rsplit('.')
        .next()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        Some("pdf") => "application/pdf",
        Some("ogg" | "opus") => "audio/ogg",
        Some("mp3") => "audio/mpeg",
        _ => "application/octet-stream",
    }
}

#[async_trait]
impl MediaStorePort for ObjectMediaStore {
    async fn put(&self, key: &str, object: MediaObject) -> Result<(), MediaError> {
        let path = object_path(key)
            .map_err(|_| MediaError::Unavailable(format!("invalid media key `{key}`").into()))?;
        self.store
            .put(&path, object.bytes.into())
            .await
            .map_err(|e| MediaError::Unavailable(Box::new(e)))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<MediaObject, MediaError> {
        let path = object_path(key)?;
        let got = match self.store.get(&path).await {
            Ok(g) => g,
            Err(object_store::Error::NotFound { .. }) => return Err(MediaError::NotFound),
            Err(e) => return Err(MediaError::Unavailable(Box::new(e))),
        };
        let bytes = got
            .bytes()
            .await
            .map_err(|e| MediaError::Unavailable(Box::new(e)))?;
        Ok(MediaObject {
            bytes: bytes.to_vec(),
            content_type: content_type_of(key).to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn round_trip(store: &ObjectMediaStore) {
        let key = "stores/s1/proofs/o1/wamid.ABC.png";
        let object = MediaObject {
            bytes: vec![0x89, b'P', b'N', b'G', 1, 2, 3],
            content_type: "image/png".into(),
        };
        store
            .put(key, object.clone())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let back = store.get(key).await.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, object);
        assert!(matches!(
            store.get("stores/s1/proofs/o1/other.png").await,
            Err(MediaError::NotFound)
        ));
        for bad in [
            "../etc/passwd",
            "/abs/x.png",
            "a//b.png",
            "a/./b.png",
            "a/b c.png",
            "",
        ] {
            assert!(
                matches!(store.get(bad).await, Err(MediaError::NotFound)),
                "{bad}"
            );
            assert!(
                matches!(
                    store.put(bad, object.clone()).await,
                    Err(MediaError::Unavailable(_))
                ),
                "{bad}"
            );
        }
    }

    #[tokio::test]
    async fn local_files_round_trip_and_stay_under_the_directory() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store =
            ObjectMediaStore::local(&dir.path().join("media")).unwrap_or_else(|e| panic!("{e}"));
        round_trip(&store).await;
        assert!(
            dir.path()
                .join("media/stores/s1/proofs/o1/wamid.ABC.png")
                .is_file(),
            "kept as a file under the media directory"
        );
    }

    #[tokio::test]
    async fn memory_round_trips() {
        round_trip(&ObjectMediaStore::memory()).await;
    }

    #[test]
    fn s3_needs_a_bucket_and_debug_hides_the_secret() {
        let config = S3Config {
            bucket: "proofs".into(),
            region: "us-east-1".into(),
            endpoint: Some("http://127.0.0.1:9000".into()),
            access_key_id: "AKIA".into(),
            secret_access_key: "very-secret-canary".into(),
            allow_http: true,
        };
        let store = ObjectMediaStore::s3(&config).unwrap_or_else(|e| panic!("{e}"));
        assert!(!format!("{store:?} {config:?}").contains("very-secret-canary"));
        let empty = S3Config {
            bucket: String::new(),
            ..config
        };
        assert!(ObjectMediaStore::s3(&empty).is_err());
    }
}
