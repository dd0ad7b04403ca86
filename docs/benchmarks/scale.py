#!/usr/bin/env python3
"""Scale test: --stores stores (2,000), each with its own tenant database on one Postgres, one
`omniportal serve` with a tenant pool budget, and --messages webhooks (20,000) to random stores
at a steady --rate; checks that the server's Postgres connections stay within the budget, and
reconciles every message against the Meta simulator. Exits 1 when a check fails.

    python3 docs/benchmarks/scale.py                                 # 2,000 stores, 20,000 messages
    python3 docs/benchmarks/scale.py --stores 50 --messages 1000     # a short run to try it
    python3 docs/benchmarks/scale.py --cleanup-only scale_1234_5678  # drop what a run left behind

What it does (details in docs/benchmarks/SCALE.md):

1. `SHOW max_connections`: the budget `pool_size + ingest_committers + (max_open_tenant_pools
   + 2) x tenant_pool_size` (docs/operations.md, "Connection budget") plus --margin must fit
   under it, with the
   superuser reserve and the connections already open on the server (other work) left free.
2. A fresh central database `scale_<pid>_<n>` (tenant databases share the prefix), `meta-sim`
   (one WABA and number per store, one token for all), `owner create`, then per store
   `store create` (creates and migrates the tenant database), `store auto-reply`,
   `account add`, in --parallel worker threads each running the CLI processes one after
   another; every command is timed.
3. One `omniportal serve` with OMNI_DATABASE__POOL_SIZE, __TENANT_POOL_SIZE and
   __MAX_OPEN_TENANT_POOLS set (environment otherwise as crates/app/tests/support_processes).
4. --messages signed single-message webhooks, each from a new customer to a random store, at
   --rate per second (this script is Meta's sender; anything not a 200 is retried).
   Meanwhile every --sample-ms: `pg_stat_activity` (the server's connections to the test's
   databases, central and tenant separately, and the whole server's count); every 2 s the
   server's RSS and fds.
5. Waits until every customer has a reply at the simulator and the inbox and outbox are empty,
   stops the server and reconciles (soak_lib.reconcile; no process is killed here, so no
   duplicate is allowed). Ack latency, end-to-end reply latency (first delivery attempt ->
   the simulator accepting the reply) p50/p95/p99.
6. Drops every database with the run's prefix (DROP DATABASE .. WITH (FORCE), retried, then
   checked again), also after a failure or Ctrl-C; --keep-db keeps them.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak_lib as L  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stores", type=int, default=2000)
    ap.add_argument("--messages", type=int, default=20000)
    ap.add_argument("--rate", type=float, default=20, help="webhooks per second")
    ap.add_argument("--parallel", type=int, default=2, help="store-creating CLI workers")
    ap.add_argument("--pool-size", type=int, default=10, help="database.pool_size")
    ap.add_argument("--tenant-pool-size", type=int, default=2, help="database.tenant_pool_size")
    ap.add_argument("--max-open-tenant-pools", type=int, default=20,
                    help="database.max_open_tenant_pools")
    ap.add_argument("--ingest-committers", type=int, default=2,
                    help="pipeline.ingest_committers (each keeps a connection of its own)")
    ap.add_argument("--margin", type=int, default=0,
                    help="connections allowed over the documented budget before the check "
                         "fails (the budget already counts the committers' own connections "
                         "and two tenant pools' worth of turnover)")
    ap.add_argument("--sample-ms", type=int, default=250)
    ap.add_argument("--workers", type=int, default=32, help="concurrent webhook deliveries")
    ap.add_argument("--drain-timeout", type=float, default=1800)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--bin-dir")
    ap.add_argument("--work-dir", default="/tmp/omni-scale")
    ap.add_argument("--out", help="JSON result file (default WORK_DIR/scale-result.json)")
    ap.add_argument("--keep-db", action="store_true")
    ap.add_argument("--cleanup-only", metavar="PREFIX",
                    help="drop every database named PREFIX* and exit")
    L.add_pg_args(ap)
    return ap.parse_args()


def cleanup_prefix(pg, prefix):
    """Drops every database named prefix*; returns how many remain."""
    if not prefix or len(prefix) < 6:
        raise ValueError(f"refusing to drop databases by the prefix {prefix!r}")
    for round_ in range(3):
        dbs = pg.databases(prefix.replace("_", "\\_") + "%")
        if not dbs:
            return 0
        L.log(f"dropping {len(dbs)} database(s) named {prefix}* (round {round_ + 1})")
        failed = pg.drop_databases(dbs)
        for d, e in failed[:5]:
            L.log(f"could not drop {d}: {e}")
        pg.close_all()
    left = pg.databases(prefix.replace("_", "\\_") + "%")
    return len(left)


class Scale(L.World):
    def __init__(self, args):
        super().__init__(args, "scale")
        self.conn_samples = []
        self.proc_samples = []
        self.server = None
        # docs/operations.md, "Connection budget".
        self.budget = (args.pool_size + args.ingest_committers
                       + (args.max_open_tenant_pools + 2) * args.tenant_pool_size)

    # ------------------------------------------------------------------ budget

    def check_budget(self):
        a = self.args
        max_conn = int(self.pg.scalar("postgres", "SHOW max_connections"))
        reserved = int(self.pg.scalar("postgres", "SHOW superuser_reserved_connections"))
        in_use = self.pg.count("postgres", "SELECT count(*) FROM pg_stat_activity WHERE "
                                           "backend_type = 'client backend'")
        need = self.budget + a.margin
        free = max_conn - reserved - in_use
        info = {"max_connections": max_conn, "superuser_reserved": reserved,
                "client_connections_before": in_use, "budget": self.budget,
                "margin": a.margin, "free_before": free}
        L.log(f"connection budget {a.pool_size} + {a.ingest_committers} + "
              f"({a.max_open_tenant_pools} + 2) x {a.tenant_pool_size} = {self.budget} "
              f"(+{a.margin}); max_connections {max_conn}, "
              f"reserved {reserved}, in use now {in_use}")
        if need + 5 > free:
            raise SystemExit(f"the budget {need} does not fit: {free} connections free under "
                             f"max_connections {max_conn}; lower --max-open-tenant-pools")
        return info

    # ------------------------------------------------------------------ setup

    def setup(self, bin_dir):
        a = self.args
        numbers = [("10654%010d" % (i + 1), "10229%010d" % (i + 1), "9231%08d" % (i + 1))
                   for i in range(a.stores)]
        token = self.start_world(bin_dir, numbers, "scale@example.pk", "scale-password-123")

        # Stores through the CLI, --parallel at a time.
        self.stores = [None] * a.stores
        done = [0]
        lock = threading.Lock()
        t_setup = time.time()

        def one(i):
            pnid, waba, display = numbers[i]
            name = f"Scale Store {i + 1}"
            reply = f"Shukriya! {name} jald jawab dega."
            # A failed `store create` may have left a store row: a retry makes a second store
            # with the same name (harmless here: it has no number).
            store_id, timing = L.retry(
                lambda: L.setup_store(bin_dir, self.env, "scale@example.pk", name, pnid, waba,
                                      "+" + display, token, reply), 3, 2, f"store {i + 1}")
            self.stores[i] = {"id": store_id, "name": name, "pnid": pnid, "waba": waba,
                              "display": display, "reply": reply, "timing": timing}
            with lock:
                done[0] += 1
                n = done[0]
            if n % 100 == 0 or n == a.stores:
                el = time.time() - t_setup
                L.log(f"{n}/{a.stores} stores created ({el:.0f}s, {n / el:.2f} stores/s)")

        with concurrent.futures.ThreadPoolExecutor(a.parallel) as ex:
            list(ex.map(one, range(a.stores)))
        self.setup_secs = time.time() - t_setup
        rows = self.pg.q(self.central, "SELECT id, tenant_database FROM stores")
        dbs = dict((r[0], r[1]) for r in rows)
        for st in self.stores:
            st["tenant_db"] = dbs[st["id"]]
        n_db = len(self.pg.databases(self.prefix.replace("_", "\\_") + "\\_t\\_%"))
        L.log(f"{a.stores} stores in {self.setup_secs:.0f}s; {n_db} tenant databases exist")
        if n_db < a.stores:
            self.problems.append(f"only {n_db} tenant databases for {a.stores} stores")

    # ------------------------------------------------------------------ samplers

    def conn_sampler(self):
        sql = ("SELECT count(*) FILTER (WHERE ours), "
               "count(*) FILTER (WHERE ours AND datname = '{c}'), "
               "count(*) FILTER (WHERE ours AND datname <> '{c}'), "
               "count(DISTINCT datname) FILTER (WHERE ours AND datname <> '{c}'), "
               "count(*) FILTER (WHERE backend_type = 'client backend'), "
               "count(*) FILTER (WHERE ours AND application_name = 'omniportal') "
               "FROM (SELECT *, (datname = '{c}' OR datname LIKE '{p}\\_t\\_%') AND "
               "application_name NOT IN ('soak-driver', 'psql') AS ours "
               "FROM pg_stat_activity) a").format(c=self.central, p=self.prefix)
        conn = None
        period = self.args.sample_ms / 1000
        while not self.halt.is_set():
            t = time.time()
            try:
                if conn is None:
                    conn = self.pg.connect("postgres", app="soak-driver")
                r = conn.query(sql)[0]
                self.conn_samples.append((round(t - self.t_load, 2), *[int(x) for x in r]))
            except Exception as e:  # noqa: BLE001
                L.log(f"pg_stat_activity sample failed: {e}")
                conn = None
            self.halt.wait(max(0.0, period - (time.time() - t)))
        if conn:
            conn.close()

    def proc_sampler(self):
        cpu0 = None
        while not self.halt.wait(2):
            s = self.server
            if s is None or not s.alive():
                continue
            st = L.proc_status(s.pid)
            cpu = L.cpu_seconds(s.pid)
            now = time.time()
            cores = None
            if cpu0 and cpu is not None:
                cores = round((cpu - cpu0[0]) / (now - cpu0[1]), 3)
            cpu0 = (cpu, now) if cpu is not None else None
            if st:
                self.proc_samples.append({"t": round(now - self.t_load, 1), **st,
                                          "cpu_cores": cores, "acked": self.load.acked,
                                          "replies": self.poller.count()})
            if len(self.proc_samples) % 15 == 0 and self.proc_samples:
                last = self.proc_samples[-1]
                cs = self.conn_samples[-1] if self.conn_samples else None
                L.log(f"t={last['t']:.0f}s sent {len(self.msgs)} acked {self.load.acked} "
                      f"replies {self.poller.count()} rss {last['rss_kb'] // 1024} MiB fds "
                      f"{last['fds']} pg ours {cs[1] if cs else '-'} (max so far "
                      f"{max((c[1] for c in self.conn_samples), default='-')})")

    def pacer(self):
        a = self.args
        t0 = time.time()
        tag = self.tag.upper().replace("_", "")
        for i in range(a.messages):
            if self.halt.is_set():
                return
            due = t0 + i / a.rate
            now = time.time()
            if due > now:
                time.sleep(due - now)
            si = self.rng.randrange(len(self.stores))
            st = self.stores[si]
            m = L.make_msg(i, tag, si, st)
            # As the soak does: a refused or timed-out call to the simulator is retried, so
            # one hiccup does not kill the pacer thread and end the traffic early.
            L.retry(lambda: self.sim.open_window(st["pnid"], m.wa_id), 20, 0.5,
                    "open window failed")
            self.msgs.append(m)
            self.load.submit(m)

    # ------------------------------------------------------------------ run

    def run(self, bin_dir):
        a = self.args
        budget_info = self.check_budget()
        self.setup(bin_dir)
        env = dict(self.env)
        env.update({"OMNI_DATABASE__POOL_SIZE": str(a.pool_size),
                    "OMNI_DATABASE__TENANT_POOL_SIZE": str(a.tenant_pool_size),
                    "OMNI_DATABASE__MAX_OPEN_TENANT_POOLS": str(a.max_open_tenant_pools),
                    "OMNI_PIPELINE__INGEST_COMMITTERS": str(a.ingest_committers)})
        self.server = L.Server(bin_dir, self.work, "server", L.free_port(), env)
        self.t_load = time.time()
        conn_thread = threading.Thread(target=self.conn_sampler, daemon=True)
        conn_thread.start()
        start_secs = self.server.start()
        L.log(f"server (pid {self.server.pid}) ready in {start_secs:.1f}s")
        self.poller = L.SentPoller(self.sim, every=3.0)
        self.poller.start()
        self.load = L.Load([self.server.url], workers=a.workers)
        threading.Thread(target=self.proc_sampler, daemon=True).start()
        t_traffic = time.time()
        pacer = threading.Thread(target=self.pacer, daemon=True)
        pacer.start()
        L.log(f"traffic: {a.messages} webhooks at {a.rate}/s over {a.stores} stores")
        pacer.join()
        t_sent = time.time()
        if not self.load.wait_idle(a.drain_timeout):
            self.problems.append("webhooks still unacknowledged after the drain timeout")
        self.load.close()
        t_acked = time.time()
        L.log(f"all {len(self.msgs)} webhooks acknowledged; waiting until quiet")
        quiet, drain_secs, state = L.wait_quiet(self.pg, self.central, self.poller, self.msgs,
                                                self.stores, a.drain_timeout)
        t_quiet = time.time()
        if not quiet:
            self.problems.append(f"not quiet after {a.drain_timeout}s: {state}")
        code, _ = self.server.stop(60)
        if code != 0:
            self.problems.append(f"server exited {code} on SIGTERM")
        self.halt.set()
        conn_thread.join(5)
        self.poller.stop()
        self.pg.close_all()
        rec = L.reconcile(self.pg, self.central, self.stores, self.msgs, self.poller, set())
        return self.report(rec, budget_info, t_traffic, t_sent, t_acked, t_quiet, quiet)

    def report(self, rec, budget_info, t_traffic, t_sent, t_acked, t_quiet, quiet):
        a = self.args
        ours = [c[1] for c in self.conn_samples]
        central = [c[2] for c in self.conn_samples]
        tenant = [c[3] for c in self.conn_samples]
        tenant_dbs = [c[4] for c in self.conn_samples]
        everyone = [c[5] for c in self.conn_samples]
        limit = self.budget + a.margin
        over_budget = [c for c in self.conn_samples if c[1] > self.budget]
        over_limit = [c for c in self.conn_samples if c[1] > limit]
        if over_limit:
            self.problems.append(f"{len(over_limit)} sample(s) over budget + margin ({limit}); "
                                 f"max {max(ours)}")
        acks = [m.ack_latency for m in self.msgs if m.ack_latency is not None]
        e2e = L.e2e_latencies(self.msgs, self.stores, self.poller)
        replies_at = sorted(r["at"] for r in self.poller.seen.values())
        setup_t = {k: [s["timing"][k] for s in self.stores] for k in
                   ("create", "auto_reply", "account_add")}
        rss = [p["rss_kb"] / 1024 for p in self.proc_samples]
        fds = [p["fds"] for p in self.proc_samples]
        statuses = self.load.status_counts()
        problems = self.problems + rec["problems"]
        traffic = t_sent - t_traffic
        stores_used = len({m.store for m in self.msgs})
        result = {
            **self.result_head(rec, quiet),
            "budget": {**budget_info, "limit_checked": limit,
                       "max_ours": max(ours) if ours else None,
                       "samples": len(ours),
                       "samples_over_budget": len(over_budget),
                       "samples_over_limit": len(over_limit),
                       "ours": L.summary(ours, 1, 1),
                       "central": L.summary(central, 1, 1),
                       "tenant": L.summary(tenant, 1, 1),
                       "tenant_databases_connected": L.summary(tenant_dbs, 1, 1),
                       "whole_server_client_backends": L.summary(everyone, 1, 1)},
            "store_setup": {"stores": a.stores, "parallel": a.parallel,
                            "wall_secs": round(self.setup_secs, 1),
                            "stores_per_sec": round(a.stores / self.setup_secs, 3),
                            "store_create_ms": L.summary(setup_t["create"], 1000, 0),
                            "auto_reply_ms": L.summary(setup_t["auto_reply"], 1000, 0),
                            "account_add_ms": L.summary(setup_t["account_add"], 1000, 0)},
            "traffic": {"messages": len(self.msgs), "stores_hit": stores_used,
                        "rate_target": a.rate,
                        "send_secs": round(traffic, 1),
                        "rate_sent": round(len(self.msgs) / traffic, 2),
                        "ack_done_secs": round(t_acked - t_traffic, 1),
                        "quiet_secs": round(t_quiet - t_traffic, 1),
                        "replies_per_sec_overall": (round(len(replies_at) / (replies_at[-1] - t_traffic), 2)
                                                    if replies_at else None),
                        "attempts": len(self.load.attempts), "attempt_statuses": statuses},
            "ack_latency_ms": L.summary(acks, 1000, 2),
            "e2e_reply_latency_ms": L.summary(e2e, 1000, 1),
            "ack_latency_per_minute": L.per_minute_latency(self.load.attempts, t_traffic),
            "e2e_reply_latency_per_minute": L.e2e_per_minute(self.msgs, self.stores,
                                                             self.poller, t_traffic),
            "server_rss_mib": L.summary(rss, 1, 1),
            "server_rss_first_last_mib": [round(rss[0], 1), round(rss[-1], 1)] if rss else None,
            "server_fds": L.summary(fds, 1, 0),
            "reconciliation": rec,
            "server_log_warnings": L.scan_logs([self.server.log_path]),
            "problems": problems[:500],
            "conn_samples_cols": ["t", "ours", "central", "tenant", "tenant_dbs",
                                  "client_backends_all", "ours_app_omniportal"],
            "conn_samples": self.conn_samples[::max(1, len(self.conn_samples) // 4000)],
            "proc_samples": self.proc_samples,
        }
        out = self.write_result(result, "scale-result.json")
        self.print_summary(result, out)
        return result

    def print_summary(self, r, out):
        b, s, t, rc = r["budget"], r["store_setup"], r["traffic"], r["reconciliation"]
        print()
        print(f"## Scale: {s['stores']} stores, {t['messages']:,} messages at {t['rate_target']}/s")
        print()
        print(f"- store setup through the CLI ({s['parallel']} in parallel): {s['wall_secs']} s, "
              f"{s['stores_per_sec']} stores/s; `store create` p50 {s['store_create_ms'].get('p50')} ms "
              f"p95 {s['store_create_ms'].get('p95')} ms; `auto-reply` p50 "
              f"{s['auto_reply_ms'].get('p50')} ms; `account add` p50 {s['account_add_ms'].get('p50')} ms")
        print(f"- connections (server's, {b['samples']} samples every {r['settings']['sample_ms']} "
              f"ms): max {b['max_ours']} (central max {b['central'].get('max')}, tenant max "
              f"{b['tenant'].get('max')}, tenant databases connected max "
              f"{b['tenant_databases_connected'].get('max')}); budget {b['budget']}, checked "
              f"limit {b['limit_checked']}; samples over the budget {b['samples_over_budget']}, "
              f"over the limit {b['samples_over_limit']}; whole server max "
              f"{b['whole_server_client_backends'].get('max')} of {b['max_connections']}")
        al, e = r["ack_latency_ms"], r["e2e_reply_latency_ms"]
        print(f"- traffic: sent in {t['send_secs']} s ({t['rate_sent']}/s), {t['stores_hit']} "
              f"stores hit, all acknowledged at +{t['ack_done_secs']} s, quiet at "
              f"+{t['quiet_secs']} s; statuses {t['attempt_statuses']}")
        print(f"- ack latency: p50 {al.get('p50')} ms, p95 {al.get('p95')} ms, p99 {al.get('p99')} ms, "
              f"max {al.get('max')} ms")
        print(f"- reply latency (first try -> accepted at Meta): p50 {e.get('p50')} ms, p95 "
              f"{e.get('p95')} ms, p99 {e.get('p99')} ms, max {e.get('max')} ms")
        print(f"- server RSS MiB {r['server_rss_mib']}, fds {r['server_fds']}")
        print(f"- reconciliation: {'OK' if rc['ok'] else 'FAILED'}: inbox {rc['inbox_states']}, "
              f"tenant inbound {rc['tenant_inbound_rows']} (handled {rc['tenant_handled']}), "
              f"outbox {rc['outbox_states']}, replies at Meta {rc['replies_at_sim']} for "
              f"{rc['customers_answered']} customers, duplicates {rc['duplicate_replies']}")
        self.print_outcome(r, out)

    def cleanup(self, keep):
        self.stop_world([self.server] if self.server else [])
        if keep:
            L.log(f"databases kept: {self.prefix}* (drop them with --cleanup-only {self.prefix})")
            return 0
        t0 = time.time()
        left = cleanup_prefix(self.pg, self.prefix)
        L.log(f"cleanup took {time.time() - t0:.0f}s; {left} database(s) left")
        return left


def main():
    args = parse_args()
    if args.cleanup_only:
        left = cleanup_prefix(L.PgServer(args.pg_host, args.pg_port, args.pg_user),
                              args.cleanup_only)
        sys.exit(0 if left == 0 else 1)
    bin_dir = L.build(ROOT, args.bin_dir)
    scale = Scale(args)

    def on_term(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_term)
    result = None
    left = 0
    try:
        result = scale.run(bin_dir)
    except KeyboardInterrupt as e:
        L.log(f"interrupted: {e}")
    finally:
        left = scale.cleanup(args.keep_db)
        if result is not None:
            result["cleanup_databases_left"] = left
            scale.write_result(result, "scale-result.json")
    sys.exit(0 if result and result["ok"] and left == 0 else 1)


if __name__ == "__main__":
    main()
