//! Login attempts, counted so that guessing is slow, a flood of junk cannot grow memory, and an
//! attacker cannot lock an owner out of their own account.
//!
//! Four buckets (governor's GCRA, each in a bounded LRU store):
//! - **client address** (`login_attempts_per_minute`, IPv6 counted per /64): checked first; a
//!   refused attempt records nothing else.
//! - **email** (`login_attempts_per_minute`): every client without a trusted-device cookie for
//!   that email shares it, so guessing one owner's password from many addresses stays slow.
//! - **rescue** (one attempt per five minutes per email and client address): when the email's
//!   bucket is empty, a client that has not used its rescue still gets its attempt, so an
//!   attacker who empties an owner's email bucket from elsewhere does not lock the owner out.
//! - **trusted device** (`login_attempts_per_minute`): a browser that logged in successfully
//!   gets a signed `omni_device` cookie for that email (see [`DeviceCookie`]); with it the
//!   email and rescue buckets do not apply.
//!
//! Keys are fixed-size digests (a per-process keyed SipHash of the normalised email, the
//! address as 128 bits), never the strings the client sent, and each store keeps at most
//! [`MAX_KEYS`] of them (least recently used out first), so the limiter's memory is bounded
//! whatever arrives: about 100 bytes a key.
//!
//! Behind a reverse proxy every request comes from the proxy's address, so one bucket would
//! be shared by every owner: a few wrong passwords anywhere would lock everyone out for a
//! minute. The client's address is therefore taken from `X-Forwarded-For` when, and only
//! when, the peer is one of `server.trusted_proxies`: the rightmost entry that is not itself
//! a trusted proxy (what the client put there cannot shift that entry, since each trusted hop
//! appends the address it saw).

use std::hash::{BuildHasher as _, RandomState};
use std::net::IpAddr;
use std::num::{NonZeroU32, NonZeroUsize};
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::HttpRequest;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use governor::clock::DefaultClock;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed, StateStore};
use governor::{Quota, RateLimiter};
use lru::LruCache;
use omni_ports::SecretTokens;

pub use crate::settings::TrustedProxies;

/// Keys each bucket keeps, least recently used dropped first (about 2 MB a bucket at most).
pub const MAX_KEYS: usize = 20_000;

/// How long a rescue attempt takes to come back.
const RESCUE_PERIOD: std::time::Duration = std::time::Duration::from_secs(300);

/// A bucket's key: digests and addresses, never a client's string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Addr(u128),
    Email(u64),
    Rescue(u64, u128),
    Device(u64, u64),
}

/// governor's state store on a bounded LRU map: the crate's own stores grow with every new
/// key until pruned, and pruning keeps every key still counting down, so unique keys sent
/// faster than they expire grew them without bound.
#[derive(Clone)]
struct LruStore(Arc<Mutex<LruCache<Key, InMemoryState>>>);

impl LruStore {
    fn new() -> Self {
        let cap = NonZeroUsize::new(MAX_KEYS).unwrap_or(NonZeroUsize::MIN);
        Self(Arc::new(Mutex::new(LruCache::new(cap))))
    }

    fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

impl StateStore for LruStore {
    type Key = Key;

    fn measure_and_replace<T, F, E>(&self, key: &Key, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.get_or_insert(*key, InMemoryState::default)
            .measure_and_replace(&NotKeyed::NonKey, f)
    }
}

/// One GCRA limiter and the store it counts in (kept to measure it).
struct Bucket {
    limiter: RateLimiter<Key, LruStore, DefaultClock>,
    store: LruStore,
}

impl Bucket {
    fn new(quota: Quota) -> Self {
        let store = LruStore::new();
        Self {
            limiter: RateLimiter::new(quota, store.clone(), DefaultClock::default()),
            store,
        }
    }

    /// Counts an attempt under `key`; `false` when over the quota.
    fn admits(&self, key: Key) -> bool {
        self.limiter.check_key(&key).is_ok()
    }
}

/// The email as it is counted and signed: trimmed, lower case.
fn normalised(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The per-email, per-address, rescue and trusted-device login limiter (module header).
pub struct LoginLimiter {
    addr: Bucket,
    email: Bucket,
    rescue: Bucket,
    device: Bucket,
    hasher: RandomState,
    proxies: TrustedProxies,
}

impl std::fmt::Debug for LoginLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginLimiter")
    }
}

/// A client address as a bucket key: IPv4 as is, IPv6 by its /64 (one subscriber's block).
fn address_key(ip: Option<IpAddr>) -> u128 {
    match ip {
        None => 0,
        Some(IpAddr::V4(v4)) => u128::from(v4.to_ipv6_mapped()),
        Some(IpAddr::V6(v6)) => u128::from(v6) & !u128::from(u64::MAX),
    }
}

