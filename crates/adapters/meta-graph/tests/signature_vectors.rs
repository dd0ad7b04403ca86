//! Published signature vectors: a real Meta delivery that pywa's test suite verifies
//! (`tests/test_server.py::test_webhook_updates_validator`; the app secret was reset after
//! publication), checked byte for byte.

use omni_meta_graph::webhook::{sign, verify_signature};

const PYWA_SECRET: &[u8] = b"1222e786b144d0e85b9f365372d93676";
const PYWA_BODY: &[u8] = br#"{"object":"whatsapp_business_account","entry":[{"id":"264937493375603","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550953877","phone_number_id":"277321005464405"},"contacts":[{"profile":{"name":"PyWa Tests"},"wa_id":"972544401243"}],"messages":[{"from":"972544401243","id":"wamid.HBgMOTcyNTQ0NDAxMjQzFQIAEhggM0RFQTNCMEEwRTY3QzUwODYzMDc4NjQ4QzM4ODAxM0YA","timestamp":"1730231903","text":{"body":"Hey there! I am using PyWa."},"type":"text"}]},"field":"messages"}]}]}"#;
const PYWA_SIGNATURE: &str =
    "sha256=54edfa1d7259e0eb13c677cc7d73d1b5c86cfa12433d19156e058ab9251bc441";

#[test]
fn the_delivery_pywa_verifies_verifies_here_too() {
    assert_eq!(sign(PYWA_SECRET, PYWA_BODY), PYWA_SIGNATURE);
    assert!(verify_signature(&[PYWA_SECRET], PYWA_BODY, Some(PYWA_SIGNATURE)).is_ok());
}

#[test]
fn the_same_delivery_fails_with_another_secret_or_one_changed_byte() {
    assert!(verify_signature(&[b"another-secret"], PYWA_BODY, Some(PYWA_SIGNATURE)).is_err());
    let mut body = PYWA_BODY.to_vec();
    let at = body.len() / 2;
    body[at] ^= 1;
    assert!(verify_signature(&[PYWA_SECRET], &body, Some(PYWA_SIGNATURE)).is_err());
    // During a secret rotation the old secret still verifies when listed second.
    assert!(
        verify_signature(
            &[b"new-secret", PYWA_SECRET],
            PYWA_BODY,
            Some(PYWA_SIGNATURE)
        )
        .is_ok()
    );
}
