//! A query in flight when the database host goes dark without closing anything (a failover
//! that leaves old connections dangling, a dropped route): nothing comes back, not even a
//! TCP reset, so without a socket-level bound the query waits for the kernel's
//! retransmission timeout, about 15 minutes.
//!
//! The silence is real, not simulated in user space: the client runs in a network namespace
//! of its own, reaching the real Postgres through a relay whose listening socket is in that
//! namespace and whose upstream socket is in the host's. Setting the namespace's loopback
//! down makes every packet between the client and the relay vanish, as on a dead route.
//! Needs root (`ip netns`); elsewhere the test prints SKIPPED.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::AsFd;
use std::process::Command;
use std::time::{Duration, Instant};

use diesel_async::SimpleAsyncConnection;
use omni_sql::db::DbConn;
use omni_sql::{DbPool, DbTarget};
use omni_testkit::db::PgTestDb;

/// A network namespace with only a loopback device, removed on drop.
struct Netns {
    name: String,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip {args:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {args:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Netns {
    fn create() -> Result<Self, String> {
        let name = format!("omni-drop-{}", std::process::id());
        ip(&["netns", "add", &name])?;
        let ns = Self { name };
        ns.loopback(true)?;
        Ok(ns)
    }

    fn loopback(&self, up: bool) -> Result<(), String> {
        let state = if up { "up" } else { "down" };
        ip(&[
            "netns", "exec", &self.name, "ip", "link", "set", "lo", state,
        ])
    }

    /// Moves the calling thread into the namespace: sockets it opens from now on live there.
    fn enter(&self) {
        let file = std::fs::File::open(format!("/var/run/netns/{}", self.name))
            .unwrap_or_else(|e| panic!("open the namespace: {e}"));
        rustix::thread::move_into_link_name_space(
            file.as_fd(),
            Some(rustix::thread::LinkNameSpaceType::Network),
        )
        .unwrap_or_else(|e| panic!("setns: {e}"));
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = ip(&["netns", "del", &self.name]);
    }
}

/// Copies bytes one way until either side ends, then shuts both down.
fn pipe(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0_u8; 16 * 1024];
    while let Ok(n) = from.read(&mut buf) {
        if n == 0 || to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

/// Relays every connection accepted on `listener` (in the namespace) to `upstream` (dialled
/// from this host-namespace thread).
fn relay(listener: TcpListener, upstream: SocketAddr) {
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { return };
            let Ok(server) = TcpStream::connect(upstream) else {
                continue;
            };
            let (c2, s2) = match (client.try_clone(), server.try_clone()) {
                (Ok(c), Ok(s)) => (c, s),
                _ => continue,
            };
            std::thread::spawn(move || pipe(client, server));
            std::thread::spawn(move || pipe(s2, c2));
        }
    });
}

/// Injected: a pooled connection (the pool the workers use, with the service's own socket
/// settings, `omni_sql::tls::SOCKET_DEFAULTS`) has `SELECT pg_sleep(40)` in flight when its
/// route goes dark.
///
/// Must hold: the query fails within 40 s of the silence (the defaults close a socket 25 s
/// after the peer stops acknowledging keepalive probes) instead of waiting 15 minutes; once
/// the route is back the same pool answers again with a fresh connection.
#[test]
fn a_query_in_flight_when_the_database_host_goes_dark_fails_within_the_socket_timeout() {
    let host = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let Some(db) = host.block_on(PgTestDb::create()) else {
        return;
    };
    let ns = match Netns::create() {
        Ok(ns) => ns,
        Err(e) => {
            eprintln!("SKIPPED: no network namespace here ({e}); needs root and `ip netns`");
            host.block_on(db.cleanup());
            return;
        }
    };
    let DbTarget::Postgres(url) = db.central_target() else {
        unreachable!("a Postgres test database")
    };
    // postgres://user@host:port/db: the relay takes host:port's place.
    let host_port = url
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default()
        .to_owned();
    let upstream = host_port
        .to_socket_addrs()
        .unwrap_or_else(|e| panic!("resolve {host_port}: {e}"))
        .next()
        .unwrap_or_else(|| panic!("no address for {host_port}"));

    std::thread::scope(|scope| {
        let listener = scope
            .spawn(|| {
                ns.enter();
                TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"))
            })
            .join()
            .unwrap_or_else(|_| panic!("the listener thread panicked"));
        let relay_addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("addr: {e}"));
        relay(listener, upstream);
        let proxied = url.replacen(&host_port, &relay_addr.to_string(), 1);

        let client = scope.spawn(|| {
            ns.enter();
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("runtime: {e}"));
            rt.block_on(async {
                let pool = DbPool::new(&DbTarget::Postgres(proxied), 2, Duration::from_secs(5))
                    .unwrap_or_else(|e| panic!("pool: {e}"));
                pool.ping()
                    .await
                    .unwrap_or_else(|e| panic!("through the relay: {e}"));

                let mut conn = pool.get().await.unwrap_or_else(|e| panic!("get: {e}"));
                let in_flight = tokio::spawn(async move {
                    let DbConn::Pg(pg) = &mut conn else {
                        unreachable!("postgres")
                    };
                    let result = pg.batch_execute("SELECT pg_sleep(40)").await;
                    (result, Instant::now())
                });
                // Sent and acknowledged, now waiting for the answer.
                tokio::time::sleep(Duration::from_millis(500)).await;
                let dark = Instant::now();
                ns.loopback(false)
                    .unwrap_or_else(|e| panic!("route down: {e}"));
                let (result, ended) = tokio::time::timeout(Duration::from_secs(60), in_flight)
                    .await
                    .unwrap_or_else(|_| panic!("the query still waits a minute into the silence"))
                    .unwrap_or_else(|e| panic!("task: {e}"));
                let took = ended - dark;
                assert!(
                    result.is_err(),
                    "the query cannot have succeeded: {result:?}"
                );
                assert!(
                    took < Duration::from_secs(40),
                    "failed only {took:?} into the silence"
                );
                eprintln!("the in-flight query failed {took:?} into the silence: {result:?}");

                ns.loopback(true)
                    .unwrap_or_else(|e| panic!("route up: {e}"));
                let until = Instant::now() + Duration::from_secs(15);
                loop {
                    match pool.ping().await {
                        Ok(()) => break,
                        Err(e) if Instant::now() < until => {
                            eprintln!("not yet back: {e}");
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                        Err(e) => panic!("the pool did not recover: {e}"),
                    }
                }
            });
        });
        if let Err(panic) = client.join() {
            std::panic::resume_unwind(panic);
        }
    });
    drop(ns);
    host.block_on(db.cleanup());
}
