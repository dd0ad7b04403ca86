//! The port contract suites against the real SQL adapters: embedded SQLite (files in a
//! temporary directory) and Postgres (a fresh database per test; required under CI=true).
//! One test per rule and backend, e.g. `postgres::tenant::record_inbound`.

mod sqlite {
    omni_testkit::contract_tests!(omni_testkit::backends::Sqlite => central, tenant, commerce, concurrency, health, account_events, owner_auth, inbox, outbox, analytics, legacy);
}

mod postgres {
    omni_testkit::contract_tests!(omni_testkit::backends::Postgres => central, tenant, commerce, concurrency, health, account_events, owner_auth, inbox, outbox, analytics, legacy);
}
