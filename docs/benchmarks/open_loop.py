#!/usr/bin/env python3
"""Open-loop sustained capacity of the webhook -> reply path (run through open_loop.sh, which
builds and installs).

For each backend (Postgres, SQLite) and, with PEER=1, each peer: a fresh meta-sim, fresh
databases, STORES stores each with one number, an auto-reply and a simulator token (the setup
of bench.py); then one step per offered rate in RATES, STEP_SECS seconds each. A step:

1. opens the step's customers' 24-hour windows at the simulator (every message has a new
   customer, so a reply is matched to its message by recipient wa_id);
2. starts the generator (this file with --generate, its own process): signed single-message
   webhooks (soak_lib.make_msg, the body shape of gen_webhooks.py) at RATE/s on a fixed
   schedule, message k due at t0 + k/RATE, whatever the server does (open loop). It keeps a
   pool of keep-alive HTTP/1.1 connections and opens another whenever all are busy (up to
   MAX_CONNS; past that a due request waits for a connection and the wait counts). Every
   latency is measured from the request's *scheduled* time, so a stall is not hidden
   (no coordinated omission); the lag from schedule to the actual write is reported too;
3. samples the backlog (inbox + outbox rows not done) every SAMPLE_SECS, takes CPU (/proc),
   pg_stat_database commits and the server's RSS at the start and the end of the step;
4. waits until every acknowledged message of the step has its reply at the simulator and
   nothing is open (the drain, at most DRAIN_TIMEOUT s), then takes CPU and commits again:
   the per-message costs are over the step and its drain;
5. reply latency = the simulator's acceptance time of the reply (`GET /_sim/messages`, polled)
   - the message's scheduled send time.

A step sustains its rate when the drain finished, every request was acknowledged, the
generator kept the schedule (achieved >= 95% of the rate), reply p99 < 2 s and the backlog
did not grow. The first step that does not sustain ends the ramp (STOP_AFTER_FAIL=0 runs every
rate). Every run of omniportal ends with the exactly-once reconciliation of bench.py (stored
once, answered once, 0 duplicates). Prints a Markdown table, writes $WORK_DIR/open_loop.json.

Settings (environment, defaults in parentheses): RATES (250,500,1000,2000,4000), STEP_SECS
(60), BACKENDS (postgres,sqlite), PEER (0; 1 = also the peers), PEERS (whatsapp-api-js,pywa),
STORES (20), MPS (1000), MAX_CONNS (4000), REQUEST_TIMEOUT (30), DRAIN_TIMEOUT
(max(60, 2 x STEP_SECS)), SAMPLE_SECS (2), STOP_AFTER_FAIL (1), PGHOST/PGPORT/PGUSER, BIN_DIR,
WORK_DIR (/tmp/omni-open-loop), PEER_DIR ($WORK_DIR/peer: whatsapp-api-js installed), PYVENV
($WORK_DIR/pyvenv: pywa, fastapi, uvicorn[standard]), OMNI_ENV_* (extra server settings).
"""

import array
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import deque

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import soak_lib as L  # noqa: E402

ENV = os.environ
WORK = ENV.get("WORK_DIR", "/tmp/omni-open-loop")
os.environ.setdefault("WORK_DIR", WORK)
import bench as B  # noqa: E402  (reads STORES, MPS, BIN_DIR, PG* from the environment)

B.WORK = WORK  # bench.start writes its logs there
RATES = [int(r) for r in ENV.get("RATES", "250,500,1000,2000,4000").split(",") if r]
STEP_SECS = int(ENV.get("STEP_SECS", "60"))
BACKENDS = [b for b in ENV.get("BACKENDS", "postgres,sqlite").split(",") if b]
PEER = ENV.get("PEER", "0") == "1"
PEERS = [p for p in ENV.get("PEERS", "whatsapp-api-js,pywa").split(",") if p]
MAX_CONNS = int(ENV.get("MAX_CONNS", "4000"))
REQUEST_TIMEOUT = float(ENV.get("REQUEST_TIMEOUT", "30"))
DRAIN_TIMEOUT = float(ENV.get("DRAIN_TIMEOUT", str(max(60, 2 * STEP_SECS))))
SAMPLE_SECS = float(ENV.get("SAMPLE_SECS", "2"))
STOP_AFTER_FAIL = ENV.get("STOP_AFTER_FAIL", "1") == "1"
PEER_DIR = ENV.get("PEER_DIR", os.path.join(WORK, "peer"))
PYVENV = ENV.get("PYVENV", os.path.join(WORK, "pyvenv"))
REPLY_TEXT = "Shukriya! Aap ka order mil gaya, hum jald rabta karein ge."
P99_LIMIT = 2.0
TAG = f"OL{os.getpid()}"
# display as in gen_webhooks.py's metadata (bare); seeded with a "+" as bench.py does.
STORES = [{"pnid": p, "waba": w, "display": d} for p, w, d in B.NUMBERS]


def wa_id_of(idx):
    return "92%010d" % (3_000_000_000 + idx)  # as soak_lib.make_msg


