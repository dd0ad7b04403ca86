#!/usr/bin/env python3
"""Soak test: two `omniportal serve` processes on one Postgres under a steady webhook load for
--minutes, with a random fault every --fault-every minutes, then a reconciliation of the end
state against what the Meta simulator accepted. Exits 1 when reconciliation fails.

    python3 docs/benchmarks/soak.py                               # 30 minutes (builds first)
    python3 docs/benchmarks/soak.py --minutes 3 --fault-every 1   # a short run to try it

What it does (details in docs/benchmarks/SOAK.md):

1. `cargo build --release -p omni-app -p omni-meta-sim` (or --bin-dir), a fresh central
   database `soak_<pid>_<time>` (tenant databases with the same prefix), `meta-sim` without a
   webhook target, --stores stores each with one number, a simulator token and an
   auto-reply, all through the CLI (`owner create`, `store create`, `store auto-reply`,
   `account add`), and two `omniportal serve` with the environment of
   crates/app/tests/support_processes (short leases, 5 s Graph timeout, JSON logs).
2. The load: this script is Meta's webhook sender. --rate single-message webhooks a second,
   each from a new customer (whose 24-hour window it opens at the simulator first), stores
   round-robin, signed with HMAC-SHA256 of the app secret over the exact body, delivered
   round-robin to the two servers; any attempt that is not a 200 is retried on the other
   server (backoff 50 ms doubling to 800 ms), as Meta redelivers.
   The simulator's own sender is not used: it delivers to one URL, and the driver needs each
   attempt's latency, both servers and its own retry record.
3. Faults, one at a time, every --fault-every minutes (a number or a range "3-5", drawn at
   random; kinds in a shuffled cycle so each comes up): SIGKILL a server and restart it;
   SIGTERM a server and restart it; Meta 5xx, 429 with Retry-After, or latency on
   /messages for --meta-fault-secs (60) through the simulator's /_sim/faults; every Postgres
   connection of the test's databases terminated (pg_terminate_backend). At each SIGKILL the
   outbox rows `sending` under the killed process's lease are recorded: the documented window
   in which a reply may go out twice.
4. Every 10 s: each server's RSS and open fds (from /proc), our Postgres connections, inbox and
   outbox backlog; per minute: acknowledgement latency p50/p99.
5. The end: the load stops, every webhook is acknowledged, faults are cleared, the driver waits
   until every customer has a reply at the simulator and the inbox and outbox are empty, stops
   the servers (SIGTERM) and reconciles (soak_lib.reconcile): every acknowledged webhook stored
   once in its store's database, handled and answered by one stored reply whose wamid the
   simulator accepted; one `sent` outbox row per message; one `done` inbox row per message and
   nothing else; exactly one accepted reply per customer, except customers whose reply was
   `sending` under a killed process (each of those at most two). Writes the JSON result and
   prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak_lib as L  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
FAULT_KINDS = ["sigkill", "sigterm", "meta_5xx", "meta_429", "meta_latency", "pg_terminate"]


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--fault-every", default="3-5",
                    help="minutes between faults: N or A-B (random in the range)")
    ap.add_argument("--faults", default=",".join(FAULT_KINDS),
                    help="fault kinds to draw from (comma-separated)")
    ap.add_argument("--rate", type=float, default=30, help="webhooks per second")
    ap.add_argument("--stores", type=int, default=4)
    ap.add_argument("--meta-fault-secs", type=float, default=60)
    ap.add_argument("--retry-after", default="2,5,10,20",
                    help="Retry-After seconds of the 429 fault (one drawn per fault). Rate "
                         "limits do not use up the outbox's attempts (they are waited out up to "
                         "pipeline.outbox_rate_limited_max_age_secs), so short ones must not "
                         "park any reply")
    ap.add_argument("--min-gap", type=float, default=60,
                    help="seconds from the end of one fault to the start of the next at least, "
                         "so each fault is a separate incident (retries of one are not spent "
                         "by the next)")
    ap.add_argument("--latency-ms", default="500,1500,3000",
                    help="latency of the latency fault (one drawn per fault; keep it under "
                         "the 5 s Graph timeout, past it a send may be accepted twice)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--workers", type=int, default=32, help="concurrent webhook deliveries")
    ap.add_argument("--drain-timeout", type=float, default=600)
    ap.add_argument("--bin-dir", help="use these release binaries instead of building")
    ap.add_argument("--work-dir", default="/tmp/omni-soak")
    ap.add_argument("--out", help="JSON result file (default WORK_DIR/soak-result.json)")
    ap.add_argument("--keep-db", action="store_true", help="keep the databases afterwards")
    L.add_pg_args(ap)
    return ap.parse_args()


def interval_minutes(spec, rng):
    if "-" in spec:
        a, b = (float(x) for x in spec.split("-", 1))
        return rng.uniform(a, b)
    return float(spec)


class Soak(L.World):
    def __init__(self, args):
        super().__init__(args, "soak")
        self.faults = []
        self.kill_windows = set()
        self.samples = []
        self.servers = []
        self.unexpected_exits = []
        self.fault_lock = threading.Lock()  # held while a fault restarts a server
        self.t_load = None
        self.probes = []

    # ------------------------------------------------------------------ setup

    def setup(self, bin_dir):
        a = self.args
        numbers = [("1065403522%05d" % (i + 1), "1022901293%05d" % (i + 1),
                    "9230011%05d" % (i + 1)) for i in range(a.stores)]
        token = self.start_world(bin_dir, numbers, "soak@example.pk", "soak-password-123")
        for i, (pnid, waba, display) in enumerate(numbers):
            name = f"Soak Store {i + 1}"
            reply = f"Shukriya! {name} ne aap ka order le liya."
            store_id, timing = L.setup_store(bin_dir, self.env, "soak@example.pk", name, pnid,
                                             waba, "+" + display, token, reply)
            tenant_db = self.pg.scalar(self.central, "SELECT tenant_database FROM stores WHERE "
                                                     f"id = '{store_id}'")
            self.stores.append({"id": store_id, "name": name, "pnid": pnid, "waba": waba,
                                "display": display, "reply": reply, "tenant_db": tenant_db,
                                "setup_secs": timing})
        L.log(f"{len(self.stores)} stores set up through the CLI")
        ports = [L.free_port(), L.free_port()]
        for i, port in enumerate(ports):
            self.servers.append(L.Server(bin_dir, self.work, f"server-{i + 1}", port, self.env))
        for s in self.servers:
            secs = s.start()
            L.log(f"{s.name} (pid {s.pid}) ready on {s.url} in {secs:.1f}s")

    # ------------------------------------------------------------------ threads

    def pacer(self, until):
        """Creates and submits messages at --rate until `until` (or halt)."""
        rate = self.args.rate
        t0 = time.time()
        i = 0
        while not self.halt.is_set():
            due = t0 + i / rate
            now = time.time()
            if due > until:
                break
            if due > now:
                time.sleep(due - now)
            si = i % len(self.stores)
            st = self.stores[si]
            m = L.make_msg(i, self.tag.upper().replace("_", ""), si, st)
            L.retry(lambda: self.sim.open_window(st["pnid"], m.wa_id), 20, 0.5,
                    "open window failed")
            self.msgs.append(m)
            self.load.submit(m)
            i += 1

    def sampler(self):
        cpu_prev = {}
        while not self.halt.wait(10):
            self.sample(cpu_prev)

    def sample(self, cpu_prev=None):
        now = time.time()
        row = {"t": round(now - self.t_load, 1), "servers": {}}
        for s in self.servers:
            st = L.proc_status(s.pid) if s.alive() else None
            cpu = L.cpu_seconds(s.pid) if s.alive() else None
            key = (s.name, s.incarnation)
            cores = None
            if cpu is not None and cpu_prev is not None and key in cpu_prev:
                c0, t0 = cpu_prev[key]
                cores = round((cpu - c0) / max(now - t0, 0.001), 3)
            if cpu is not None and cpu_prev is not None:
                cpu_prev[key] = (cpu, now)
            row["servers"][s.name] = {"pid": s.pid, "incarnation": s.incarnation,
                                      "alive": s.alive(), **(st or {}), "cpu_cores": cores}
            if s.proc is not None and not s.alive() and not s.expected_exit \
                    and not self.fault_lock.locked():
                self.unexpected_exit(s)
        try:
            conns = self.pg.q("postgres",
                              "SELECT count(*) FILTER (WHERE datname = '%s' OR datname LIKE "
                              "'%s\\_t\\_%%'), count(*) FROM pg_stat_activity"
                              % (self.central, self.prefix))[0]
            row["pg_connections_ours"], row["pg_connections_all"] = int(conns[0]), int(conns[1])
            row["inbox_open"], row["outbox_open"] = L.open_counts(self.pg, self.central)
            row["outbox_sending"] = self.pg.count(
                self.central, "SELECT count(*) FROM outbox WHERE state = 'sending'")
        except Exception as e:  # noqa: BLE001
            row["db_error"] = str(e)[:200]
        row["acked"] = self.load.acked
        row["messages"] = len(self.msgs)
        row["replies_at_sim"] = self.poller.count()
        self.samples.append(row)
        srv = "; ".join(f"{n} rss {v.get('rss_kb', 0) // 1024 if v.get('rss_kb') else '-'} MiB "
                        f"fds {v.get('fds', '-')}" for n, v in row["servers"].items())
        L.log(f"t={row['t']:.0f}s sent {row['messages']} acked {row['acked']} replies "
              f"{row['replies_at_sim']} inbox {row.get('inbox_open')} outbox "
              f"{row.get('outbox_open')} pg {row.get('pg_connections_ours')}; {srv}")

    def prober(self):
        """GET /healthz on each live server every 0.5 s: a stalled process (its runtime not
        running for seconds) shows up as a slow or failed probe."""
        import urllib.request
        while not self.halt.wait(0.5):
            for s in self.servers:
                if not s.alive() or self.fault_lock.locked():
                    continue
                t0 = time.time()
                try:
                    with urllib.request.urlopen(s.url + "/healthz", timeout=15) as r:
                        r.read()
                        status = r.status
                except Exception as e:  # noqa: BLE001
                    status = type(e).__name__
                el = time.time() - t0
                if self.fault_lock.locked() or not s.alive():
                    continue
                self.probes.append((round(t0 - self.t_load, 2), s.name, s.incarnation,
                                    round(el, 4), status))
                if el > 1.0 or status != 200:
                    L.log(f"slow probe: {s.name} /healthz {status} in {el:.2f}s")

    def unexpected_exit(self, s):
        code = s.proc.returncode
        L.log(f"UNEXPECTED: {s.name} (pid {s.pid}) exited with {code}; restarting")
        self.unexpected_exits.append({"t": round(time.time() - self.t_load, 1),
                                      "server": s.name, "pid": s.pid, "code": code})
        self.problems.append(f"{s.name} (pid {s.pid}) exited on its own with {code}")
        with self.fault_lock:
            s.start()

    # ------------------------------------------------------------------ faults

    def leases_of(self, pid):
        tag = f"%:{pid}:%"
        rows = self.pg.q(self.central,
                         "SELECT (SELECT count(*) FROM outbox WHERE state = 'sending' AND "
                         f"lease_owner LIKE '{tag}'), (SELECT count(*) FROM webhook_inbox WHERE "
                         f"state = 'leased' AND lease_owner LIKE '{tag}'), (SELECT count(*) FROM "
                         f"sender_leases WHERE owner LIKE '{tag}' AND lease_until > "
                         "(now() AT TIME ZONE 'UTC'))")
        return {"outbox_sending": int(rows[0][0]), "inbox_leased": int(rows[0][1]),
                "sender_leases_live": int(rows[0][2])}

    def fault(self, kind):
        rec = {"kind": kind, "t": round(time.time() - self.t_load, 1),
               "at": time.strftime("%Y-%m-%dT%H:%M:%S")}
        if kind in ("sigkill", "sigterm"):
            s = self.rng.choice(self.servers)
            rec["server"], rec["pid"] = s.name, s.pid
            with self.fault_lock:
                if kind == "sigkill":
                    rec["exit"] = s.kill9()
                    rows = self.pg.q(self.central,
                                     "SELECT sender, recipient, coalesce(lease_owner, ''), "
                                     "wamid IS NOT NULL FROM outbox WHERE state = 'sending'")
                    mine = [r for r in rows if f":{s.pid}:" in r[2]]
                    rec["sending_at_kill"] = len(mine)
                    rec["sending_at_kill_with_wamid"] = sum(1 for r in mine if r[3] == "t")
                    rec["sending_at_kill_all_processes"] = len(rows)
                    rec["inbox_leased_at_kill"] = self.pg.count(
                        self.central, "SELECT count(*) FROM webhook_inbox WHERE state = "
                                      f"'leased' AND lease_owner LIKE '%:{s.pid}:%'")
                    for r in mine:
                        self.kill_windows.add((r[0], r[1].lstrip("+")))
                else:
                    code, secs = s.sigterm(60)
                    rec["exit"], rec["exit_secs"] = code, round(secs, 2)
                    left = self.leases_of(s.pid)
                    rec["left_after_exit"] = left
                    if code != 0:
                        self.problems.append(f"SIGTERM of {s.name} (pid {s.pid}) exited {code}")
                    if left["outbox_sending"] or left["inbox_leased"]:
                        self.problems.append(f"SIGTERM of {s.name} (pid {s.pid}) left leases: "
                                             f"{left}")
                down = self.rng.uniform(1, 5)
                time.sleep(down)
                rec["down_secs"] = round(down, 1)
                rec["restart_secs"] = round(s.start(), 2)
                rec["new_pid"] = s.pid
        elif kind.startswith("meta_"):
            if kind == "meta_5xx":
                fault = {"server_error": self.rng.choice([500, 503])}
            elif kind == "meta_429":
                ra = int(self.rng.choice(self.args.retry_after.split(",")))
                fault = {"rate_limited": {"code": 130429, "retry_after": ra}}
            else:
                fault = {"latency": int(self.rng.choice(self.args.latency_ms.split(",")))}
            rec["fault"] = fault
            self.sim.fault({"endpoint": "messages", "fault": fault, "times": None})
            self.halt.wait(self.args.meta_fault_secs)
            self.sim.clear_faults()
            rec["secs"] = self.args.meta_fault_secs
        elif kind == "pg_terminate":
            rows = self.pg.q("postgres",
                             "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                             f"WHERE (datname = '{self.central}' OR datname LIKE "
                             f"'{self.prefix}\\_t\\_%') AND pid <> pg_backend_pid()")
            rec["terminated"] = int(rows[0][0])
        rec["end_t"] = round(time.time() - self.t_load, 1)
        L.log(f"FAULT {json.dumps(rec)}")
        self.faults.append(rec)

    # ------------------------------------------------------------------ run

    def run(self, bin_dir):
        a = self.args
        self.setup(bin_dir)
        self.poller = L.SentPoller(self.sim, every=3.0)
        self.poller.start()
        self.load = L.Load([s.url for s in self.servers], workers=a.workers)
        self.t_load = time.time()
        t_end = self.t_load + a.minutes * 60
        pacer = threading.Thread(target=self.pacer, args=(t_end,), daemon=True, name="pacer")
        pacer.start()
        sampler = threading.Thread(target=self.sampler, daemon=True, name="sampler")
        sampler.start()
        threading.Thread(target=self.prober, daemon=True, name="prober").start()
        kinds = L.random_choice_cycle([k for k in a.faults.split(",") if k], self.rng)
        next_at = self.t_load + interval_minutes(a.fault_every, self.rng) * 60
        L.log(f"load: {a.rate}/s for {a.minutes} min over {len(self.stores)} stores and two "
              f"servers; first fault at +{next_at - self.t_load:.0f}s (seed {self.seed})")
        while time.time() < t_end:
            if time.time() >= next_at:
                started = time.time()
                self.fault(next(kinds))
                next_at = max(started + interval_minutes(a.fault_every, self.rng) * 60,
                              time.time() + a.min_gap)
            time.sleep(0.5)
        pacer.join()
        t_stop = time.time()
        L.log(f"load stopped: {len(self.msgs)} webhooks created; waiting for every "
              "acknowledgement")
        if not self.load.wait_idle(a.drain_timeout):
            self.problems.append("webhooks still unacknowledged after the drain timeout")
        self.load.close()
        self.sim.clear_faults()
        L.log("every webhook acknowledged; waiting until quiet")
        quiet, secs, state = L.wait_quiet(self.pg, self.central, self.poller, self.msgs,
                                          self.stores, a.drain_timeout)
        self.sample()
        self.halt.set()
        if not quiet:
            self.problems.append(f"not quiet after {a.drain_timeout}s: {state}")
            L.log(f"NOT QUIET: {state}")
            diag = self.pg.q(self.central,
                             "SELECT state, attempts, coalesce(error_code,''), "
                             "coalesce(error,'') FROM outbox WHERE state <> 'sent' LIMIT 10")
            L.log(f"outbox not sent: {diag}")
        L.log(f"quiet {secs:.0f}s after the load stopped acknowledging")
        final_exits = {}
        for s in self.servers:
            code, secs_exit = s.stop(60)
            final_exits[s.name] = {"pid": s.pid, "exit": code, "secs": round(secs_exit, 2)}
            if code != 0:
                self.problems.append(f"final SIGTERM of {s.name} exited {code}")
        self.poller.stop()
        rec = L.reconcile(self.pg, self.central, self.stores, self.msgs, self.poller,
                          self.kill_windows)
        return self.report(rec, t_stop, quiet, secs, final_exits)

    # ------------------------------------------------------------------ report

    def report(self, rec, t_stop, quiet, drain_secs, final_exits):
        a = self.args
        lat = L.per_minute_latency(self.load.attempts, self.t_load)
        acks = [m.ack_latency for m in self.msgs if m.ack_latency is not None]
        delivery = [m.acked_at - m.first_try for m in self.msgs if m.acked_at and m.first_try]
        e2e = L.e2e_latencies(self.msgs, self.stores, self.poller)
        incarnations = {}
        for row in self.samples:
            for name, v in row["servers"].items():
                if not v.get("alive") or v.get("rss_kb") is None:
                    continue
                k = f"{name}#{v['incarnation']}"
                inc = incarnations.setdefault(k, {"pid": v["pid"], "rss_mib": [], "fds": [],
                                                  "threads": [], "cpu": [], "t": []})
                inc["rss_mib"].append(v["rss_kb"] / 1024)
                inc["fds"].append(v["fds"])
                inc["threads"].append(v["threads"])
                inc["t"].append(row["t"])
                if v.get("cpu_cores") is not None:
                    inc["cpu"].append(v["cpu_cores"])
        mem = {}
        for k, inc in incarnations.items():
            mem[k] = {"pid": inc["pid"], "samples": len(inc["rss_mib"]),
                      "from_t": inc["t"][0], "to_t": inc["t"][-1],
                      "rss_mib": {"min": round(min(inc["rss_mib"]), 1),
                                  "median": round(statistics.median(inc["rss_mib"]), 1),
                                  "max": round(max(inc["rss_mib"]), 1),
                                  "first": round(inc["rss_mib"][0], 1),
                                  "last": round(inc["rss_mib"][-1], 1)},
                      "fds": {"min": min(inc["fds"]), "median": statistics.median(inc["fds"]),
                              "max": max(inc["fds"]), "first": inc["fds"][0],
                              "last": inc["fds"][-1]},
                      "threads_max": max(t for t in inc["threads"] if t is not None),
                      "cpu_cores_median": (round(statistics.median(inc["cpu"]), 3)
                                           if inc["cpu"] else None)}
        conns = [r.get("pg_connections_ours") for r in self.samples
                 if r.get("pg_connections_ours") is not None]
        p50s = [m["p50_ms"] for m in lat if m["p50_ms"] is not None]
        p99s = [m["p99_ms"] for m in lat if m["p99_ms"] is not None]
        statuses = self.load.status_counts()
        problems = self.problems + rec["problems"]
        result = {
            **self.result_head(rec, quiet),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(self.t_load)),
            "load_secs": round(t_stop - self.t_load, 1),
            "drain_secs": round(drain_secs, 1),
            "messages": len(self.msgs),
            "acked": self.load.acked,
            "webhook_attempts": len(self.load.attempts),
            "attempt_statuses": statuses,
            "gave_up": len(self.load.gave_up),
            "ack_latency_ms": L.summary(acks, 1000, 2),
            "delivery_latency_ms": L.summary(delivery, 1000, 1),
            "e2e_reply_latency_ms": L.summary(e2e, 1000, 1),
            "ack_latency_per_minute": lat,
            "ack_p50_per_minute_median_ms": (round(statistics.median(p50s), 2) if p50s else None),
            "ack_p99_per_minute_median_ms": (round(statistics.median(p99s), 2) if p99s else None),
            "ack_p99_per_minute_max_ms": max(p99s) if p99s else None,
            "faults": self.faults,
            "fault_counts": {k: sum(1 for f in self.faults if f["kind"] == k)
                             for k in FAULT_KINDS},
            "unexpected_exits": self.unexpected_exits,
            "final_exits": final_exits,
            "memory_by_incarnation": mem,
            "pg_connections_ours": L.summary(conns, 1, 0),
            "healthz_ms": L.summary([p[3] for p in self.probes if p[4] == 200], 1000, 1),
            "healthz_slow": [p for p in self.probes if p[3] > 1.0 or p[4] != 200][:200],
            "server_log_warnings": L.scan_logs([s.log_path for s in self.servers]),
            "stores": self.stores,
            "reconciliation": {k: v for k, v in rec.items()},
            "problems": problems[:500],
            "samples": self.samples,
        }
        out = self.write_result(result, "soak-result.json")
        self.print_summary(result, out)
        return result

    def print_summary(self, r, out):
        rc = r["reconciliation"]
        print()
        print(f"## Soak: {r['settings']['minutes']} min at {r['settings']['rate']}/s, "
              f"{len(r['stores'])} stores, 2 servers (seed {r['seed']})")
        print()
        print(f"- messages {r['messages']:,}, acknowledged {r['acked']:,} "
              f"({r['webhook_attempts']:,} attempts; statuses {r['attempt_statuses']})")
        al = r["ack_latency_ms"]
        print(f"- ack latency (the 200 attempt): p50 {al.get('p50')} ms, p95 {al.get('p95')} ms, "
              f"p99 {al.get('p99')} ms, max {al.get('max')} ms; per-minute p50 median "
              f"{r['ack_p50_per_minute_median_ms']} ms, per-minute p99 median "
              f"{r['ack_p99_per_minute_median_ms']} ms (worst minute {r['ack_p99_per_minute_max_ms']} ms)")
        e = r["e2e_reply_latency_ms"]
        print(f"- reply latency (first try -> accepted at Meta): p50 {e.get('p50')} ms, p95 "
              f"{e.get('p95')} ms, p99 {e.get('p99')} ms, max {e.get('max')} ms")
        print(f"- faults ({len(r['faults'])}): " + ", ".join(
            f"+{f['t']:.0f}s {f['kind']}" + (f" {f.get('server')}" if f.get("server") else "")
            + (f" sending={f['sending_at_kill']}" if "sending_at_kill" in f else "")
            + (f" {f['fault']}" if f.get("fault") else "")
            + (f" terminated={f['terminated']}" if "terminated" in f else "")
            for f in r["faults"]))
        print("- memory per server incarnation (RSS MiB min/median/max, fds min/median/max):")
        for k, m in r["memory_by_incarnation"].items():
            print(f"  - {k} (pid {m['pid']}, {m['samples']} samples, t {m['from_t']:.0f}-"
                  f"{m['to_t']:.0f}s): RSS {m['rss_mib']['min']}/{m['rss_mib']['median']}/"
                  f"{m['rss_mib']['max']} (first {m['rss_mib']['first']}, last "
                  f"{m['rss_mib']['last']}), fds {m['fds']['min']}/{m['fds']['median']}/"
                  f"{m['fds']['max']}, threads <= {m['threads_max']}")
        print(f"- our Postgres connections: {r['pg_connections_ours']}")
        print(f"- /healthz every 0.5 s: {r['healthz_ms']}; slower than 1 s or failed: "
              f"{len(r['healthz_slow'])}")
        print(f"- reconciliation: {'OK' if rc['ok'] else 'FAILED'}: inbox {rc['inbox_states']}, "
              f"tenant inbound {rc['tenant_inbound_rows']} (handled {rc['tenant_handled']}), "
              f"tenant replies {rc['tenant_outbound_rows']}, outbox {rc['outbox_states']}, "
              f"replies at Meta {rc['replies_at_sim']} for {rc['customers_answered']} customers; "
              f"duplicates {rc['duplicate_replies']} (in the SIGKILL window "
              f"{rc['duplicates_in_kill_window']}, of {rc['sending_at_kills']} sending at kills; "
              f"unexplained {rc['duplicates_unexplained']})")
        self.print_outcome(r, out)

    def cleanup(self, keep):
        self.stop_world(self.servers)
        if keep:
            L.log(f"databases kept: {self.prefix}*")
            return
        dbs = self.pg.databases(self.prefix.replace("_", "\\_") + "%")
        failed = self.pg.drop_databases(dbs, log_every=0)
        self.pg.close_all()
        if failed:
            L.log(f"could not drop: {failed}")
        else:
            L.log(f"dropped {len(dbs)} database(s)")


def main():
    args = parse_args()
    bin_dir = L.build(ROOT, args.bin_dir)
    soak = Soak(args)
    result = None
    try:
        result = soak.run(bin_dir)
    except KeyboardInterrupt:
        L.log("interrupted")
    finally:
        keep = args.keep_db or (result is not None and not result["ok"])
        soak.cleanup(keep)
    sys.exit(0 if result and result["ok"] else 1)


if __name__ == "__main__":
    main()
