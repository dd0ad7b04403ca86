//! Login attempts per minute, counted separately per email and per client address (governor's
//! keyed GCRA limiter), so guessing one owner's password and spraying many owners from one
//! address are both slowed down.
//!
//! Behind a reverse proxy every request comes from the proxy's address, so one bucket would
//! be shared by every owner: a few wrong passwords anywhere would lock everyone out for a
//! minute. The client's address is therefore taken from `X-Forwarded-For` when, and only
//! when, the peer is one of `server.trusted_proxies`: the rightmost entry that is not itself
//! a trusted proxy (what the client put there cannot shift that entry, since each trusted hop
//! appends the address it saw).

use std::net::IpAddr;
use std::num::NonZeroU32;

use actix_web::HttpRequest;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` is believed (`server.trusted_proxies`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses and CIDR blocks ("10.0.0.0/8, 127.0.0.1");
    /// empty means none.
    ///
    /// # Errors
    /// Names the entry that is neither an address nor a block.
    pub fn parse(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{s:?} is neither an IP address nor a CIDR block"))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Self)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the peer's, or behind trusted proxies the rightmost
    /// `X-Forwarded-For` entry that is not a trusted proxy. An unparsable entry stops the walk
    /// at the hop before it (nothing left of it can be believed).
    #[must_use]
    pub fn client_ip(&self, peer: Option<IpAddr>, forwarded_for: &[&str]) -> Option<IpAddr> {
        let mut client = peer?;
        if !self.trusts(client) {
            return Some(client);
        }
        for entry in forwarded_for
            .iter()
            .rev()
            .flat_map(|h| h.rsplit(','))
            .map(str::trim)
        {
            let Ok(ip) = entry.parse::<IpAddr>() else {
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        Some(client)
    }
}

/// Keys kept before stale ones are dropped.
const MAX_KEYS: usize = 10_000;

/// A per-email and per-address login limiter.
pub struct LoginLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    proxies: TrustedProxies,
}

impl std::fmt::Debug for LoginLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginLimiter")
    }
}

impl LoginLimiter {
    /// `per_minute` attempts per key per minute (at least one); client addresses read through
    /// `proxies`.
    #[must_use]
    pub fn new(per_minute: u32, proxies: TrustedProxies) -> Self {
        let n = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            limiter: RateLimiter::keyed(Quota::per_minute(n)),
            proxies,
        }
    }

    /// The address a request's attempts are counted under (see the module header).
    #[must_use]
    pub fn client_address(&self, req: &HttpRequest) -> String {
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .collect();
        self.proxies
            .client_ip(req.peer_addr().map(|a| a.ip()), &forwarded)
            .map(|ip| ip.to_string())
            .unwrap_or_default()
    }

    /// Counts an attempt for the email and the address; `false` when either is over its quota.
    #[must_use]
    pub fn check(&self, email: &str, address: &str) -> bool {
        if self.limiter.len() > MAX_KEYS {
            self.limiter.retain_recent();
        }
        let email_ok = self
            .limiter
            .check_key(&format!("email:{}", email.trim().to_lowercase()))
            .is_ok();
        let address_ok = self.limiter.check_key(&format!("addr:{address}")).is_ok();
        email_ok && address_ok
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