def idx_of(wa_id):
    return int(wa_id[2:]) - 3_000_000_000


# ---------------------------------------------------------------- the generator (own process)


class Conn(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: one request at a time."""

    __slots__ = ("gen", "t", "k", "buf", "started")

    def __init__(self, gen):
        self.gen, self.t, self.k, self.buf, self.started = gen, None, -1, bytearray(), 0.0

    def connection_made(self, transport):
        self.t = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, k):
        g = self.gen
        self.k, self.buf = k, bytearray()
        self.started = time.time()
        if not g.sent[k]:
            g.sent[k] = self.started
        self.t.write(g.reqs[k])

    def data_received(self, data):
        self.buf += data
        buf = self.buf
        end = buf.find(b"\r\n\r\n")
        if end < 0 or self.k < 0:
            return
        head = bytes(buf[:end]).lower()
        i = head.find(b"content-length:")
        if i >= 0:
            j = head.find(b"\r\n", i)
            n = int(head[i + 15:j if j >= 0 else len(head)])
            if len(buf) < end + 4 + n:
                return
        elif b"chunked" in head:
            if not buf.endswith(b"0\r\n\r\n"):
                return
        status = int(head[9:12])
        k, self.k = self.k, -1
        self.gen.finish(k, status, time.time())
        if b"connection: close" in head:
            self.gen.conns.discard(self)
            self.t.close()
        else:
            self.gen.on_idle(self)

    def connection_lost(self, exc):
        g = self.gen
        g.conns.discard(self)
        g.idle_set.discard(self)
        if self.k >= 0:
            k, self.k = self.k, -1
            if not self.buf and not g.retried[k]:
                # A keep-alive connection the server closed as we wrote: send again (a
                # webhook is idempotent by its wamid); the latency still counts from schedule.
                g.retried[k] = 1
                g.retries += 1
                g.dispatch(k)
            else:
                g.finish(k, -1, time.time())


class Gen:
    def __init__(self, host, port, reqs, rate, max_conns, timeout):
        self.host, self.port, self.reqs, self.rate = host, port, reqs, rate
        self.max_conns, self.timeout = max_conns, timeout
        n = len(reqs)
        self.sent = array.array("d", bytes(8 * n))
        self.done = array.array("d", bytes(8 * n))
        self.status = array.array("h", bytes(2 * n))
        self.retried = bytearray(n)
        self.idle, self.idle_set, self.conns = [], set(), set()
        self.connecting = 0
        self.pending = deque()
        self.outstanding = 0
        self.retries = self.connect_errors = self.timeouts = 0
        self.peak_conns = self.peak_pending = 0
        self.loop = None

    def dispatch(self, k):
        while self.idle:
            c = self.idle.pop()
            if c in self.idle_set:
                self.idle_set.discard(c)
                c.send(k)
                return
        self.pending.append(k)
        self.peak_pending = max(self.peak_pending, len(self.pending))
        if len(self.conns) + self.connecting < self.max_conns:
            self.open_conn()

    def open_conn(self):
        self.connecting += 1
        fut = asyncio.ensure_future(
            self.loop.create_connection(lambda: Conn(self), self.host, self.port))
        fut.add_done_callback(self._connected)

    def _connected(self, fut):
        self.connecting -= 1
        if fut.exception() is not None:
            self.connect_errors += 1
            if self.pending and not self.conns and not self.connecting:
                self.loop.call_later(0.05, self.open_conn)
            return
        conn = fut.result()[1]
        self.conns.add(conn)
        self.peak_conns = max(self.peak_conns, len(self.conns))
        self.on_idle(conn)

    def on_idle(self, c):
        if self.pending:
            c.send(self.pending.popleft())
        else:
            self.idle.append(c)
            self.idle_set.add(c)

    def finish(self, k, status, t):
        self.done[k] = t
        self.status[k] = status
        self.outstanding -= 1

    async def watchdog(self):
        while True:
            await asyncio.sleep(0.5)
            now = time.time()
            for c in list(self.conns):
                if c.k >= 0 and now - c.started > self.timeout:
                    k, c.k = c.k, -1
                    self.timeouts += 1
                    self.finish(k, -2, now)
                    self.conns.discard(c)
                    c.t.abort()

    async def run(self, warm):
        self.loop = asyncio.get_running_loop()
        for _ in range(warm):
            self.open_conn()
        while self.connecting:
            await asyncio.sleep(0.01)
        dog = asyncio.ensure_future(self.watchdog())
        n, rate = len(self.reqs), self.rate
        t0 = time.time() + 0.3
        print(f"START {t0:.6f}", flush=True)
        self.outstanding = n
        k = 0
        while k < n:
            now = time.time()
            if now >= t0:
                due = min(n, int((now - t0) * rate) + 1)
                while k < due:
                    self.dispatch(k)
                    k += 1
            if k < n:
                await asyncio.sleep(max(0.0, t0 + k / rate - time.time()))
        end = t0 + n / rate
        while self.outstanding > 0 and time.time() < end + self.timeout + 2:
            await asyncio.sleep(0.05)
        dog.cancel()
        for c in list(self.conns):
            c.t.close()
        return t0


def generate(argv):
    """--generate URL RATE SECS START_IDX TAG OUT: the step's load; writes OUT.json (figures)
    and OUT.bin (per message: sent, done as float64 arrays, status as int16)."""
    url, rate, secs, start, tag, out = argv
    rate, secs, start = int(rate), float(secs), int(start)
    hostport, path = url.split("//", 1)[1].split("/", 1)
    host, port = hostport.split(":")
    n = int(rate * secs)
    t_build = time.time()
    reqs = []
    for i in range(start, start + n):
        si = i % len(STORES)
        m = L.make_msg(i, tag, si, STORES[si])
        reqs.append(b"POST /%s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
                    b"X-Hub-Signature-256: %s\r\nContent-Length: %d\r\n\r\n%s"
                    % (path.encode(), hostport.encode(), m.sig.encode(), len(m.body), m.body))
    build_secs = time.time() - t_build
    try:
        import uvloop  # noqa: PLC0415
        uvloop.install()
        loop_kind = "uvloop"
    except ImportError:
        loop_kind = "asyncio"
    gen = Gen(host, int(port), reqs, rate, MAX_CONNS, REQUEST_TIMEOUT)
    t0 = asyncio.run(gen.run(warm=min(32, max(4, rate // 100))))
    with open(out + ".bin", "wb") as f:
        gen.sent.tofile(f)
        gen.done.tofile(f)
        gen.status.tofile(f)
    with open(out + ".json", "w") as f:
        json.dump({"t0": t0, "rate": rate, "n": n, "start": start, "loop": loop_kind,
                   "build_secs": round(build_secs, 2), "peak_conns": gen.peak_conns,
                   "peak_pending": gen.peak_pending, "retries": gen.retries,
                   "connect_errors": gen.connect_errors, "timeouts": gen.timeouts}, f)


def load_gen(out):
    with open(out + ".json") as f:
        meta = json.load(f)
    n = meta["n"]
    sent, done, status = array.array("d"), array.array("d"), array.array("h")
    with open(out + ".bin", "rb") as f:
        sent.fromfile(f, n)
        done.fromfile(f, n)
        status.fromfile(f, n)
    return meta, sent, done, status


# ---------------------------------------------------------------- windows (closed loop)


async def _open_windows(sim_url, start, n, conns=32):
    hostport = sim_url.split("//", 1)[1]
    host, port = hostport.split(":")
    it = iter(range(start, start + n))
    bad = []

    async def worker():
        r, w = await asyncio.open_connection(host, int(port))
        for i in it:
            body = json.dumps({"phone_number_id": STORES[i % len(STORES)]["pnid"],
                               "wa_id": wa_id_of(i)}).encode()
            w.write(b"POST /_sim/windows HTTP/1.1\r\nHost: %s\r\nContent-Type: "
                    b"application/json\r\nContent-Length: %d\r\n\r\n%s"
                    % (hostport.encode(), len(body), body))
            head = (await r.readuntil(b"\r\n\r\n")).lower()
            j = head.find(b"content-length:")
            ln = int(head[j + 15:head.find(b"\r\n", j)]) if j >= 0 else 0
            await r.readexactly(ln)
            if head[9:12] != b"200":
                bad.append(i)
        w.close()

    await asyncio.gather(*[worker() for _ in range(conns)])
    if bad:
        raise RuntimeError(f"{len(bad)} windows not opened (e.g. {bad[:3]})")


def open_windows(sim_url, start, n):
    asyncio.run(_open_windows(sim_url, start, n))


# ---------------------------------------------------------------- measurement helpers


def children(pid):
    """pid and its descendants."""
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(d))
            except (OSError, ValueError, IndexError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def snapshot(server_pid, sim_pid, gen_pid=None):
    """CPU seconds so far: the server (with its child processes), the simulator, the generator,
    this driver (poller and sampler threads), every postgres process, the whole machine."""
    s = {"server": {p: B.cpu_of(p) for p in children(server_pid)},
         "meta-sim": B.cpu_of(sim_pid), "driver": B.cpu_of(os.getpid()),
         "postgres": B.cpu_by_comm("postgres"), "machine": B.machine_busy()}
    if gen_pid:
        s["generator"] = B.cpu_of(gen_pid)
    return s


def cpu_secs(a, b, key):
    if isinstance(a[key], dict):
        return sum(v - a[key].get(p, 0.0) for p, v in b[key].items())
    return b[key] - a[key]


def rss_kb(pid):
    return sum((L.proc_status(p) or {}).get("rss_kb") or 0 for p in children(pid))


def slope(samples):
    """Least-squares slope (rows/s) of (t, backlog) samples."""
    if len(samples) < 3:
        return 0.0
    n = len(samples)
    mt = sum(t for t, _ in samples) / n
    mb = sum(b for _, b in samples) / n
    den = sum((t - mt) ** 2 for t, _ in samples)
    return sum((t - mt) * (b - mb) for t, b in samples) / den if den else 0.0


def ms(x):
    return None if x is None else round(x * 1000, 1)


def replies_by_idx(poller):
    """idx -> sorted acceptance times of the replies to that message's customer."""
    out = {}
    with poller.lock:
        for r in poller.seen.values():
            try:
                out.setdefault(idx_of(r["to"]), []).append(r["at"])
            except ValueError:
                out.setdefault(-1, []).append(r["at"])
    return out


# ---------------------------------------------------------------- targets


class Omni:
    """omniportal serve on a backend: setup as bench.py, backlog and commits from the
    databases."""

    stores_data = True

    def __init__(self, kind):
        self.kind = kind
        self.name = f"omniportal + {kind}"
        self.tag = f"{os.getpid()}_ol{kind[:2]}"
        self.data_dir = os.path.join(WORK, f"data_{self.tag}")
        self.backend = (B.Postgres(self.tag) if kind == "postgres"
                        else B.Sqlite(self.tag, self.data_dir))
        self.pg = L.PgServer(B.PG["host"], B.PG["port"], B.PG["user"])
        self.own_queries = 0  # our own transactions in the bench databases (subtracted)
        self.proc = None

    def start(self, sim_url, token):
        os.makedirs(self.data_dir)
        self.backend.setup()
        port = L.free_port()
        env = B.omni_env(self.backend, self.data_dir, port, sim_url)
        L.log(f"{self.name}: seeding {len(STORES)} stores")
        L.cli(B.BIN_DIR, env, "owner", "create", "--email", "bench@example.pk", "--password",
              "bench-password-123")
        for s in STORES:
            L.setup_store(B.BIN_DIR, env, "bench@example.pk", f"Bench {s['pnid'][-5:]}",
                          s["pnid"], s["waba"], "+" + s["display"], token, REPLY_TEXT)
        self.proc = B.start(f"omniportal_{self.tag}", [os.path.join(B.BIN_DIR, "omniportal"),
                                                      "serve"], env=env)
        L.wait_http(f"http://127.0.0.1:{port}/readyz", timeout=60, proc=self.proc)
        return f"http://127.0.0.1:{port}/api/webhooks/whatsapp"

    def backlog(self):
        sql = ("SELECT (SELECT count(*) FROM webhook_inbox WHERE state IN ('pending','leased')), "
               "(SELECT count(*) FROM outbox WHERE state IN ('pending','sending'))")
        if self.kind == "postgres":
            self.own_queries += 1
            row = self.pg.q(self.backend.db, sql)[0]
        else:
            row = self.backend.central(sql)[0]
        return int(row[0]), int(row[1])

    def commits(self):
        if self.kind != "postgres":
            return None
        p = self.backend.prefix
        return int(self.pg.scalar("postgres", "SELECT coalesce(sum(xact_commit), 0) FROM "
                                  f"pg_stat_database WHERE datname = '{self.backend.db}' OR "
                                  f"datname LIKE '{p}\\_t\\_%'") or 0)

    def reconcile(self, sent_idx, acked_idx, poller):
        """bench.py's exactly-once checks, per message."""
        be = self.backend
        keys = be.central("SELECT dedupe_key, state FROM webhook_inbox WHERE field = 'messages'")
        stored = [int(k[-12:]) for k, _ in keys]
        stored_set = set(stored)
        states = {}
        for _, s in keys:
            states[s] = states.get(s, 0) + 1
        tenant = [r[0] for r in be.tenants(
            "SELECT count(*), count(DISTINCT wamid), "
            "sum(CASE WHEN handled_at IS NOT NULL THEN 1 ELSE 0 END) "
            "FROM messages WHERE direction = 'inbound'")]
        outbox = be.central(
            "SELECT count(*), count(DISTINCT recipient), "
            "sum(CASE WHEN state = 'sent' THEN 1 ELSE 0 END), "
            "sum(CASE WHEN state = 'failed' THEN 1 ELSE 0 END) FROM outbox")[0]
        replies = replies_by_idx(poller)
        sim_replies = sum(len(v) for v in replies.values())
        t_rows = sum(int(t[0]) for t in tenant)
        t_distinct = sum(int(t[1]) for t in tenant)
        t_handled = sum(int(t[2] or 0) for t in tenant)
        c = {
            "sent": len(sent_idx), "acked": len(acked_idx),
            "inbox_rows": len(stored), "inbox_distinct": len(stored_set),
            "inbox_states": states,
            "acked_not_stored": len(acked_idx - stored_set),
            "stored_not_sent": len(stored_set - sent_idx),
            "tenant_inbound_rows": t_rows, "tenant_inbound_distinct": t_distinct,
            "tenant_handled": t_handled,
            "outbox_rows": int(outbox[0]), "outbox_distinct_recipients": int(outbox[1]),
            "outbox_sent": int(outbox[2] or 0), "outbox_failed": int(outbox[3] or 0),
            "sim_replies": sim_replies, "sim_distinct_recipients": len(replies),
            "replies_to_unknown": len(set(replies) - stored_set),
            "stored_unanswered": len(stored_set - set(replies)),
            "sim_log_overflow": poller.overflow,
        }
        c["duplicates"] = ((c["inbox_rows"] - c["inbox_distinct"]) + (t_rows - t_distinct)
                           + (c["outbox_rows"] - c["outbox_distinct_recipients"])
                           + (sim_replies - len(replies)))
        c["stored_once"] = (c["acked_not_stored"] == 0 and c["stored_not_sent"] == 0
                            and c["inbox_rows"] == c["inbox_distinct"])
        c["answered_once"] = (c["inbox_rows"] == states.get("done", 0) == t_rows == t_handled
                              == c["outbox_sent"] == sim_replies == len(replies)
                              and c["stored_unanswered"] == 0 and c["replies_to_unknown"] == 0)
        c["ok"] = (c["stored_once"] and c["answered_once"] and c["duplicates"] == 0
                   and not poller.overflow)
        return c

    def stop(self):
        if self.proc:
            B.stop(self.proc)
        self.pg.close_all()
        try:
            self.backend.cleanup()
        except Exception as e:  # noqa: BLE001
            L.log(f"cleanup failed: {e}")
        subprocess.run(["rm", "-rf", self.data_dir])


class Peer:
    """A peer bot that answers every text through the Graph API at the simulator; stores
    nothing (no backlog, no commits)."""

    stores_data = False

    def __init__(self, kind):
        self.kind = kind
        self.name = {"whatsapp-api-js": "whatsapp-api-js 6 (node:http)",
                     "pywa": "pywa_async (FastAPI, uvicorn x2)"}[kind]
        self.proc = None

    def start(self, sim_url, token):
        port = L.free_port()
        if self.kind == "whatsapp-api-js":
            # The install dir holds node_modules; the script is this checkout's.
            shutil.copy(os.path.join(HERE, "peer_whatsapp_api_js.mjs"), PEER_DIR)
            argv = ["node", os.path.join(PEER_DIR, "peer_whatsapp_api_js.mjs"), str(port),
                    L.APP_SECRET, sim_url, token, REPLY_TEXT, "v25.0"]
            env = {**ENV, "NODE_ENV": "production"}
        else:
            argv = [os.path.join(PYVENV, "bin", "uvicorn"), "peer_pywa:app", "--app-dir", HERE,
                    "--workers", "2", "--host", "127.0.0.1", "--port", str(port),
                    "--no-access-log", "--log-level", "warning"]
            env = {**ENV, "PEER_APP_SECRET": L.APP_SECRET, "PEER_GRAPH_URL": sim_url,
                   "PEER_TOKEN": token, "PEER_REPLY": REPLY_TEXT}
        self.proc = B.start(f"peer_{self.kind}", argv, env=env)
        L.wait_http(f"http://127.0.0.1:{port}/stats", timeout=60, proc=self.proc)
        return f"http://127.0.0.1:{port}/api/webhooks/whatsapp"

    def backlog(self):
        return None

    def commits(self):
        return None

    def reconcile(self, sent_idx, acked_idx, poller):
        replies = replies_by_idx(poller)
        sim_replies = sum(len(v) for v in replies.values())
        c = {"sent": len(sent_idx), "acked": len(acked_idx), "sim_replies": sim_replies,
             "sim_distinct_recipients": len(replies),
             "acked_unanswered": len(acked_idx - set(replies)),
             "replies_to_unknown": len(set(replies) - sent_idx),
             "duplicates": sim_replies - len(replies), "sim_log_overflow": poller.overflow}
        c["ok"] = (c["acked_unanswered"] == 0 and c["replies_to_unknown"] == 0
                   and c["duplicates"] == 0 and not poller.overflow)
        return c

    def stop(self):
        if self.proc:
            B.stop(self.proc)


# ---------------------------------------------------------------- one run


class Sampler(threading.Thread):
    def __init__(self, target):
        super().__init__(daemon=True, name="backlog-sampler")
        self.target, self.samples, self.halt = target, [], threading.Event()

    def run(self):
        while not self.halt.wait(SAMPLE_SECS):
            try:
                i, o = self.target.backlog()
                self.samples.append((time.time(), i, o))
            except Exception as e:  # noqa: BLE001
                L.log(f"backlog sample failed: {e}")


def run_step(target, url, sim_url, sim, poller, sampler, rate, start):
    n = int(rate * STEP_SECS)
    t_w = time.time()
    open_windows(sim_url, start, n)
    L.log(f"{target.name} {rate}/s: {n} windows opened in {time.time() - t_w:.1f}s; load")
    out = os.path.join(WORK, f"gen_{target.kind}_{rate}")
    gen = B.start(f"gen_{target.kind}_{rate}",
                  [sys.executable, os.path.abspath(__file__), "--generate", url, str(rate),
                   str(STEP_SECS), str(start), TAG, out], env=dict(ENV), stdout=subprocess.PIPE)
    line = gen.stdout.readline().decode()
    if not line.startswith("START "):
        gen.wait(30)
        raise RuntimeError(f"generator did not start: {line!r} (see gen log)")
    t0 = float(line.split()[1])
    time.sleep(max(0.0, t0 - time.time()))
    spid = target.proc.pid
    c0, k0, q0 = snapshot(spid, sim.pid, gen.pid), target.commits(), getattr(target, "own_queries", 0)
    time.sleep(max(0.0, t0 + STEP_SECS - time.time()))
    t1 = time.time()
    c1, k1 = snapshot(spid, sim.pid, gen.pid), target.commits()
    rss = rss_kb(spid)
    end_backlog = target.backlog()
    gen.wait(REQUEST_TIMEOUT + 60)
    B.stop(gen)
    meta, sent, done, status = load_gen(out)
    os.remove(out + ".bin")

    acked = [k for k in range(n) if status[k] == 200]
    acked_idx = {start + k for k in acked}
    sent_idx = {start + k for k in range(n) if sent[k]}
    not_ok = {}
    for k in range(n):
        if status[k] != 200:
            key = {0: "no answer", -1: "connection error", -2: "timeout"}.get(status[k],
                                                                          str(status[k]))
            not_ok[key] = not_ok.get(key, 0) + 1

    # The drain: every acknowledged message of the step answered, nothing open.
    L.log(f"{target.name} {rate}/s: load done ({len(acked)} acked); draining")
    t_d = time.time()
    last_n, last_change, drained = -1, time.time(), False
    while True:
        got = replies_by_idx(poller)
        missing = sum(1 for i in acked_idx if i not in got)
        bl = target.backlog()
        if missing == 0 and (bl is None or bl == (0, 0)):
            drained = True
            break
        if missing != last_n:
            last_n, last_change = missing, time.time()
        if time.time() - t_d > DRAIN_TIMEOUT or time.time() - last_change > 60:
            L.log(f"{target.name} {rate}/s: drain did not finish: {missing} unanswered, "
                  f"backlog {bl}")
            break
        time.sleep(0.5)
    t2 = time.time()
    time.sleep(2)  # pg_stat_database: let the backends flush their counters
    c2, k2 = snapshot(spid, sim.pid), target.commits()
    q2 = getattr(target, "own_queries", 0)

    sched = lambda k: t0 + k / rate  # noqa: E731
    lag = [sent[k] - sched(k) for k in range(n) if sent[k]]
    in_step = sum(1 for k in range(n) if sent[k] and sent[k] <= t1)
    ack_lat = [done[k] - sched(k) for k in acked]
    acked_in_step = sum(1 for k in acked if done[k] <= t1)
    got = replies_by_idx(poller)
    reply_lat = [min(got[start + k]) - sched(k) for k in acked if start + k in got]
    unanswered = len(acked) - len(reply_lat)
    secs = t1 - t0
    cores = {k: round(cpu_secs(c0, c1, k) / secs, 2)
             for k in ("server", "postgres", "meta-sim", "generator", "driver")}
    cores["other"] = round(max(0.0, (c1["machine"] - c0["machine"]) / secs - sum(cores.values())),
                           2)
    per_msg = max(1, len(acked))
    s = {
        "rate": rate, "messages": n, "t0": t0, "step_secs": round(secs, 2),
        "offered_per_s": round(in_step / secs, 1),
        "generator": {**meta, "lag_p50_ms": ms(L.pct(lag, 50)), "lag_p99_ms": ms(L.pct(lag, 99)),
                      "lag_max_ms": ms(max(lag) if lag else None),
                      "cpu_cores": cores["generator"]},
        "acked": len(acked), "acked_per_s": round(acked_in_step / secs, 1), "not_ok": not_ok,
        "ack_ms": {"p50": ms(L.pct(ack_lat, 50)), "p99": ms(L.pct(ack_lat, 99)),
                   "max": ms(max(ack_lat) if ack_lat else None)},
        "reply_ms": {"p50": ms(L.pct(reply_lat, 50)), "p99": ms(L.pct(reply_lat, 99)),
                     "max": ms(max(reply_lat) if reply_lat else None)},
        "unanswered": unanswered,
        "drained": drained, "drain_secs": round(t2 - t_d, 1),
        "cpu_cores": cores,
        "server_us_per_msg": round(cpu_secs(c0, c2, "server") / per_msg * 1e6),
        "postgres_us_per_msg": (round(cpu_secs(c0, c2, "postgres") / per_msg * 1e6)
                                if target.stores_data and target.kind == "postgres" else None),
        "sim_us_per_msg": round(cpu_secs(c0, c2, "meta-sim") / per_msg * 1e6),
        "server_rss_mb": round(rss / 1024, 1),
    }
    if k0 is not None:
        s["commits_per_msg"] = round((k2 - k0 - (q2 - q0)) / per_msg, 2)
        s["commits_per_msg_during_step"] = round((k1 - k0) / per_msg, 2)
    if end_backlog is not None:
        samples = [(t, i + o) for t, i, o in sampler.samples if t0 <= t <= t1]
        half = [x for x in samples if x[0] >= t0 + secs / 2]
        sl = slope(half)
        s["backlog_end"] = {"inbox": end_backlog[0], "outbox": end_backlog[1]}
        s["backlog_samples"] = [(round(t - t0, 1), b) for t, b in samples]
        s["backlog_slope_per_s"] = round(sl, 1)
        s["backlog_grows"] = (sl > 0.02 * rate and sum(end_backlog) > 0.25 * rate)
    reasons = []
    if not drained:
        reasons.append("drain did not finish")
    if not_ok:
        reasons.append(f"{sum(not_ok.values())} not acknowledged")
    if s["offered_per_s"] < 0.95 * rate:
        reasons.append(f"{MAX_CONNS} requests unanswered at once, the rest waited at the generator"
                       if meta["peak_conns"] >= MAX_CONNS else "generator behind schedule")
    if unanswered or not reply_lat or L.pct(reply_lat, 99) >= P99_LIMIT:
        reasons.append("reply p99 >= 2 s")
    if s.get("backlog_grows"):
        reasons.append("backlog grows")
    s["sustained"] = not reasons
    s["why_not"] = reasons
    L.log(f"{target.name} {rate}/s: offered {s['offered_per_s']}/s, acked {s['acked_per_s']}/s, "
          f"ack p99 {s['ack_ms']['p99']} ms, reply p50/p99/max {s['reply_ms']}, "
          f"backlog {end_backlog}, cores {cores}, "
          f"{'sustained' if s['sustained'] else 'NOT sustained: ' + ', '.join(reasons)}")
    return s, sent_idx, acked_idx


def run_target(target):
    sim_port = L.free_port()
    sim_url = f"http://127.0.0.1:{sim_port}"
    sim_api = L.SimApi(sim_url)
    result = {"target": target.name, "kind": target.kind, "stores_data": target.stores_data,
              "steps": [], "not_run": []}
    sim = poller = sampler = None
    try:
        sim = B.start(f"meta-sim_{target.kind}", [os.path.join(B.BIN_DIR, "meta-sim"), "--port",
                                                  str(sim_port), "--no-auto-statuses"],
                      env={**ENV, "RUST_LOG": "warn"})
        L.wait_http(sim_url + "/_sim/state", timeout=60, proc=sim)
        for s in STORES:
            sim_api.seed_number(s["waba"], s["pnid"], "+" + s["display"], max_mps=B.MPS,
                                name="Bench WABA", business_id="27290634905" + s["waba"][-5:],
                                verified_name="Bench Store")
        token = sim_api.token([s["waba"] for s in STORES])
        url = target.start(sim_url, token)
        poller = L.SentPoller(sim_api, every=1.0)
        poller.start()
        sampler = Sampler(target)
        if target.backlog() is not None:
            sampler.start()
        start, sent_all, acked_all, stop = 0, set(), set(), None
        for rate in RATES:
            if stop:
                result["not_run"].append({"rate": rate, "why": stop})
                continue
            s, sent_idx, acked_idx = run_step(target, url, sim_url, sim, poller, sampler, rate,
                                              start)
            result["steps"].append(s)
            sent_all |= sent_idx
            acked_all |= acked_idx
            start += s["messages"]
            if not s["drained"]:
                stop = f"the {rate}/s step's drain did not finish"
            elif STOP_AFTER_FAIL and not s["sustained"]:
                stop = f"{rate}/s was not sustained"
        sampler.halt.set()
        poller.stop()
        result["checks"] = target.reconcile(sent_all, acked_all, poller)
        ok = [s["rate"] for s in result["steps"] if s["sustained"]]
        result["sustained_capacity"] = max(ok) if ok else None
        L.log(f"{target.name}: sustained capacity {result['sustained_capacity']}/s; "
              f"exactly once {'OK' if result['checks']['ok'] else 'FAILED'} "
              f"{json.dumps(result['checks'])}")
        return result
    finally:
        if sampler:
            sampler.halt.set()
        if poller and poller.is_alive():
            poller.halt.set()
        target.stop()
        if sim:
            B.stop(sim)


# ---------------------------------------------------------------- report


def fmt(x, nd=0, unit=""):
    if x is None:
        return "n/a"
    return f"{x:,.{nd}f}{unit}"


def table(results):
    lines = ["| server | rate | offered/s | acked/s | ack p50 / p99 | reply p50 / p99 / max | "
             "backlog at end (grows) | commits/msg | server µs/msg | Postgres µs/msg | "
             "server RSS | cores: server / pg / sim / gen / driver / other | sustained |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in results:
        label = r["target"] + ("" if r["stores_data"] else " — stores nothing")
        for s in r["steps"]:
            c = s["cpu_cores"]
            bl = s.get("backlog_end")
            backlog = (f"{bl['inbox'] + bl['outbox']:,} ({'grows' if s['backlog_grows'] else 'flat'})"
                       if bl else "n/a")
            reply = (f"{fmt(s['reply_ms']['p50'])} / {fmt(s['reply_ms']['p99'])} / "
                     f"{fmt(s['reply_ms']['max'])} ms")
            if s["unanswered"]:
                reply += f" ({s['unanswered']:,} unanswered)"
            if not s["drained"]:
                reply += " **drain did not finish**"
            verdict = "yes" if s["sustained"] else "no: " + ", ".join(s["why_not"])
            lines.append(
                f"| {label} | {s['rate']:,} | {fmt(s['offered_per_s'])} | {fmt(s['acked_per_s'])} | "
                f"{fmt(s['ack_ms']['p50'], 1)} / {fmt(s['ack_ms']['p99'], 1)} ms | {reply} | "
                f"{backlog} | {fmt(s.get('commits_per_msg'), 1)} | {fmt(s['server_us_per_msg'])} | "
                f"{fmt(s['postgres_us_per_msg'])} | {fmt(s['server_rss_mb'], 0, ' MB')} | "
                f"{c['server']} / {c['postgres']} / {c['meta-sim']} / {c['generator']} / "
                f"{c['driver']} / {c['other']} | {verdict} |")
        for nr in r["not_run"]:
            lines.append(f"| {label} | {nr['rate']:,} | not run: {nr['why']} "
                         + "| " * 10 + "|")
    return "\n".join(lines)


def machine_now():
    ps = subprocess.run(["ps", "-eo", "pcpu,etimes,comm", "--sort=-pcpu"], capture_output=True,
                        text=True).stdout.splitlines()[:8]
    with open("/proc/loadavg") as f:
        load = f.read().split()[:3]
    return {"utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "loadavg": load,
            "top": ps}


def main():
    os.makedirs(WORK, exist_ok=True)
    settings = {"rates": RATES, "step_secs": STEP_SECS, "backends": BACKENDS, "peers": PEERS
                if PEER else [], "stores": len(STORES), "mps": B.MPS, "max_conns": MAX_CONNS,
                "drain_timeout": DRAIN_TIMEOUT, "stop_after_fail": STOP_AFTER_FAIL}
    try:
        commit = subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = "?"
    out = {"settings": settings, "commit": commit, "machine_at_start": machine_now(),
           "results": []}
    path = os.path.join(WORK, "open_loop.json")
    targets = [Omni(k) for k in BACKENDS] + ([Peer(p) for p in PEERS] if PEER else [])
    try:
        for t in targets:
            L.log(f"== {t.name}: rates {RATES}, {STEP_SECS}s each")
            try:
                out["results"].append(run_target(t))
            except Exception as e:  # noqa: BLE001
                L.log(f"{t.name} failed: {e!r}")
                out["results"].append({"target": t.name, "kind": t.kind, "error": repr(e),
                                       "stores_data": t.stores_data, "steps": [],
                                       "not_run": []})
    finally:
        B.stop_all()
        out["machine_at_end"] = machine_now()
        with open(path, "w") as f:
            json.dump(out, f, indent=1)

    print()
    short = " (short preliminary run: STEP_SECS < 60)" if STEP_SECS < 60 else ""
    print(f"## Open-loop capacity, commit {commit}, {STEP_SECS} s per rate, {len(STORES)} "
          f"stores{short}")
    print()
    print(table(out["results"]))
    print()
    caps = {}
    for r in out["results"]:
        if "error" in r:
            print(f"- {r['target']}: FAILED: {r['error']}")
            continue
        caps[r["kind"]] = r["sustained_capacity"]
        chk = r["checks"]
        what = ("stored once, answered once, 0 duplicates" if chk["ok"]
                else "FAILED: " + json.dumps(chk))
        if r["stores_data"]:
            print(f"- {r['target']}: sustained capacity "
                  f"{fmt(r['sustained_capacity'], 0, '/s') if r['sustained_capacity'] else 'none of the rates'}; "
                  f"exactly once: {what} ({chk['acked']:,} acked, {chk['inbox_rows']:,} stored, "
                  f"{chk['sim_replies']:,} replies)")
        else:
            print(f"- {r['target']} (stores nothing): sustained capacity "
                  f"{fmt(r['sustained_capacity'], 0, '/s') if r['sustained_capacity'] else 'none of the rates'}; "
                  f"{'every acknowledged text answered once' if chk['ok'] else 'FAILED: ' + json.dumps(chk)}")
        for s in r["steps"]:
            g = s["generator"]
            print(f"  - {s['rate']}/s: generator lag p50/p99/max {g['lag_p50_ms']}/"
                  f"{g['lag_p99_ms']}/{g['lag_max_ms']} ms, {g['peak_conns']} connections at "
                  f"most, {g['cpu_cores']} cores ({g['loop']}); drain {s['drain_secs']} s")
    for kind in BACKENDS:
        for p in (PEERS if PEER else []):
            a, b = caps.get(kind), caps.get(p)
            if a and b:
                print(f"- ratio {kind} / {p}: {a / b:.2f}x sustained capacity")
    print(f"\nfull results: {path}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--generate"]:
        generate(sys.argv[2:])
        sys.exit(0)
    if sys.argv[1:] in (["-h"], ["--help"]):
        print(__doc__)
        sys.exit(0)
    if sys.argv[1:]:
        sys.exit("open_loop.py takes no arguments (settings come from the environment); "
                 "see --help")
    try:
        main()
    except KeyboardInterrupt:
        B.stop_all()
        sys.exit(130)
