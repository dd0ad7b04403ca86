//! Target 2: any bytes as a (signed) webhook body → `parse_webhook` (entries, changes,
//! messages, statuses) → `NewInboxEvent::from_event` for each event. Invariants: `omni_fuzz`
//! (fuzz/src/batch_walker.rs, and fuzz/src/invariants.rs for the checks it shares).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| omni_fuzz::batch_walker(data));
