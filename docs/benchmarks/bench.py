#!/usr/bin/env python3
"""Webhook ingest benchmark driver (run through webhook_ingest.sh, which builds and installs).

For each backend (Postgres, then SQLite) and each run: a fresh meta-sim and a fresh central
database, STORES stores each with one number, an auto-reply and a simulator token; every
customer's 24-hour window opened at the simulator; then wrk drives pre-generated signed
single-message webhooks at `omniportal serve` (CONNECTIONS connections, DURATION seconds) while
the inbox workers and outbox senders run in the same process. After the load the driver waits
until every stored message has been answered, polling the simulator's log of accepted sends.
Then the peer (whatsapp-api-js on node:http) gets the same wrk load. Prints a table and writes
results.json.

Settings come from the environment (defaults in parentheses): DURATION (10), CONNECTIONS (64),
THREADS (2), STORES (20), MPS (1000), RUNS (1), BACKENDS (postgres,sqlite), PEER (1),
PGHOST (127.0.0.1), PGPORT (5432), PGUSER (postgres), BIN_DIR, WORK_DIR, PEER_DIR, OMNI_ENV_*
(extra OMNI_ settings for the server, e.g. OMNI_ENV_OMNI_DATABASE__POOL_SIZE=16).
"""

import json
import os
import re
import resource
import signal
import sqlite3
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import soak_lib as L  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ENV = os.environ
DURATION = int(ENV.get("DURATION", "10"))
CONNECTIONS = int(ENV.get("CONNECTIONS", "64"))
THREADS = int(ENV.get("THREADS", "2"))
STORES = int(ENV.get("STORES", "20"))
MPS = int(ENV.get("MPS", "1000"))
RUNS = int(ENV.get("RUNS", "1"))
BACKENDS = [b for b in ENV.get("BACKENDS", "postgres,sqlite").split(",") if b]
PEER = ENV.get("PEER", "1") == "1"
PG = {"host": ENV.get("PGHOST", "127.0.0.1"), "port": ENV.get("PGPORT", "5432"),
      "user": ENV.get("PGUSER", "postgres")}
BIN_DIR = ENV.get("BIN_DIR", "/work/target-main/release")
WORK = ENV.get("WORK_DIR", "/tmp/omni-bench")
PEER_DIR = ENV.get("PEER_DIR", os.path.join(WORK, "peer"))
# Upper bound of webhooks wrk can send in DURATION seconds: the generated set must not wrap.
MAX_RATE = int(ENV.get("MAX_RATE", "30000"))
DRAIN_TIMEOUT = int(ENV.get("DRAIN_TIMEOUT", "180"))

STARTED = []  # (name, Popen) we must stop
BODIES = {}
INGEST_ONLY = ENV.get("INGEST_ONLY", "1") == "1"  # also run each backend ingest-only
DIAG_ANALYZE_SECS = float(ENV.get("DIAG_ANALYZE_SECS", "0"))


def start(name, argv, env=None, stdout=None):
    logf = open(os.path.join(WORK, f"{name}.log"), "ab")
    p = subprocess.Popen(argv, env=env, stdout=stdout or logf, stderr=logf,
                         start_new_session=True)
    STARTED.append((name, p))
    return p


def stop(p, timeout=20):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    for i, (_, q) in enumerate(STARTED):
        if q is p:
            STARTED.pop(i)
            break


def stop_all():
    for _, p in list(reversed(STARTED)):
        stop(p, 5)


# ---------------------------------------------------------------- CPU accounting (/proc)


def cpu_of(pid):
    """CPU seconds of a process; 0.0 for one that is gone (it counts from zero in cpu_delta)."""
    return L.cpu_seconds(pid, default=0.0)


def cpu_by_comm(name):
    """CPU seconds of every live process named `name`, by pid."""
    found = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/comm") as f:
                    if f.read().strip() != name:
                        continue
            except OSError:
                continue
            found[d] = cpu_of(d)
    return found


