//! Target 2, `webhook_batch_walker`: any bytes straight into the parser, the shared parse and
//! row checks, and the batch walker's entry independence (a batch parses as the concatenation
//! of its one-entry batches).

use omni_meta_graph::webhook::parse_webhook;
use omni_ports::meta::webhook::WebhookBatch;
use serde_json::Value;

use crate::invariants::{check_parse_and_rows, has_float};
use crate::{MAX_BODY_BYTES, strict};

/// Target 2: any bytes straight into the parser (as if signed), then every check of the batch,
/// its events and their inbox rows, plus the batch-splitting equivalence.
pub fn batch_walker(data: &[u8]) {
    if data.len() > MAX_BODY_BYTES {
        return;
    }
    if let Some(batch) = check_parse_and_rows(data) {
        check_entries_are_independent(data, &batch);
    }
}

/// The batch walker treats entries independently: the batch's events and skips are exactly the
/// concatenation of those of one-entry batches built from each entry.
fn check_entries_are_independent(body: &[u8], batch: &WebhookBatch) {
    let Ok(Value::Object(root)) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let Some(entries) = root.get("entry").and_then(Value::as_array) else {
        return;
    };
    // Splitting re-serialises the entries, which moves some floats by an ulp (F1).
    if entries.len() < 2 || (!strict() && entries.iter().any(has_float)) {
        return;
    }
    let mut events = Vec::new();
    let mut skipped = 0;
    for entry in entries {
        let single = serde_json::json!({ "object": batch.object, "entry": [entry] });
        let Ok(one) = parse_webhook(single.to_string().as_bytes()) else {
            panic!("a one-entry batch of a valid batch was refused");
        };
        events.extend(one.events);
        skipped += one.skipped;
    }
    assert_eq!(
        skipped, batch.skipped,
        "skips differ when entries are split"
    );
    assert_eq!(events, batch.events, "events differ when entries are split");
}
