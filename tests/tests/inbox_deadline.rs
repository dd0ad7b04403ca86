//! The inbox append against a database that stops answering without closing anything (a
//! frozen server, or a host that silently drops packets after a failover): a TCP proxy in
//! front of the real Postgres holds every byte while "frozen", so open connections and new
//! ones alike get no answer, exactly as their kernel would see it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use omni_ports::{InboxRepo, InboxState, NewInboxEvent, RepoError};
use omni_sql::{DbPool, DbTarget, SqlInboxRepo};
use omni_testkit::db::PgTestDb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A proxy to `upstream` that forwards nothing while `frozen` (what it read meanwhile is
/// delivered on thaw, as a stopped server's kernel buffers would be).
struct Proxy {
    addr: SocketAddr,
    frozen: Arc<AtomicBool>,
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    frozen: Arc<AtomicBool>,
) {
    let mut buf = vec![0_u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        while frozen.load(Ordering::Acquire) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("addr: {e}"));
        let frozen = Arc::new(AtomicBool::new(false));
        let shared = frozen.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    continue;
                };
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                tokio::spawn(pump(cr, sw, shared.clone()));
                tokio::spawn(pump(sr, cw, shared.clone()));
            }
        });
        Self { addr, frozen }
    }

    fn freeze(&self, on: bool) {
        self.frozen.store(on, Ordering::Release);
    }
}

/// A fresh test database, a proxy in front of its server, and the database's URL through the
/// proxy (None when Postgres is not there outside CI).
async fn proxied_db() -> Option<(PgTestDb, Proxy, String)> {
    let db = PgTestDb::create().await?;
    let DbTarget::Postgres(url) = db.central_target() else {
        unreachable!("a Postgres test database")
    };
    // postgres://user@host:port/db: the proxy takes host:port's place.
    let after_at = url.split('@').nth(1).unwrap_or_default();
    let host_port = after_at.split('/').next().unwrap_or_default().to_owned();
    let upstream = tokio::net::lookup_host(host_port.as_str())
        .await
        .unwrap_or_else(|e| panic!("resolve {host_port}: {e}"))
        .next()
        .unwrap_or_else(|| panic!("no address for {host_port}"));
    let proxy = Proxy::start(upstream).await;
    let proxied = url.replacen(&host_port, &proxy.addr.to_string(), 1);
    Some((db, proxy, proxied))
}

fn event(key: &str) -> NewInboxEvent {
    let mut e = NewInboxEvent::malformed(b"{}", "deadline test", Utc::now());
    e.dedupe_key = key.to_owned();
    e
}

/// Injected: the database stops answering (every byte held by the proxy) while the inbox
/// append keeps one connection of its own open; the append deadline is 2 s here (35 s in
/// service, past the server's 30 s statement timeout).
///
/// Must hold: an append on the open connection, and one that has to open a new connection,
/// each fail `Unavailable` at the deadline instead of waiting for the kernel; the connections
/// they held are closed and counted out (none leaks); once the database answers again the
/// next append goes through, and each event is stored once however the held bytes land.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_append_to_a_database_that_stops_answering_fails_at_the_deadline_and_recovers() {
    let Some((db, proxy, proxied)) = proxied_db().await else {
        return;
    };
    let pool = DbPool::new(&DbTarget::Postgres(proxied), 2, Duration::from_secs(1))
        .unwrap_or_else(|e| panic!("pool: {e}"));
    let deadline = Duration::from_secs(2);
    let repo = SqlInboxRepo::new(pool).with_append_deadline(deadline);

    let first = repo.append(&[event("k1")]).await;
    assert!(
        matches!(&first, Ok(o) if o.inserted == 1),
        "before: {first:?}"
    );
    assert_eq!(repo.append_connections(), 1, "one kept append connection");

    proxy.freeze(true);
    for key in ["k2", "k3"] {
        let started = Instant::now();
        let frozen = repo.append(&[event(key)]).await;
        let took = started.elapsed();
        assert!(
            matches!(frozen, Err(RepoError::Unavailable(_))),
            "{key}: {frozen:?}"
        );
        assert!(
            took >= deadline && took < deadline + Duration::from_secs(2),
            "{key}: gave up after {took:?}"
        );
        assert_eq!(
            repo.append_connections(),
            0,
            "{key}: the connection it held was closed and counted out"
        );
    }

    proxy.freeze(false);
    let after = repo.append(&[event("k4"), event("k2")]).await;
    assert!(
        matches!(&after, Ok(o) if o.inserted + o.duplicates == 2),
        "after: {after:?}"
    );
    // k3's held bytes may or may not have landed on thaw; every key is there at most once
    // (and k1, k2, k4 certainly).
    let stored = repo
        .list(InboxState::Dead, 10)
        .await
        .unwrap_or_else(|e| panic!("list: {e}"));
    let mut keys: Vec<String> = stored.iter().map(|e| e.dedupe_key.clone()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), stored.len(), "no key twice: {keys:?}");
    for key in ["k1", "k2", "k4"] {
        assert!(keys.iter().any(|k| k == key), "{key} stored: {keys:?}");
    }
    db.cleanup().await;
}

/// Injected: the database freezes (every byte held) while a pool of four has four idle
/// connections; each checkout step has a 1 s timeout.
///
/// Must hold: a checkout gives up within the wait timeout plus one step (2 s, checked at under
/// 3 s), not after each idle connection's health check in turn and a create (5 s); after the
/// thaw the pool hands out a working connection again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_against_a_frozen_database_is_bounded_as_a_whole() {
    let Some((db, proxy, proxied)) = proxied_db().await else {
        return;
    };
    let pool = DbPool::new(&DbTarget::Postgres(proxied), 4, Duration::from_secs(1))
        .unwrap_or_else(|e| panic!("pool: {e}"));
    // Four connections open at once, then all idle in the pool.
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(pool.get().await.unwrap_or_else(|e| panic!("get: {e}")));
    }
    drop(held);
    pool.ping().await.unwrap_or_else(|e| panic!("ping: {e}"));

    proxy.freeze(true);
    let started = Instant::now();
    let frozen = pool.get().await;
    let took = started.elapsed();
    assert!(
        matches!(frozen, Err(RepoError::Unavailable(_))),
        "{frozen:?}"
    );
    assert!(
        took < Duration::from_secs(3),
        "the checkout took {took:?} (each idle connection's check in turn?)"
    );

    proxy.freeze(false);
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        match pool.ping().await {
            Ok(()) => break,
            Err(e) if Instant::now() < until => {
                eprintln!("not yet back: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("the pool did not recover: {e}"),
        }
    }
    pool.close();
    db.cleanup().await;
}