def machine_busy():
    """CPU seconds the whole machine has been busy (all cores)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return (sum(v[:8]) - idle) / L.TICK


def cpu_snapshot(pids):
    snap = {k: cpu_of(p) for k, p in pids.items()}
    snap["postgres"] = cpu_by_comm("postgres")
    snap["machine"] = machine_busy()
    return snap


def cpu_delta(a, b, secs, wrk_cores=0.0):
    """Cores used on average per component; `other` is the rest of the machine (anything not
    started by the benchmark, e.g. a build running alongside)."""
    d = {}
    for k in a:
        if isinstance(a[k], dict):  # by pid: processes that started count from zero
            d[k] = round(sum(v - a[k].get(p, 0.0) for p, v in b[k].items()) / secs, 2)
        else:
            d[k] = round((b[k] - a[k]) / secs, 2)
    if wrk_cores is not None:
        d["wrk"] = wrk_cores
    ours = sum(v for k, v in d.items() if k != "machine")
    d["other"] = round(max(d.pop("machine") - ours, 0.0), 2)
    return d


# ---------------------------------------------------------------- databases


def psql(db, sql):
    out = subprocess.run(["psql", "-h", PG["host"], "-p", PG["port"], "-U", PG["user"], "-d", db,
                          "-AtqF", "|", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         check=True, capture_output=True, text=True).stdout
    return [line.split("|") for line in out.splitlines() if line]


class Postgres:
    name = "postgres"

    def __init__(self, tag):
        self.db = f"bench_{tag}"
        self.prefix = f"bench_{tag}"

    def setup(self):
        psql("postgres", f"CREATE DATABASE {self.db}")

    def env(self):
        return {"DATABASE_URL": f"postgres://{PG['user']}@{PG['host']}:{PG['port']}/{self.db}",
                "OMNI_DATABASE__TENANT_DATABASE_PREFIX": self.prefix}

    def central(self, sql):
        return psql(self.db, sql)

    def tenants(self, sql):
        dbs = [r[0] for r in psql("postgres", "SELECT datname FROM pg_database WHERE datname "
                                  f"LIKE '{self.prefix}\\_t\\_%'")]
        return [psql(d, sql) for d in dbs]

    def cleanup(self):
        dbs = [r[0] for r in psql("postgres", "SELECT datname FROM pg_database WHERE datname "
                                  f"LIKE '{self.prefix}%'")]
        for d in dbs:
            psql("postgres", f"DROP DATABASE IF EXISTS {d} WITH (FORCE)")


class Sqlite:
    name = "sqlite"

    def __init__(self, tag, data_dir):
        self.data_dir = data_dir

    def setup(self):
        pass

    def env(self):
        return {}

    def _q(self, path, sql):
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            return [[str(c) for c in row] for row in con.execute(sql).fetchall()]
        finally:
            con.close()

    def central_path(self):
        for f in os.listdir(self.data_dir):
            if f.endswith((".sqlite", ".db")):
                return os.path.join(self.data_dir, f)
        raise RuntimeError(f"no central SQLite file in {self.data_dir}")

    def central(self, sql):
        return self._q(self.central_path(), sql)

    def tenants(self, sql):
        d = os.path.join(self.data_dir, "tenants")
        return [self._q(os.path.join(d, f), sql) for f in sorted(os.listdir(d))
                if f.endswith(".sqlite")]

    def cleanup(self):
        pass


# ---------------------------------------------------------------- wrk


def wrk(url, mode, prefix, duration, connections=CONNECTIONS):
    argv = ["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{duration}s", "--latency",
            "--timeout", "10s", "-s", os.path.join(HERE, "replay.lua"), url, "--", mode, prefix]
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.time()
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = (r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) / (time.time() - t0)
    m = re.search(r"^BENCH (.*)$", out, re.M)
    if not m:
        raise RuntimeError("wrk printed no BENCH line:\n" + out)
    res = {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}
    res["raw"] = out
    res["cpu_wrk"] = round(wrk_cpu, 2)
    res["acked"] = res["requests"] - res["non2xx"]
    res["rps"] = res["acked"] / (res["duration_us"] / 1e6)
    res["issued_by_thread"] = [int(x) for x in re.search(r"^ISSUED (.*)$", out, re.M)
                               .group(1).split(",")]
    return res


# ---------------------------------------------------------------- one run of our server


NUMBERS = [(f"1065403522{n:05d}", f"1022901293{n:05d}", f"9230011{n:05d}")
           for n in range(1, STORES + 1)]


def omni_env(backend, data_dir, port, sim_url):
    env = {k: v for k, v in ENV.items() if not k.startswith(("OMNI_", "DATABASE_URL", "META_"))}
    env.update({
        "OMNI_DATABASE__DATA_DIR": data_dir,
        "OMNI_LOG__LEVEL": "warn",
        "META_APP_ID": L.APP_ID,
        "META_APP_SECRET": L.APP_SECRET,
        "OMNI_META__GRAPH_BASE_URL": sim_url,
        "OMNI_META__DIALOG_BASE_URL": sim_url,
        "OMNI_SERVER__PORT": str(port),
        "OMNI_PIPELINE__DEFAULT_MPS": str(MPS),
    })
    for k, v in ENV.items():
        if k.startswith("OMNI_ENV_"):
            env[k[len("OMNI_ENV_"):]] = v
    env.update(backend.env())
    return env


def run_ours(kind, run_no, bodies, workers=True):
    """One run: with `workers`, the whole pipeline in one process (ack load, then drain, then
    the exactly-once checks); without, the same load on a process that only ingests
    (pipeline.workers_enabled=false, as a web-only process of a split deployment)."""
    tag = f"{os.getpid()}_{kind[:2]}{run_no}{'' if workers else 'i'}"
    data_dir = os.path.join(WORK, f"data_{tag}")
    backend = Postgres(tag) if kind == "postgres" else Sqlite(tag, data_dir)
    sim_port, port = L.free_port(), L.free_port()
    sim_url = f"http://127.0.0.1:{sim_port}"
    sim_api = L.SimApi(sim_url)
    result = {"backend": kind, "run": run_no, "workers": workers}
    sim = server = None
    try:
        # Inside the try, so a failed start still stops what did start and removes the dir.
        os.makedirs(data_dir)
        sim = start(f"meta-sim_{tag}", [os.path.join(BIN_DIR, "meta-sim"), "--port",
                                        str(sim_port), "--no-auto-statuses"],
                    env={**ENV, "RUST_LOG": "warn"})
        L.wait_http(sim_url + "/_sim/state", timeout=60)
        # One WABA with one number per store, each accepting MPS sends per second.
        for pnid, waba, display in NUMBERS:
            sim_api.seed_number(waba, pnid, "+" + display, max_mps=MPS, name="Bench WABA",
                                business_id="27290634905" + waba[-5:],
                                verified_name="Bench Store")
        token = sim_api.token([w for _, w, _ in NUMBERS])
        backend.setup()
        env = omni_env(backend, data_dir, port, sim_url)
        if not workers:
            env["OMNI_PIPELINE__WORKERS_ENABLED"] = "false"
            return ingest_only(kind, run_no, backend, env, port, sim, result)
        # The customers' 24-hour windows (Meta opens one when the customer writes).
        L.log(f"{kind} run {run_no}: opening {bodies['count']} customer windows at the simulator")
        win = wrk(sim_url + "/_sim/windows", "json", bodies["windows"],
                  duration=max(4, bodies["count"] // 12000 + 3))
        if win["non2xx"] or win["min_wraps"] < 1:
            raise RuntimeError(f"windows not all opened: {win['raw']}")

        L.log(f"{kind} run {run_no}: seeding {STORES} stores")
        L.cli(BIN_DIR, env, "owner", "create", "--email", "bench@example.pk", "--password",
              "bench-password-123")
        for pnid, waba, display in NUMBERS:
            L.setup_store(BIN_DIR, env, "bench@example.pk", f"Bench {pnid[-5:]}", pnid, waba,
                          "+" + display, token,
                          "Shukriya! Aap ka order mil gaya, hum jald rabta karein ge.")

        server = start(f"omniportal_{tag}", [os.path.join(BIN_DIR, "omniportal"), "serve"],
                       env=env)
        L.wait_http(f"http://127.0.0.1:{port}/readyz", timeout=60)
        # Polled every 1.5 s: the load fills the simulator's 10,000-send log fast.
        poller = L.SentPoller(sim_api, every=1.5)
        poller.start()
        analyzer = None
        if DIAG_ANALYZE_SECS and kind == "postgres":
            # Diagnostic only (off by default): fresh planner statistics for the inbox while
            # it fills, to see the pipeline without the claim's stale-statistics plan.
            analyzer = threading.Event()

            def analyze_loop():
                while not analyzer.wait(DIAG_ANALYZE_SECS):
                    try:
                        backend.central("ANALYZE webhook_inbox")
                    except Exception as e:  # noqa: BLE001
                        L.log(f"analyze failed: {e}")

            threading.Thread(target=analyze_loop, daemon=True).start()
            result["diag_analyze_secs"] = DIAG_ANALYZE_SECS
        pids = {"omniportal": server.pid, "meta-sim": sim.pid}
        L.log(f"{kind} run {run_no}: wrk {CONNECTIONS} connections, {DURATION}s")
        c0 = cpu_snapshot(pids)
        t0 = time.time()
        res = wrk(f"http://127.0.0.1:{port}/api/webhooks/whatsapp", "webhook",
                  bodies["webhooks"], DURATION)
        t1 = time.time()
        c1 = cpu_snapshot(pids)
        result["wrk"] = {k: v for k, v in res.items() if k != "raw"}
        result["cpu_load"] = cpu_delta(c0, c1, t1 - t0, res["cpu_wrk"])
        if res["wraps"]:
            L.log("WARNING: the generated set wrapped: raise MAX_RATE")

        # Drain: until nothing is open in the inbox or the outbox (or no progress for 60 s).
        L.log(f"{kind} run {run_no}: acked {res['acked']} ({res['rps']:.0f}/s); draining")
        last, last_change = -1, time.time()
        while True:
            inbox_open = int(backend.central(
                "SELECT count(*) FROM webhook_inbox WHERE state IN ('pending', 'leased')")[0][0])
            outbox_open = int(backend.central(
                "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')")[0][0])
            n = poller.count()
            if n != last:
                last, last_change = n, time.time()
            if inbox_open == 0 and outbox_open == 0:
                break
            if time.time() - last_change > 60 or time.time() - t0 > DRAIN_TIMEOUT:
                L.log(f"drain stopped: inbox open {inbox_open}, outbox open {outbox_open}")
                result["drain_incomplete"] = True
                break
            time.sleep(1)
        t2 = time.time()
        c2 = cpu_snapshot(pids)
        if analyzer:
            analyzer.set()
        time.sleep(2)
        poller.stop()
        result["cpu_load_drain"] = cpu_delta(c1, c2, max(t2 - t1, 0.001), None)

        replies = dict(poller.seen)
        ats = sorted(r["at"] for r in replies.values())
        e2e_secs = (ats[-1] - t0) if ats else float("nan")
        in_load = sum(1 for a in ats if a <= t1)
        result["e2e"] = {
            "replies": len(replies),
            "distinct_recipients": len({r["to"] for r in replies.values()}),
            "seconds": round(e2e_secs, 2),
            "rate": round(len(replies) / e2e_secs, 1) if ats else 0,
            "rate_during_load": round(in_load / (t1 - t0), 1),
            "sim_log_overflow": poller.overflow,
        }

        # Exactly once: every acknowledged webhook stored once, answered once.
        inbox = backend.central(
            "SELECT count(*), count(DISTINCT dedupe_key), "
            "sum(CASE WHEN state = 'done' THEN 1 ELSE 0 END) "
            "FROM webhook_inbox WHERE field = 'messages'")[0]
        other_states = backend.central(
            "SELECT state, count(*) FROM webhook_inbox GROUP BY state")
        outbox = backend.central(
            "SELECT count(*), count(DISTINCT recipient), "
            "sum(CASE WHEN state = 'sent' THEN 1 ELSE 0 END), "
            "sum(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) FROM outbox")[0]
        tenant = [r[0] for r in backend.tenants(
            "SELECT count(*), count(DISTINCT wamid), "
            "sum(CASE WHEN handled_at IS NOT NULL THEN 1 ELSE 0 END) "
            "FROM messages WHERE direction = 'inbound'")]
        stored_keys = [r[0] for r in backend.central(
            "SELECT dedupe_key FROM webhook_inbox WHERE field = 'messages'")]
        issued = res["issued_by_thread"]
        outside = 0
        for k in stored_keys:
            i = int(k[-12:])
            if i // THREADS >= issued[i % THREADS]:
                outside += 1
        t_rows = sum(int(t[0]) for t in tenant)
        t_distinct = sum(int(t[1]) for t in tenant)
        t_handled = sum(int(t[2] or 0) for t in tenant)
        inflight = res["issued"] - res["requests"]
        checks = {
            "acked": res["acked"],
            "issued": res["issued"],
            "unanswered_at_stop": inflight,
            "inbox_rows": int(inbox[0]),
            "inbox_distinct": int(inbox[1]),
            "inbox_done": int(inbox[2] or 0),
            "inbox_states": {s: int(n) for s, n in other_states},
            "stored_not_issued": outside,
            "tenant_inbound_rows": t_rows,
            "tenant_inbound_distinct": t_distinct,
            "tenant_handled": t_handled,
            "outbox_rows": int(outbox[0]),
            "outbox_distinct_recipients": int(outbox[1]),
            "outbox_sent": int(outbox[2] or 0),
            "outbox_failed": int(outbox[3] or 0),
            "sim_replies": len(replies),
            "sim_distinct_recipients": result["e2e"]["distinct_recipients"],
        }
        stored = checks["inbox_rows"]
        checks["duplicates"] = (
            (stored - checks["inbox_distinct"]) + (t_rows - t_distinct)
            + (checks["outbox_rows"] - checks["outbox_distinct_recipients"])
            + (checks["sim_replies"] - checks["sim_distinct_recipients"]))
        checks["stored_once"] = (checks["acked"] <= stored <= checks["acked"] + inflight
                                 and stored == checks["inbox_distinct"] and outside == 0
                                 and not res["wraps"])
        checks["complete"] = (stored == checks["inbox_done"] == t_rows == t_handled
                              == checks["outbox_sent"] == checks["sim_replies"])
        checks["ok"] = (checks["stored_once"] and checks["complete"]
                        and checks["duplicates"] == 0 and not poller.overflow)
        result["checks"] = checks
        L.log(f"{kind} run {run_no}: {json.dumps(result['e2e'])} exactly-once "
            f"{'OK' if checks['ok'] else 'FAILED ' + json.dumps(checks)}")
        return result
    finally:
        if server:
            stop(server)
        if sim:
            stop(sim)
        try:
            backend.cleanup()
        except Exception as e:  # noqa: BLE001
            L.log(f"cleanup failed: {e}")
        subprocess.run(["rm", "-rf", data_dir])


def ingest_only(kind, run_no, backend, env, port, sim, result):
    server = start(f"omniportal_{kind}_{run_no}_ingest", [os.path.join(BIN_DIR, "omniportal"),
                                                         "serve"], env=env)
    try:
        L.wait_http(f"http://127.0.0.1:{port}/readyz", timeout=60)
        L.log(f"{kind} run {run_no} (ingest only): wrk {CONNECTIONS} connections, {DURATION}s")
        pids = {"omniportal": server.pid, "meta-sim": sim.pid}
        c0, t0 = cpu_snapshot(pids), time.time()
        res = wrk(f"http://127.0.0.1:{port}/api/webhooks/whatsapp", "webhook",
                  BODIES["webhooks"], DURATION)
        c1, t1 = cpu_snapshot(pids), time.time()
    finally:
        stop(server)
    result["wrk"] = {k: v for k, v in res.items() if k != "raw"}
    result["cpu_load"] = cpu_delta(c0, c1, t1 - t0, res["cpu_wrk"])
    inbox = backend.central("SELECT count(*), count(DISTINCT dedupe_key) FROM webhook_inbox "
                            "WHERE field = 'messages'")[0]
    inflight = res["issued"] - res["requests"]
    checks = {"acked": res["acked"], "issued": res["issued"], "unanswered_at_stop": inflight,
              "inbox_rows": int(inbox[0]), "inbox_distinct": int(inbox[1])}
    checks["ok"] = (res["acked"] <= checks["inbox_rows"] <= res["acked"] + inflight
                    and checks["inbox_rows"] == checks["inbox_distinct"] and not res["wraps"])
    result["checks"] = checks
    L.log(f"{kind} run {run_no} (ingest only): acked {res['acked']} ({res['rps']:.0f}/s), "
        f"p99 {res['p99_us'] / 1000:.1f} ms, stored once: {checks['ok']}")
    return result


def run_peer(bodies):
    port = L.free_port()
    p = start("peer", ["node", os.path.join(PEER_DIR, "peer_whatsapp_api_js.mjs"), str(port),
                       L.APP_SECRET], env={**ENV, "NODE_ENV": "production"})
    try:
        L.wait_http(f"http://127.0.0.1:{port}/stats", timeout=60)
        c0, t0 = cpu_snapshot({"node": p.pid}), time.time()
        res = wrk(f"http://127.0.0.1:{port}/api/webhooks/whatsapp", "webhook",
                  bodies["webhooks"], DURATION)
        load = cpu_delta(c0, cpu_snapshot({"node": p.pid}), time.time() - t0, res["cpu_wrk"])
        seen = L.http_json("GET", f"http://127.0.0.1:{port}/stats")["messages"]
        return {"wrk": {k: v for k, v in res.items() if k != "raw"},
                "cpu_load": load,
                "messages_seen": seen}
    finally:
        stop(p)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")


def vs_peer(rps, peer_rps):
    """The ratio column: "n/a" when the peer did not run (PEER=0) rather than "nanx"."""
    return f"{rps / peer_rps:.2f}x" if peer_rps == peer_rps and peer_rps > 0 else "n/a"


def main():
    os.makedirs(WORK, exist_ok=True)
    count = DURATION * MAX_RATE
    prefix = os.path.join(WORK, "bodies")
    L.log(f"generating {count} signed webhooks for {STORES} numbers")
    subprocess.run([sys.executable, os.path.join(HERE, "gen_webhooks.py"), "--count", str(count),
                    "--secret", L.APP_SECRET, "--shards", str(THREADS), "--run-tag",
                    f"R{os.getpid()}", "--numbers",
                    ",".join(":".join(n) for n in NUMBERS),
                    "--out", prefix + ".wh", "--windows", prefix + ".win"], check=True)
    bodies = {"count": count, "webhooks": prefix + ".wh", "windows": prefix + ".win"}
    BODIES.update(bodies)
    results = {"settings": {"duration": DURATION, "connections": CONNECTIONS,
                            "threads": THREADS, "stores": STORES, "mps": MPS, "runs": RUNS},
               "ours": [], "peer": []}
    try:
        for r in range(1, RUNS + 1):
            for kind in BACKENDS:
                results["ours"].append(run_ours(kind, r, bodies))
                if INGEST_ONLY:
                    results["ours"].append(run_ours(kind, r, bodies, workers=False))
            if PEER:
                L.log(f"peer run {r}")
                results["peer"].append(run_peer(bodies))
    finally:
        stop_all()
        with open(os.path.join(WORK, "results.json"), "w") as f:
            json.dump(results, f, indent=1)

    peer_rps = med([p["wrk"]["rps"] for p in results["peer"]])
    print()
    print(f"## Results ({RUNS} run(s), median; {CONNECTIONS} connections, {DURATION} s, "
          f"{STORES} stores, {MPS} mps/number)")
    print()
    print("| server | acked webhooks/s | p50 ack | p99 ack | e2e messages/s | "
          "vs peer | exactly once |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for kind in BACKENDS:
        for workers in (True, False):
            rs = [x for x in results["ours"] if x["backend"] == kind and x["workers"] == workers]
            if not rs:
                continue
            rps = med([x["wrk"]["rps"] for x in rs])
            e2e = f"{med([x['e2e']['rate'] for x in rs]):,.0f}" if workers else "n/a"
            if workers and any(x.get("drain_incomplete") for x in rs):
                e2e += " (drain incomplete)"
            ok = all(x["checks"]["ok"] for x in rs)
            acked = sum(x["checks"]["acked"] for x in rs)
            what = "stored + answered once" if workers else "stored once"
            label = (f"omniportal + {kind}" if workers
                     else f"omniportal + {kind}, ingest only (workers off)")
            print(f"| {label} | {rps:,.0f} | "
                  f"{med([x['wrk']['p50_us'] for x in rs]) / 1000:.2f} ms | "
                  f"{med([x['wrk']['p99_us'] for x in rs]) / 1000:.2f} ms | {e2e} | "
                  f"{vs_peer(rps, peer_rps)} | {'yes' if ok else 'NO'}: {what} "
                  f"({acked:,} acked) |")
    if results["peer"]:
        ps = results["peer"]
        print(f"| whatsapp-api-js 6 (node:http, stores nothing) | {peer_rps:,.0f} | "
              f"{med([x['wrk']['p50_us'] for x in ps]) / 1000:.2f} ms | "
              f"{med([x['wrk']['p99_us'] for x in ps]) / 1000:.2f} ms | n/a | 1.00x | n/a |")
    print()
    print("CPU in use during the load (cores, of 2):")
    for x in results["ours"]:
        extra = (f"; during the drain {x['cpu_load_drain']}; e2e {x['e2e']}"
                 if x["workers"] else "")
        print(f"- {x['backend']} run {x['run']} {'full' if x['workers'] else 'ingest only'}: "
              f"{x['cpu_load']}{extra}")
    for x in results["peer"]:
        print(f"- peer: {x['cpu_load']}")
    print(f"\nfull results: {os.path.join(WORK, 'results.json')}")


if __name__ == "__main__":
    # Settings come from the environment: `--help` prints them, any other argument is an
    # error (before, `--help` started a full run).
    if sys.argv[1:] in (["-h"], ["--help"]):
        print(__doc__)
        sys.exit(0)
    if sys.argv[1:]:
        sys.exit(f"bench.py takes no arguments (settings come from the environment); "
                 f"see --help. Got: {' '.join(sys.argv[1:])}")
    try:
        main()
    except KeyboardInterrupt:
        stop_all()
        sys.exit(130)
