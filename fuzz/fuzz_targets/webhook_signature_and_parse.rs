//! Target 1: `[flags, aux, body...]` → X-Hub-Signature-256 check (valid, rotated, uppercase,
//! padded, escaped-body, garbage or missing headers; bodies changed after signing) → when it
//! verifies, the handler's parse and inbox rows. Input layout and invariants: `omni_fuzz`
//! (fuzz/src/signature.rs, and fuzz/src/invariants.rs for the checks it shares).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| omni_fuzz::signature_and_parse(data));
