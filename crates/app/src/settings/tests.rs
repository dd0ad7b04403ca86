//! Loading, defaults and every validation rule of the settings.

use super::*;

fn load(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    Settings::load_from(None, &vars)
}

#[test]
fn no_configuration_means_sqlite_under_data_on_localhost_8080() {
    let s = load(&[]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((s.server.host.as_str(), s.server.port), ("127.0.0.1", 8080));
    assert_eq!(
        s.central_database().ok(),
        Some(CentralDatabase::Sqlite(PathBuf::from(
            "./data/central.sqlite"
        )))
    );
    assert_eq!(s.meta.graph_version, "v25.0");
    assert!(!s.meta_configured());
}

#[test]
fn seed_variable_names_are_honoured() {
    let s = load(&[
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omni"),
        ("APP_URL", "https://shop.example.pk"),
        ("META_APP_ID", "123"),
        ("META_APP_SECRET", "s3cret"),
        ("WHATSAPP_PHONE_ID", "106540352242922"),
        ("WHATSAPP_WEBHOOK_VERIFY_TOKEN", "verify-me"),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        s.central_database().ok(),
        Some(CentralDatabase::Postgres(
            "postgres://postgres@127.0.0.1:5432/omni".into()
        ))
    );
    assert_eq!(s.app.url.as_deref(), Some("https://shop.example.pk"));
    assert_eq!(
        s.meta
            .webhook_verify_token
            .as_ref()
            .map(|t| t.expose_secret().to_owned()),
        Some("verify-me".into())
    );
    assert!(s.meta_configured());
}

#[test]
fn the_graph_adapter_is_configured_from_the_meta_section() {
    assert!(
        load(&[])
            .map(|s| s.graph_config().is_none())
            .unwrap_or(false)
    );
    let s = load(&[
        ("META_APP_ID", "123"),
        ("META_APP_SECRET", "s3cret"),
        ("OMNI_META__GRAPH_BASE_URL", "http://127.0.0.1:9999"),
        ("OMNI_META__GRAPH_VERSION", "v26.0"),
        ("OMNI_META__TIMEOUT_SECS", "3"),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    let g = s
        .graph_config()
        .unwrap_or_else(|| panic!("no graph config"));
    assert_eq!(
        (
            g.app_id.as_str(),
            g.graph_base_url.as_str(),
            g.version.as_str()
        ),
        ("123", "http://127.0.0.1:9999", "v26.0")
    );
    assert_eq!(g.app_secret.expose_secret(), "s3cret");
    assert_eq!(g.timeout, std::time::Duration::from_secs(3));
    assert_eq!(g.dialog_base_url, "https://www.facebook.com");
}

#[test]
fn bad_settings_name_the_setting() {
    let cases = [
        (("DATABASE_URL", "mysql://x"), "DATABASE_URL"),
        (("APP_URL", "shop.example.pk"), "APP_URL"),
        (("META_APP_ID", "1"), "META_APP_SECRET"),
        (("WHATSAPP_PHONE_ID", "abc"), "WHATSAPP_PHONE_ID"),
        (("OMNI_META__GRAPH_VERSION", "25"), "meta.graph_version"),
        (
            ("OMNI_META__GRAPH_BASE_URL", "graph.facebook.com"),
            "meta.graph_base_url",
        ),
        (("OMNI_META__TIMEOUT_SECS", "0"), "meta.timeout_secs"),
        (("OMNI_SERVER__PORT", "abc"), "server.port"),
        (
            ("OMNI_SERVER__TRUSTED_PROXIES", "10.0.0.0/8, nginx"),
            "OMNI_SERVER__TRUSTED_PROXIES",
        ),
    ];
    for ((var, value), named) in cases {
        let err = load(&[(var, value)])
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains(named), "{var}={value}: {err}");
        assert!(!err.contains('\n'), "one line: {err}");
    }
}