impl LoginLimiter {
    /// `per_minute` attempts per key per minute (at least one); client addresses read through
    /// `proxies`.
    #[must_use]
    pub fn new(per_minute: u32, proxies: TrustedProxies) -> Self {
        let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let rescue = Quota::with_period(RESCUE_PERIOD).unwrap_or(Quota::per_hour(NonZeroU32::MIN));
        Self {
            addr: Bucket::new(Quota::per_minute(n)),
            email: Bucket::new(Quota::per_minute(n)),
            rescue: Bucket::new(rescue),
            device: Bucket::new(Quota::per_minute(n)),
            hasher: RandomState::new(),
            proxies,
        }
    }

    /// The address a request's attempts are counted under (see the module header).
    #[must_use]
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .collect();
        self.proxies
            .client_ip(req.peer_addr().map(|a| a.ip()), &forwarded)
    }

    fn email_key(&self, email: &str) -> u64 {
        self.hasher.hash_one(normalised(email))
    }

    /// Counts an attempt; `false` when it is refused. The address is checked first and a
    /// refusal there records nothing about the email. `device` is the id of a verified
    /// trusted-device cookie for this email ([`DeviceCookie::verify`]).
    #[must_use]
    pub fn check(&self, email: &str, ip: Option<IpAddr>, device: Option<u64>) -> bool {
        let addr = address_key(ip);
        if !self.addr.admits(Key::Addr(addr)) {
            return false;
        }
        let email = self.email_key(email);
        match device {
            Some(device) => self.device.admits(Key::Device(email, device)),
            None => {
                self.email.admits(Key::Email(email)) || self.rescue.admits(Key::Rescue(email, addr))
            }
        }
    }

    /// Keys held, over all buckets (for tests and the memory bound).
    #[must_use]
    pub fn keys(&self) -> usize {
        [&self.addr, &self.email, &self.rescue, &self.device]
            .iter()
            .map(|b| b.store.len())
            .sum()
    }
}

/// The trusted-device cookie a successful login sets: `base64url(id[16] || tag)`, where the
/// tag is the server's MAC (`SecretTokens::sign`, keyed from APP_KEY, so it survives restarts
/// and holds across replicas) over the normalised email and the id. It says "this browser
/// logged in as this email before"; it grants nothing but a way round the shared email bucket.
#[derive(Debug)]
pub struct DeviceCookie;

impl DeviceCookie {
    /// The cookie's name.
    pub const NAME: &'static str = "omni_device";
    /// How long a device stays trusted.
    pub const MAX_AGE_DAYS: i64 = 180;

    fn message(email: &str, id: &[u8]) -> Vec<u8> {
        let mut m = b"omni login device\0".to_vec();
        m.extend_from_slice(normalised(email).as_bytes());
        m.push(0);
        m.extend_from_slice(id);
        m
    }

    /// A new cookie value for `email`, `None` without randomness.
    #[must_use]
    pub fn issue(tokens: &dyn SecretTokens, email: &str) -> Option<String> {
        let id = tokens.random_bytes(16).ok()?;
        let mut value = id.clone();
        value.extend_from_slice(&tokens.sign(&Self::message(email, &id)));
        Some(URL_SAFE_NO_PAD.encode(value))
    }

