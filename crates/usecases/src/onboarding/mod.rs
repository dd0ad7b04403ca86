//! Connecting WhatsApp numbers through Meta: the OAuth dialog (signed, single-use `state`)
//! and Embedded Signup both end in `Onboarding::connect`, which trusts nothing from the
//! browser: the token's own `debug_token` grants say which WABAs it covers, the numbers are
//! listed with that token, and browser-supplied ids are only accepted when they are among them.
//!
//! The `state` sent to Meta is `base64url(payload) "." base64url(HMAC-SHA256(payload))` with
//! `payload = nonce (32 bytes) ‖ owner id (16) ‖ store id (16) ‖ expiry (i64 BE seconds)`. The
//! MAC is checked before anything else; the nonce's hash is then consumed in the database in
//! one conditional update bound to the same owner and store, so a state is good once.
//!
//! The parts: [`service`] (settings, error, the service), [`state`] (starting a flow, the
//! state and the browser binding), [`connect`] (callback, Embedded Signup, connect) and
//! [`number`] (storing and verifying one number).

mod connect;
mod number;
mod service;
mod state;

pub use connect::{CallbackParams, ConnectOutcome, SignupHints};
pub use service::{Onboarding, OnboardingConfig, OnboardingError};
pub use state::FlowStart;
