//! The port contract suites run against the in-memory adapters, so every test that uses them
//! as stand-ins for the SQL adapters relies on the same documented behaviour. One test per
//! rule: `cargo test -p omni-tests --test contract_memory tenant::record_inbound`.

omni_testkit::contract_tests!(omni_testkit::backends::Memory => central, tenant, commerce, concurrency, health, account_events, owner_auth, inbox, outbox, analytics, legacy);
