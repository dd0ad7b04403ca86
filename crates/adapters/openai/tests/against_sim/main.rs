//! The agent and speech adapters against the simulator's OpenAI-compatible API over real
//! HTTP (`MetaSim::start`), one binary so the suite links once.

mod agent;
mod common;
mod speech;