    /// The device id (a digest of it) when `value` is a cookie this server issued for `email`.
    #[must_use]
    pub fn verify(tokens: &dyn SecretTokens, email: &str, value: &str) -> Option<u64> {
        if value.len() > 128 {
            return None;
        }
        let raw = URL_SAFE_NO_PAD.decode(value).ok()?;
        if raw.len() <= 16 {
            return None;
        }
        let (id, tag) = raw.split_at(16);
        tokens
            .verify(&Self::message(email, id), tag)
            .then(|| u64::from_be_bytes(id[..8].try_into().unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    #[test]
    fn the_peer_counts_unless_it_is_a_trusted_proxy() {
        let none = TrustedProxies::default();
        let nginx =
            TrustedProxies::parse("10.0.0.0/8, 127.0.0.1").unwrap_or_else(|e| panic!("{e}"));
        // No trust: a client's own header is ignored.
        assert_eq!(none.client_ip(ip("10.1.2.3"), &["1.2.3.4"]), ip("10.1.2.3"));
        // An untrusted peer's header is ignored too.
        assert_eq!(
            nginx.client_ip(ip("203.0.113.9"), &["1.2.3.4"]),
            ip("203.0.113.9")
        );
        // Behind the proxy: the address it appended.
        assert_eq!(
            nginx.client_ip(ip("10.1.2.3"), &["198.51.100.7"]),
            ip("198.51.100.7")
        );
        assert_eq!(
            nginx.client_ip(ip("127.0.0.1"), &["198.51.100.7"]),
            ip("198.51.100.7")
        );
        // No header from a trusted peer: the peer.
        assert_eq!(nginx.client_ip(ip("10.1.2.3"), &[]), ip("10.1.2.3"));
        assert_eq!(nginx.client_ip(None, &["1.2.3.4"]), None);
    }

    #[test]
    fn a_spoofed_entry_cannot_shift_the_client() {
        let nginx = TrustedProxies::parse("10.0.0.0/8").unwrap_or_else(|e| panic!("{e}"));
        // The client sent "X-Forwarded-For: 1.2.3.4"; nginx appended the real address.
        assert_eq!(
            nginx.client_ip(ip("10.0.0.5"), &["1.2.3.4, 198.51.100.7"]),
            ip("198.51.100.7")
        );
        // Two trusted hops (a load balancer, then nginx), across two header lines.
        assert_eq!(
            nginx.client_ip(ip("10.0.0.5"), &["1.2.3.4, 198.51.100.7", "10.9.9.9"]),
            ip("198.51.100.7")
        );
        // Garbage stops the walk at the last hop that could be read.
        assert_eq!(
            nginx.client_ip(ip("10.0.0.5"), &["198.51.100.7, nonsense, 10.9.9.9"]),
            ip("10.9.9.9")
        );
        // Every hop trusted: the leftmost.
        assert_eq!(
            nginx.client_ip(ip("10.0.0.5"), &["10.7.7.7, 10.9.9.9"]),
            ip("10.7.7.7")
        );
    }

    fn limiter(n: u32) -> LoginLimiter {
        LoginLimiter::new(n, TrustedProxies::default())
    }

    #[test]
    fn a_refused_address_records_nothing_about_the_email() {
        let l = limiter(2);
        let a = ip("203.0.113.1");
        assert!(l.check("a@x.pk", a, None));
        assert!(l.check("b@x.pk", a, None));
        let before = l.keys();
        // The address is spent: a thousand new emails from it add no key.
        for n in 0..1000 {
            assert!(!l.check(&format!("new{n}@x.pk"), a, None));
        }
        assert_eq!(l.keys(), before);
    }

    #[test]
    fn memory_is_bounded_whatever_the_keys() {
        let l = limiter(5);
        for n in 0..(3 * MAX_KEYS as u32) {
            let v4 = std::net::Ipv4Addr::from(0x0a00_0000 + n);
            let _ = l.check(&format!("{n}@x.pk"), Some(IpAddr::V4(v4)), None);
        }
        // 60,000 addresses and emails: each of the two buckets they touch stays at its cap
        // (an unbounded store would hold 120,000 keys here).
        assert_eq!(l.keys(), 2 * MAX_KEYS);
    }

    #[test]
    fn an_emptied_email_bucket_still_lets_a_new_client_try_once() {
        let l = limiter(3);
        // The attacker, from many addresses, empties the victim's email bucket.
        for n in 0..10u8 {
            let _ = l.check("victim@x.pk", ip(&format!("198.51.100.{n}")), None);
        }
        // .5 came after the bucket was spent: it used its rescue, and is refused now.
        assert!(!l.check("victim@x.pk", ip("198.51.100.5"), None));
        // The owner, from a new address: one attempt (the rescue), then refused.
        let owner = ip("192.0.2.50");
        assert!(l.check("victim@x.pk", owner, None));
        assert!(!l.check("victim@x.pk", owner, None));
        // From a trusted device the email bucket does not apply.
        assert!(l.check("victim@x.pk", owner, Some(7)));
        // The same /64 is one client.
        let v6a = ip("2001:db8:1:2::1");
        let v6b = ip("2001:db8:1:2::ffff");
        assert!(l.check("other@x.pk", v6a, None));
        assert!(l.check("other@x.pk", v6b, None));
        assert!(l.check("other@x.pk", v6a, None));
        assert!(!l.check("third@x.pk", v6b, None), "the /64 has spent its 3");
    }

    #[test]
    fn bad_entries_are_named() {
        assert_eq!(TrustedProxies::parse(" , "), Ok(TrustedProxies::default()));
        let err = TrustedProxies::parse("10.0.0.0/8, nginx")
            .err()
            .unwrap_or_default();
        assert!(err.contains("\"nginx\""), "{err}");
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
        assert!(TrustedProxies::parse("::1, fd00::/8").is_ok());
    }
}
