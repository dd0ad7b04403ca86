//! Who is calling: the app token, a business/user token, or nobody. Produces Meta's exact
//! errors for missing, unparseable, expired and revoked tokens, a bad `appsecret_proof`,
//! objects the token cannot see and missing permissions.

use super::Req;
use super::error::GraphErr;
use crate::state::{SimState, Token, TokenState};
use crate::util::hmac_sha256_hex;

/// An authenticated caller.
#[derive(Debug, Clone)]
pub(crate) enum Caller {
    /// `{app_id}|{app_secret}`.
    App,
    /// A business or user token.
    Token(Token),
}

impl Caller {
    /// The token, when it is not the app token.
    pub(crate) fn token(&self) -> Option<&Token> {
        match self {
            Self::App => None,
            Self::Token(t) => Some(t),
        }
    }
}

/// Checks one token value (also used for `fb_exchange_token`).
pub(crate) fn check_token(st: &SimState, value: &str) -> Result<Caller, GraphErr> {
    if value == st.app_token() {
        return Ok(Caller::App);
    }
    if let Some((app, _)) = value.split_once('|') {
        return Err(if app == st.config.app_id {
            GraphErr::new(400, 190, "Invalid OAuth access token signature.")
        } else {
            GraphErr::bad_token()
        });
    }
    let token = st.tokens.get(value).ok_or_else(GraphErr::bad_token)?;
    let now = st.now();
    match token.state(now) {
        TokenState::Valid => Ok(Caller::Token(token.clone())),
        TokenState::Revoked => Err(GraphErr::revoked_token()),
        TokenState::Expired => Err(GraphErr::expired_token(
            token.expires_at.unwrap_or(now),
            now,
        )),
    }
}

/// Authenticates the request's token.
pub(crate) fn authenticate(st: &SimState, r: &Req) -> Result<Caller, GraphErr> {
    let Some(value) = r.token.as_deref() else {
        return Err(GraphErr::new(
            400,
            104,
            "An access token is required to request this resource.",
        ));
    };
    let caller = check_token(st, value)?;
    if matches!(caller, Caller::Token(_)) {
        match r.param("appsecret_proof") {
            Some(proof) => {
                let expected = hmac_sha256_hex(st.config.app_secret.as_bytes(), value.as_bytes());
                if !proof.eq_ignore_ascii_case(&expected) {
                    return Err(GraphErr::new(
                        400,
                        100,
                        "Invalid appsecret_proof provided in the API argument",
                    )
                    .kind("GraphMethodException"));
                }
            }
            None if st.config.require_appsecret_proof => {
                return Err(GraphErr::new(
                    400,
                    100,
                    "API calls from the server require an appsecret_proof argument",
                ));
            }
            None => {}
        }
    }
    Ok(caller)
}

/// Authenticates and requires a token that covers `waba_id` and carries `scope`.
/// `id` is the object named in the path (for the "does not exist" message).
pub(crate) fn for_waba(
    st: &SimState,
    r: &Req,
    id: &str,
    waba_id: Option<&str>,
    scope: &str,
) -> Result<Token, GraphErr> {
    let caller = authenticate(st, r)?;
    let method = r.method.as_str();
    let token = caller
        .token()
        .filter(|t| waba_id.is_some_and(|w| t.covers(w)))
        .ok_or_else(|| GraphErr::no_object(method, id))?;
    if !token.has_scope(scope) {
        return Err(GraphErr::permission());
    }
    Ok(token.clone())
}

/// [`for_waba`] for the WABA owning phone number `id`.
pub(crate) fn for_number(st: &SimState, r: &Req, id: &str, scope: &str) -> Result<Token, GraphErr> {
    let waba = st.numbers.get(id).map(|n| n.waba_id.clone());
    for_waba(st, r, id, waba.as_deref(), scope)
}

/// [`for_waba`] for a WABA id in the path.
pub(crate) fn for_waba_id(
    st: &SimState,
    r: &Req,
    id: &str,
    scope: &str,
) -> Result<Token, GraphErr> {
    let known = st.wabas.contains_key(id).then_some(id);
    for_waba(st, r, id, known, scope)
}
