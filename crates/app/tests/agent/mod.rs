//! The ordering agent end to end, in process: a customer (the Meta simulator sending signed
//! webhooks) orders from a restaurant; the agent (rule-based, or the model through the
//! simulator's OpenAI-compatible API) answers through the outbox; the owner runs the order and
//! the payment verification through the owner API. Postgres unless a test says otherwise.

mod kitchen;
mod model;
mod ordering;
mod payments;
mod redelivery;
mod voice;
