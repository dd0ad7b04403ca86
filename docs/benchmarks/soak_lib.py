"""Shared pieces of soak.py and scale.py, and the helpers bench.py uses too (logging, ports,
HTTP, the simulator API and its log poller, the CLI, CPU seconds); Python 3.11, standard
library only.

- `World`: what a soak or scale run starts from (settings, seed, Postgres, the run's database
  tag, work directory) and `start_world`: central database, simulator with the numbers seeded,
  APP_KEY, server environment, owner; `stop_world`, `result_head`, `write_result`,
  `print_outcome` for the end of a run;
- `Pg`: a minimal PostgreSQL wire-protocol client (startup with trust auth, simple queries),
  so the drivers can sample `pg_stat_activity` several times a second and read 2,000 tenant
  databases without starting a `psql` process per query;
- `SimApi`: the simulator's `/_sim` API at a URL (seeding, tokens, windows, faults, the log of
  accepted sends); `Sim`: the `meta-sim` binary as Meta; `SentPoller`: that log through
  `GET /_sim/messages`, unioned by wamid because the simulator keeps only the newest 10,000;
- `Server`: an `omniportal serve` child process (one incarnation per start) with the
  environment of `crates/app/tests/support_processes` (`Env::process_env`);
- `Load`: Meta's webhook sender: signed single-message webhooks (HMAC-SHA256 of the app secret
  over the exact body bytes), round-robin over the servers, every attempt that is not a 200
  retried (next server, backoff 50 ms doubling to 800 ms), each attempt timed;
- `reconcile`: the end state, read from the simulator and the databases, never from the
  service's counters (the same rules as `support_processes::reconcile`).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import math
import os
import queue
import random
import re
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import datetime

APP_SECRET = "sim-app-secret"
APP_ID = "1234567890"
BUSINESS_ID = "2729063490586005"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def retry(fn, attempts, pause, what):
    """fn() until it returns, at most `attempts` times `pause` seconds apart; each failure but
    the last is logged as `what: error; retrying`, the last one is raised."""
    for attempt in range(attempts):
        try:
            return fn()
        except Exception as e:  # noqa: BLE001
            if attempt == attempts - 1:
                raise
            log(f"{what}: {e}; retrying")
            time.sleep(pause)
    raise ValueError("attempts must be at least 1")


def pct(xs, p):
    """The p-th percentile (nearest rank) of xs, or None."""
    xs = sorted(x for x in xs if x is not None)
    if not xs:
        return None
    k = max(0, min(len(xs) - 1, math.ceil(p / 100.0 * len(xs)) - 1))
    return xs[k]


def summary(xs, scale=1.0, nd=1):
    xs = [x for x in xs if x is not None]
    if not xs:
        return {"n": 0}
    r = lambda v: round(v * scale, nd)  # noqa: E731
    return {"n": len(xs), "min": r(min(xs)), "p50": r(pct(xs, 50)), "p95": r(pct(xs, 95)),
            "p99": r(pct(xs, 99)), "max": r(max(xs)), "mean": r(statistics.fmean(xs))}


def parse_at(s: str) -> float:
    """`2026-11-30T05:27:03.123456789Z` -> epoch seconds."""
    m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$", s)
    base = datetime.fromisoformat(m.group(1) + "+00:00").timestamp()
    return base + (float("0." + m.group(2)) if m.group(2) else 0.0)


def machine_info(pg: "PgServer") -> dict:
    info = {}
    info["nproc"] = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    info["free_g"] = subprocess.run(["free", "-g"], capture_output=True, text=True).stdout
    try:
        with open("/proc/cpuinfo") as f:
            models = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        info["cpu"] = models[0] if models else "?"
    except OSError:
        pass
    info["kernel"] = os.uname().release
    try:
        info["postgres"] = pg.scalar("postgres", "SELECT version()")
        info["max_connections"] = int(pg.scalar("postgres", "SHOW max_connections"))
        info["superuser_reserved_connections"] = int(
            pg.scalar("postgres", "SHOW superuser_reserved_connections"))
    except Exception as e:  # noqa: BLE001
        info["postgres"] = f"unknown: {e}"
    info["python"] = sys.version.split()[0]
    return info


# ------------------------------------------------------------------------------ Postgres


class PgError(Exception):
    pass


class Pg:
    """One connection, simple query protocol, text results (None for NULL)."""

    def __init__(self, host, port, user, database, app="soak-driver", timeout=60):
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        params = b""
        for k, v in (("user", user), ("database", database), ("application_name", app)):
            params += k.encode() + b"\0" + v.encode() + b"\0"
        params += b"\0"
        body = struct.pack("!i", 196608) + params
        self.sock.sendall(struct.pack("!i", len(body) + 4) + body)
        for t, payload in self._until_ready():
            if t == b"R":
                (code,) = struct.unpack("!i", payload[:4])
                if code != 0:
                    raise PgError(f"authentication method {code} requested: the drivers need "
                                  "trust authentication (or use a local trust rule)")
            elif t == b"E":
                raise PgError(self._err(payload))

    def _recv(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise PgError("connection closed by the server")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def _read(self):
        head = self._recv(5)
        t = head[:1]
        (length,) = struct.unpack("!i", head[1:])
        return t, self._recv(length - 4)

    def _until_ready(self):
        """The server's messages (type, payload) up to ReadyForQuery, which ends the
        iteration (and is not yielded)."""
        while True:
            t, payload = self._read()
            if t == b"Z":
                return
            yield t, payload

    @staticmethod
    def _err(payload):
        fields = {}
        for part in payload.split(b"\0"):
            if part:
                fields[chr(part[0])] = part[1:].decode(errors="replace")
        return f"{fields.get('S', 'ERROR')} {fields.get('C', '')}: {fields.get('M', '')}"

    def query(self, sql):
        data = sql.encode() + b"\0"
        self.sock.sendall(b"Q" + struct.pack("!i", len(data) + 4) + data)
        rows, error = [], None
        for t, p in self._until_ready():
            if t == b"D":
                (n,) = struct.unpack("!h", p[:2])
                off, row = 2, []
                for _ in range(n):
                    (ln,) = struct.unpack("!i", p[off:off + 4])
                    off += 4
                    if ln < 0:
                        row.append(None)
                    else:
                        row.append(p[off:off + ln].decode())
                        off += ln
                rows.append(row)
            elif t == b"E":
                error = self._err(p)
        if error:
            raise PgError(error)
        return rows

    def close(self):
        try:
            self.sock.sendall(b"X" + struct.pack("!i", 4))
        except OSError:
            pass
        self.sock.close()


class PgServer:
    """The Postgres server: short-lived connections per call, a kept one per database for
    frequent queries (reconnected when it breaks)."""

    def __init__(self, host="127.0.0.1", port=5432, user="postgres"):
        self.host, self.port, self.user = host, int(port), user
        self.kept = {}
        self.lock = threading.Lock()

    def url(self, db):
        return f"postgres://{self.user}@{self.host}:{self.port}/{db}"

    def connect(self, db, app="soak-driver"):
        return Pg(self.host, self.port, self.user, db, app)

    def q(self, db, sql, retries=3):
        """Query on a kept connection (one per database, serialised)."""
        for attempt in range(retries):
            with self.lock:
                conn = self.kept.pop(db, None)
            try:
                if conn is None:
                    conn = self.connect(db)
                rows = conn.query(sql)
                with self.lock:
                    old = self.kept.setdefault(db, conn)
                if old is not conn:
                    conn.close()
                return rows
            except (PgError, OSError) as e:
                if conn is not None:
                    try:
                        conn.sock.close()
                    except OSError:
                        pass
                # A terminated backend (our own fault injection) or a restart: reconnect.
                # Anything else (an SQL error) is raised at once.
                text = str(e)
                transient = (isinstance(e, OSError) or "57P0" in text
                             or "connection closed" in text or " 08" in text)
                if attempt == retries - 1 or not transient:
                    raise
                time.sleep(0.2)
        raise AssertionError("unreachable")

    def scalar(self, db, sql):
        rows = self.q(db, sql)
        return rows[0][0] if rows else None

    def count(self, db, sql):
        return int(self.scalar(db, sql) or 0)

    def close_all(self):
        with self.lock:
            conns, self.kept = list(self.kept.values()), {}
        for c in conns:
            c.close()

    def databases(self, like):
        return [r[0] for r in self.q("postgres",
                                     f"SELECT datname FROM pg_database WHERE datname LIKE '{like}' "
                                     "ORDER BY datname")]

    def drop_databases(self, names, log_every=200):
        """DROP DATABASE .. WITH (FORCE) for each; returns the ones that could not be dropped
        (after retries)."""
        failed = []
        for i, d in enumerate(names):
            for attempt in range(5):
                try:
                    self.q("postgres", f'DROP DATABASE IF EXISTS "{d}" WITH (FORCE)')
                    break
                except (PgError, OSError) as e:
                    if attempt == 4:
                        failed.append((d, str(e)))
                    time.sleep(0.5 * (attempt + 1))
            if log_every and (i + 1) % log_every == 0:
                log(f"dropped {i + 1}/{len(names)} databases")
        return failed


# ------------------------------------------------------------------------------ processes


def http_json(method, url, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        raw = r.read()
        return json.loads(raw) if raw else None


def wait_http(url, timeout=90, proc=None):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited ({proc.returncode}) before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except Exception as e:  # noqa: BLE001
            last = e
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer 200 in {timeout}s ({last})")


def proc_status(pid):
    """RSS (KiB), threads and open file descriptors of a live process, or None."""
    try:
        rss, threads = None, None
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
                elif line.startswith("Threads:"):
                    threads = int(line.split()[1])
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        return {"rss_kb": rss, "threads": threads, "fds": fds}
    except (OSError, ValueError):
        return None


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid, default=None):
    """User + system CPU seconds of a process, or `default` when it cannot be read."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            parts = f.read().rsplit(")", 1)[1].split()
        return (int(parts[11]) + int(parts[12])) / TICK
    except (OSError, IndexError, ValueError):
        return default


def build(root, bin_dir=None):
    """The release binaries: `cargo build --release` unless --bin-dir is given."""
    if bin_dir:
        return bin_dir
    log("cargo build --release -p omni-app -p omni-meta-sim (several minutes on 2 cores)")
    subprocess.run(["cargo", "build", "--release", "-p", "omni-app", "-p", "omni-meta-sim",
                    "--bin", "omniportal", "--bin", "meta-sim"], cwd=root, check=True)
    meta = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=root,
                          check=True, capture_output=True, text=True).stdout
    return os.path.join(json.loads(meta)["target_directory"], "release")


class SimApi:
    """The simulator's test API at `url` (`/_sim/...`), whoever started the process."""

    def __init__(self, url):
        self.url = url

    def seed_number(self, waba, pnid, display, max_mps=1000, name="Soak Store",
                    business_id=BUSINESS_ID, verified_name=None):
        """One WABA `name` with one registered number (`verified_name`, default `name`)."""
        http_json("POST", self.url + "/_sim/wabas", {
            "waba_id": waba, "business_id": business_id, "name": name,
            "numbers": [{"id": pnid, "display_phone_number": display,
                         "verified_name": verified_name or name,
                         "max_mps": max_mps, "registered": True}]})

    def token(self, wabas):
        return http_json("POST", self.url + "/_sim/tokens", {"waba_ids": list(wabas)})[
            "access_token"]

    def open_window(self, pnid, wa_id):
        http_json("POST", self.url + "/_sim/windows", {"phone_number_id": pnid, "wa_id": wa_id})

    def fault(self, rule):
        http_json("POST", self.url + "/_sim/faults", rule)

    def clear_faults(self):
        http_json("DELETE", self.url + "/_sim/faults")

    def messages(self):
        return http_json("GET", self.url + "/_sim/messages", timeout=120)


class Sim(SimApi):
    """`meta-sim` as a child process, without a webhook target: this driver plays Meta's
    webhook sender itself (so it can time each acknowledgement, spread deliveries over two
    servers and retry on the other one), and the simulator only answers the Graph API."""

    def __init__(self, bin_dir, work, extra_args=()):
        self.out_path = os.path.join(work, "meta-sim.out")
        self.log_path = os.path.join(work, "meta-sim.log")
        self.proc = subprocess.Popen(
            [os.path.join(bin_dir, "meta-sim"), "--port", "0", "--no-auto-statuses",
             "--app-id", APP_ID, "--app-secret", APP_SECRET, *extra_args],
            stdout=open(self.out_path, "wb"), stderr=open(self.log_path, "ab"),
            start_new_session=True, env={**os.environ, "RUST_LOG": "warn"})
        deadline = time.time() + 30
        self.url = None
        while time.time() < deadline and not self.url:
            with open(self.out_path, "rb") as f:
                m = re.search(rb"meta-sim listening on (http://\S+)", f.read())
            if m:
                self.url = m.group(1).decode()
            elif self.proc.poll() is not None:
                raise RuntimeError("meta-sim exited at start")
            else:
                time.sleep(0.1)
        if not self.url:
            raise RuntimeError("meta-sim did not print its address")
        self.pid = self.proc.pid

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class SentPoller(threading.Thread):
    """Unions the simulator's capped log of accepted sends by wamid. The log keeps the newest
    10,000; a poll that returns a full log and nothing already seen means some sends fell out
    unseen (`overflow`), which fails reconciliation."""

    CAP = 10_000

    def __init__(self, sim, every=3.0):
        super().__init__(daemon=True, name="sent-poller")
        self.sim, self.every = sim, every
        self.seen = {}  # wamid -> record
        self.overflow = False
        self.halt = threading.Event()
        self.lock = threading.Lock()
        self.errors = 0

    def poll(self):
        records = self.sim.messages()
        with self.lock:
            new = 0
            for r in records:
                if r["wamid"] not in self.seen:
                    self.seen[r["wamid"]] = {
                        "pnid": r["phone_number_id"], "to": r["to"].lstrip("+"),
                        "text": (r.get("body") or {}).get("text", {}).get("body"),
                        "kind": r.get("kind"), "at": parse_at(r["at"])}
                    new += 1
            if len(records) >= self.CAP and new == len(records) and len(self.seen) > new:
                self.overflow = True
        return new

    def run(self):
        while not self.halt.is_set():
            try:
                new = self.poll()
            except Exception as e:  # noqa: BLE001
                self.errors += 1
                log(f"simulator poll failed: {e}")
                new = 0
            self.halt.wait(0.5 if new > self.CAP // 3 else self.every)

    def stop(self):
        self.halt.set()
        self.join(30)
        self.poll()

    def count(self):
        with self.lock:
            return len(self.seen)

    def by_recipient(self):
        with self.lock:
            out = {}
            for wamid, r in self.seen.items():
                out.setdefault((r["pnid"], r["to"]), []).append({**r, "wamid": wamid})
            return out


class Server:
    """One `omniportal serve` slot on a fixed port; each start is a new incarnation."""

    def __init__(self, bin_dir, work, name, port, env):
        self.bin_dir, self.work, self.name, self.port, self.env = bin_dir, work, name, port, env
        self.proc = None
        self.incarnation = 0
        self.pid = None
        self.started_at = None
        self.log_path = os.path.join(work, f"{name}.log")
        self.expected_exit = False

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout=120):
        self.incarnation += 1
        logf = open(self.log_path, "ab")
        logf.write(f"\n===== {self.name} incarnation {self.incarnation} "
                   f"{time.strftime('%H:%M:%S')} =====\n".encode())
        logf.flush()
        self.proc = subprocess.Popen(
            [os.path.join(self.bin_dir, "omniportal"), "serve", "--port", str(self.port)],
            env=self.env, stdout=logf, stderr=logf, stdin=subprocess.DEVNULL,
            start_new_session=True)
        logf.close()
        self.pid = self.proc.pid
        self.expected_exit = False
        t0 = time.time()
        wait_http(self.url + "/readyz", timeout, self.proc)
        self.started_at = time.time()
        return self.started_at - t0

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        self.expected_exit = True
        self.proc.send_signal(signal.SIGKILL)
        return self.proc.wait()

    def sigterm(self, timeout=60):
        self.expected_exit = True
        t0 = time.time()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = f"did not exit in {timeout}s (SIGKILLed)"
            self.proc.wait()
        return code, time.time() - t0

    def stop(self, timeout=30):
        if self.alive():
            return self.sigterm(timeout)
        return None, 0.0


def omni_env(central_url, prefix, data_dir, app_key, sim_url, extra=None):
    """The environment of every omniportal process: as support_processes::Env::process_env
    (no developer settings leak in), plus JSON logs."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DATABASE_URL": central_url,
        "OMNI_DATABASE__TENANT_DATABASE_PREFIX": prefix,
        "OMNI_DATABASE__DATA_DIR": data_dir,
        "APP_KEY": app_key,
        "META_APP_ID": APP_ID,
        "META_APP_SECRET": APP_SECRET,
        "OMNI_META__GRAPH_BASE_URL": sim_url,
        "OMNI_META__DIALOG_BASE_URL": sim_url,
        "OMNI_META__TIMEOUT_SECS": "5",
        "OMNI_PIPELINE__POLL_INTERVAL_MS": "50",
        "OMNI_PIPELINE__INBOX_LEASE_SECS": "15",
        "OMNI_PIPELINE__SENDER_LEASE_SECS": "3",
        "OMNI_SERVER__SHUTDOWN_TIMEOUT_SECS": "10",
        "OMNI_LOG__FORMAT": "json",
        "RUST_LOG": "info",
    }
    env.update(extra or {})
    return env


def cli(bin_dir, env, *args, timeout=300):
    out = subprocess.run([os.path.join(bin_dir, "omniportal"), *args], env=env,
                         capture_output=True, text=True, stdin=subprocess.DEVNULL,
                         timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"omniportal {' '.join(args[:2])} failed ({out.returncode}): "
                           f"{out.stderr.strip()[-2000:]} {out.stdout.strip()[-500:]}")
    return out.stdout


def keys_generate(bin_dir):
    out = subprocess.run([os.path.join(bin_dir, "omniportal"), "keys", "generate"],
                         env={"PATH": os.environ.get("PATH", "")}, capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


def setup_store(bin_dir, env, owner_email, name, pnid, waba, phone, token, reply):
    """`store create` + `store auto-reply` + `account add`, timed; the store id."""
    t = {}
    t0 = time.time()
    out = cli(bin_dir, env, "store", "create", "--owner-email", owner_email, "--name", name)
    t["create"] = time.time() - t0
    m = re.match(r"store ([0-9a-f-]{36}) created", out)
    if not m:
        raise RuntimeError(f"unexpected `store create` output: {out!r}")
    store = m.group(1)
    t0 = time.time()
    cli(bin_dir, env, "store", "auto-reply", "--store", store, "--text", reply)
    t["auto_reply"] = time.time() - t0
    t0 = time.time()
    cli(bin_dir, env, "account", "add", "--store", store, "--phone-number-id", pnid, "--waba",
        waba, "--phone", phone, "--token", token)
    t["account_add"] = time.time() - t0
    return store, t


def add_pg_args(ap):
    """--pg-host, --pg-port, --pg-user (defaults PGHOST, PGPORT, PGUSER, else 127.0.0.1:5432
    as postgres): the Postgres server a `World` uses."""
    ap.add_argument("--pg-host", default=os.environ.get("PGHOST", "127.0.0.1"))
    ap.add_argument("--pg-port", default=os.environ.get("PGPORT", "5432"))
    ap.add_argument("--pg-user", default=os.environ.get("PGUSER", "postgres"))


class World:
    """What a soak or scale run starts from: the settings (`args`: seed, pg_host/port/user,
    work_dir), the seeded random source, the Postgres server, the run's tag (`<kind>_<pid>_<n>`:
    the central database's name and the tenant databases' prefix), the work and data
    directories, and the lists the run fills."""

    def __init__(self, args, kind):
        self.args = args
        self.seed = args.seed if args.seed is not None else int(time.time())
        self.rng = random.Random(self.seed)
        self.pg = PgServer(args.pg_host, args.pg_port, args.pg_user)
        self.tag = f"{kind}_{os.getpid()}_{int(time.time()) % 100000}"
        self.central = self.tag
        self.prefix = self.tag
        self.work = args.work_dir
        self.data_dir = os.path.join(self.work, "data")
        self.stores = []
        self.msgs = []
        self.halt = threading.Event()
        self.sim = None
        self.problems = []

    def start_world(self, bin_dir, numbers, owner_email, password):
        """The work directory without the last run's logs, the central database, `meta-sim`
        with `numbers` ((pnid, waba, display) each, one WABA per number) seeded, the APP_KEY,
        the servers' environment (`self.env`) and the owner (`owner create`). Returns a
        simulator token for every seeded WABA."""
        os.makedirs(self.work, exist_ok=True)
        for f in os.listdir(self.work):
            if f.endswith((".log", ".out")):
                os.remove(os.path.join(self.work, f))
        os.makedirs(self.data_dir, exist_ok=True)
        self.bin_dir = bin_dir
        self.pg.q("postgres", f"CREATE DATABASE {self.central}")
        self.sim = Sim(bin_dir, self.work)
        log(f"meta-sim at {self.sim.url}; central database {self.central}")
        t0 = time.time()
        for pnid, waba, display in numbers:
            self.sim.seed_number(waba, pnid, "+" + display)
        token = self.sim.token([w for _, w, _ in numbers])
        log(f"{len(numbers)} numbers seeded at the simulator in {time.time() - t0:.1f}s")
        self.app_key = keys_generate(bin_dir)
        self.env = omni_env(self.pg.url(self.central), self.prefix, self.data_dir, self.app_key,
                            self.sim.url)
        cli(bin_dir, self.env, "owner", "create", "--email", owner_email, "--password", password)
        return token

    def stop_world(self, servers):
        """Stops the run's threads (`halt`), the servers, the simulator, and closes the kept
        Postgres connections."""
        self.halt.set()
        for s in servers:
            try:
                s.stop(30)
            except Exception as e:  # noqa: BLE001
                log(f"stopping {s.name}: {e}")
        if self.sim:
            self.sim.stop()
        self.pg.close_all()

    def result_head(self, rec, quiet):
        """The first fields of a run's JSON result: ok (reconciliation `rec` is consistent, the
        run noted no problem of its own and ended quiet), the settings, the seed, the central
        database and the machine."""
        return {"ok": rec["ok"] and not self.problems and quiet,
                "settings": dict(vars(self.args)),
                "seed": self.seed,
                "database": self.central,
                "machine": machine_info(self.pg)}

    def write_result(self, result, default_name):
        """Writes the JSON result to --out (default WORK_DIR/`default_name`); returns the
        path."""
        out = self.args.out or os.path.join(self.work, default_name)
        with open(out, "w") as f:
            json.dump(result, f, indent=1, default=str)
        return out

    @staticmethod
    def print_outcome(r, out):
        """The end of a run's printed summary: the servers' WARN/ERROR log lines, the problems,
        PASS or FAIL and where the JSON result is."""
        warns = r["server_log_warnings"]
        if warns:
            print("- server WARN/ERROR log lines: " + "; ".join(
                f"{k} x{v['count']}" for k, v in list(warns.items())[:12]))
        if r["problems"]:
            print(f"- PROBLEMS ({len(r['problems'])}):")
            for p in r["problems"][:30]:
                print(f"  - {p}")
        print(f"- result: {'PASS' if r['ok'] else 'FAIL'}; JSON: {out}")


# ------------------------------------------------------------------------------ Meta's sender


class Msg:
    __slots__ = ("idx", "wamid", "wa_id", "store", "body", "sig", "first_try", "acked_at",
                 "ack_latency", "attempts")

    def __init__(self, idx, wamid, wa_id, store, body, sig):
        self.idx, self.wamid, self.wa_id, self.store = idx, wamid, wa_id, store
        self.body, self.sig = body, sig
        self.first_try = None
        self.acked_at = None
        self.ack_latency = None
        self.attempts = 0


def make_msg(idx, tag, store_idx, store, secret=APP_SECRET):
    """One Meta-shaped `messages` webhook with one text message from a new customer (the body
    shape of gen_webhooks.py), signed over its exact bytes."""
    wa_id = "92%010d" % (3_000_000_000 + idx)
    wamid = "wamid.HBgM%s%012d" % (tag, idx)
    body = json.dumps({
        "object": "whatsapp_business_account",
        "entry": [{"id": store["waba"], "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": store["display"],
                         "phone_number_id": store["pnid"]},
            "contacts": [{"profile": {"name": "Customer %d" % idx}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": wamid, "timestamp": str(int(time.time())),
                          "text": {"body": "mujhe 2 zinger burger chahiye, order #%d" % idx},
                          "type": "text"}]}}]}]}, separators=(",", ":")).encode()
    sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return Msg(idx, wamid, wa_id, store_idx, body, sig)


class Load:
    """Delivers webhooks like Meta: every attempt that is not a 200 is retried (round-robin
    to the next server, backoff 50 ms doubling to 800 ms) until acknowledged or `give_up`
    seconds after the first try."""

    def __init__(self, urls, workers=32, timeout=20, give_up=900):
        self.urls = list(urls)
        self.q = queue.Queue()
        self.timeout, self.give_up = timeout, give_up
        self.lock = threading.Lock()
        self.attempts = []  # (t_start, elapsed, status or error, target index, msg idx)
        self.acked = 0
        self.failed_attempts = 0
        self.gave_up = []
        self.inflight = 0
        self.threads = [threading.Thread(target=self._work, daemon=True, name=f"load-{i}")
                        for i in range(workers)]
        for t in self.threads:
            t.start()

    def submit(self, msg):
        with self.lock:
            self.inflight += 1
        self.q.put(msg)

    def close(self):
        for _ in self.threads:
            self.q.put(None)

    def status_counts(self):
        """How many delivery attempts ended in each status (200, 503, an error's name)."""
        counts = {}
        with self.lock:
            attempts = list(self.attempts)
        for _, _, status, _, _ in attempts:
            counts[str(status)] = counts.get(str(status), 0) + 1
        return counts

    def wait_idle(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if self.inflight == 0:
                    return True
            time.sleep(0.2)
        return False

    def _post(self, conns, ti, msg):
        url = self.urls[ti]
        conn = conns.get(ti)
        if conn is None:
            host, port = url.split("//", 1)[1].split(":")
            conn = http.client.HTTPConnection(host, int(port), timeout=self.timeout)
            conns[ti] = conn
        t0 = time.time()
        try:
            conn.request("POST", "/api/webhooks/whatsapp", body=msg.body,
                         headers={"Content-Type": "application/json",
                                  "X-Hub-Signature-256": msg.sig})
            res = conn.getresponse()
            res.read()
            status = res.status
            if res.getheader("connection", "").lower() == "close":
                conn.close()
                conns.pop(ti, None)
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            conns.pop(ti, None)
            status = type(e).__name__
        return t0, time.time() - t0, status

    def _work(self):
        conns = {}
        while True:
            msg = self.q.get()
            if msg is None:
                return
            backoff, tries = 0.05, 0
            msg.first_try = msg.first_try or time.time()
            while True:
                ti = (msg.idx + tries) % len(self.urls)
                tries += 1
                t0, el, status = self._post(conns, ti, msg)
                msg.attempts += 1
                with self.lock:
                    self.attempts.append((t0, el, status, ti, msg.idx))
                if status == 200:
                    msg.acked_at, msg.ack_latency = t0 + el, el
                    with self.lock:
                        self.acked += 1
                        self.inflight -= 1
                    break
                with self.lock:
                    self.failed_attempts += 1
                if time.time() - msg.first_try > self.give_up:
                    with self.lock:
                        self.gave_up.append(msg.idx)
                        self.inflight -= 1
                    break
                time.sleep(backoff)
                backoff = min(backoff * 2, 0.8)


def per_minute_latency(attempts, t_start):
    """p50/p99 (ms) of the acknowledged attempts, per minute since t_start, and the count of
    attempts that were not 200."""
    by = {}
    for t0, el, status, _, _ in attempts:
        m = int((t0 - t_start) // 60)
        b = by.setdefault(m, {"ok": [], "not_ok": 0, "statuses": {}})
        if status == 200:
            b["ok"].append(el)
        else:
            b["not_ok"] += 1
            b["statuses"][str(status)] = b["statuses"].get(str(status), 0) + 1
    out = []
    for m in sorted(by):
        b = by[m]
        out.append({"minute": m, "acked": len(b["ok"]),
                    "p50_ms": round(pct(b["ok"], 50) * 1000, 2) if b["ok"] else None,
                    "p99_ms": round(pct(b["ok"], 99) * 1000, 2) if b["ok"] else None,
                    "max_ms": round(max(b["ok"]) * 1000, 1) if b["ok"] else None,
                    "not_200": b["not_ok"], "not_200_by": b["statuses"]})
    return out


# ------------------------------------------------------------------------------ reconciliation


def open_counts(pg, central):
    rows = pg.q(central, "SELECT (SELECT count(*) FROM webhook_inbox WHERE state IN "
                         "('pending','leased')), (SELECT count(*) FROM outbox WHERE state IN "
                         "('pending','sending'))")
    return int(rows[0][0]), int(rows[0][1])


def wait_quiet(pg, central, poller, msgs, stores, timeout, settle=3.0, stuck_after=60.0):
    """Until every message has a reply at the simulator and nothing is open in the inbox or
    the outbox, for `settle` seconds in a row (late duplicates). Gives up early when nothing
    is open in either table for `stuck_after` seconds while replies are still missing (parked
    `failed`/`dead` rows are never retried by themselves). Returns (ok, seconds, state)."""
    t0 = time.time()
    quiet_since = None
    stuck_since = None
    state = {}
    while True:
        try:
            poller.poll()
        except Exception as e:  # noqa: BLE001
            log(f"poll failed: {e}")
        got = poller.by_recipient()
        missing = sum(1 for m in msgs
                      if (stores[m.store]["pnid"], m.wa_id) not in got)
        try:
            inbox_open, outbox_open = open_counts(pg, central)
        except Exception as e:  # noqa: BLE001
            log(f"open counts failed: {e}")
            inbox_open = outbox_open = -1
        state = {"missing_replies": missing, "inbox_open": inbox_open,
                 "outbox_open": outbox_open}
        if missing == 0 and inbox_open == 0 and outbox_open == 0:
            quiet_since = quiet_since or time.time()
            if time.time() - quiet_since >= settle:
                poller.poll()
                return True, time.time() - t0, state
        else:
            quiet_since = None
        if missing and inbox_open == 0 and outbox_open == 0:
            stuck_since = stuck_since or time.time()
            if time.time() - stuck_since >= stuck_after:
                state["stuck"] = True
                state["parked"] = pg.q(central, "SELECT 'outbox', state, coalesce(error_code, ''), "
                                                "attempts, count(*) FROM outbox WHERE state <> "
                                                "'sent' GROUP BY 2, 3, 4 UNION ALL SELECT 'inbox', "
                                                "state, '', attempts, count(*) FROM webhook_inbox "
                                                "WHERE state <> 'done' GROUP BY 2, 4")
                return False, time.time() - t0, state
        else:
            stuck_since = None
        if time.time() - t0 > timeout:
            return False, time.time() - t0, state
        time.sleep(1.0)


def reconcile(pg, central, stores, msgs, poller, kill_windows, log_problems=40):
    """The end state against the simulator's accepted sends (see the module doc). `stores` are
    dicts with pnid, tenant_db, reply; `kill_windows` are the (sender, recipient) pairs that
    were `sending` at a SIGKILL: the only customers allowed a second reply.

    Returns a dict with the figures and `problems` (empty = consistent)."""
    problems = []
    sent = poller.by_recipient()
    acked = [m for m in msgs if m.acked_at is not None]
    unacked = [m for m in msgs if m.acked_at is None]
    if unacked:
        problems.append(f"{len(unacked)} webhook(s) never acknowledged (e.g. {unacked[0].idx})")
    expected = {(stores[m.store]["pnid"], m.wa_id): m for m in msgs}

    # The simulator: a reply for every customer, with the store's text, nobody else.
    dup = []
    replies_at_sim = 0
    for key, recs in sent.items():
        replies_at_sim += len(recs)
        m = expected.get(key)
        if m is None:
            problems.append(f"the simulator accepted a send nobody expected: {key}")
            continue
        want = stores[m.store]["reply"]
        for r in recs:
            if r["text"] != want:
                problems.append(f"wrong reply text to {m.wa_id}: {r['text']!r}")
        if len(recs) > 1:
            dup.append({"sender": key[0], "recipient": key[1], "replies": len(recs),
                        "msg": m.idx, "reply_wamids": [r["wamid"] for r in recs],
                        "accepted_at": sorted(round(r["at"], 3) for r in recs),
                        "acked_at": round(m.acked_at, 3) if m.acked_at else None})
    missing_replies = [m.idx for m in acked if (stores[m.store]["pnid"], m.wa_id) not in sent]
    if missing_replies:
        problems.append(f"{len(missing_replies)} acknowledged message(s) without a reply at the "
                        f"simulator (e.g. {missing_replies[:5]})")
    in_window = [d for d in dup if (d["sender"], d["recipient"]) in kill_windows]
    unexplained = [d for d in dup if (d["sender"], d["recipient"]) not in kill_windows]
    for d in unexplained:
        problems.append(f"customer {d['recipient']} got {d['replies']} replies but their reply was "
                        "not being sent at any SIGKILL")
    for d in in_window:
        if d["replies"] != 2:
            problems.append(f"customer {d['recipient']} got {d['replies']} replies")
    if len(in_window) > len(kill_windows):
        problems.append("more duplicates than messages in `sending` at the kills")
    if poller.overflow:
        problems.append("the simulator's log overflowed between polls: sends may be unseen")

    # Each store's own database.
    by_store = {}
    for m in msgs:
        by_store.setdefault(m.store, {})[m.wamid] = m
    tenant_rows = tenant_handled = tenant_replies = 0
    for si, st in enumerate(stores):
        mine = by_store.get(si, {})
        conn = pg.connect(st["tenant_db"])
        try:
            rows = conn.query(
                "SELECT i.wamid, i.handled_at IS NOT NULL, count(o.id), "
                "coalesce(string_agg(o.wamid, ','), ''), coalesce(string_agg(o.status, ','), '') "
                "FROM messages i LEFT JOIN messages o ON o.in_reply_to = i.id "
                "AND o.direction = 'outbound' WHERE i.direction = 'inbound' "
                "GROUP BY i.wamid, i.handled_at")
            outbound_total = int(conn.query(
                "SELECT count(*) FROM messages WHERE direction = 'outbound'")[0][0])
        finally:
            conn.close()
        seen = set()
        tenant_rows += len(rows)
        tenant_replies += outbound_total
        for wamid, handled, n_replies, reply_wamids, statuses in rows:
            m = mine.get(wamid)
            if m is None:
                problems.append(f"{st['name']}: unexpected inbound {wamid}")
                continue
            if wamid in seen:
                problems.append(f"{st['name']}: {wamid} stored twice")
            seen.add(wamid)
            if handled == "t":
                tenant_handled += 1
            else:
                problems.append(f"{st['name']}: message {m.idx} not handled")
            if n_replies != "1":
                problems.append(f"{st['name']}: message {m.idx} has {n_replies} replies stored")
                continue
            at_sim = [r["wamid"] for r in sent.get((st["pnid"], m.wa_id), [])]
            if not reply_wamids and at_sim:
                problems.append(f"{st['name']}: message {m.idx}'s reply was accepted by Meta "
                                f"({at_sim}) but the store's copy has no wamid (status "
                                f"{statuses!r})")
            elif not at_sim:
                problems.append(f"{st['name']}: message {m.idx}'s reply was never accepted by "
                                f"Meta (stored status {statuses!r})")
            elif reply_wamids not in at_sim:
                problems.append(f"{st['name']}: message {m.idx}'s reply has wamid "
                                f"{reply_wamids!r}, not one the simulator accepted ({at_sim})")
        for wamid, m in mine.items():
            if wamid not in seen and m.acked_at is not None:
                problems.append(f"{st['name']}: acknowledged message {m.idx} ({wamid}) is not "
                                "stored")
        if outbound_total != len(mine):
            problems.append(f"{st['name']}: {outbound_total} outbound messages stored for "
                            f"{len(mine)} inbound")

    # The central outbox and inbox.
    outbox = pg.q(central, "SELECT sender, recipient, state, coalesce(wamid, ''), "
                           "coalesce(error_code, '') FROM outbox")
    if len(outbox) != len(msgs):
        problems.append(f"outbox has {len(outbox)} rows for {len(msgs)} messages")
    outbox_states = {}
    for sender, recipient, state, wamid, code in outbox:
        outbox_states[state] = outbox_states.get(state, 0) + 1
        ok = state == "sent" and any(r["wamid"] == wamid
                                     for r in sent.get((sender, recipient.lstrip("+")), []))
        if not ok:
            problems.append(f"outbox row {sender}->{recipient} {state} {wamid!r} {code!r} does "
                            "not match the simulator")
    inbox = pg.q(central, "SELECT dedupe_key, state, field FROM webhook_inbox")
    inbox_states = {}
    wamids = {m.wamid for m in msgs}
    stored = set()
    for key, state, field in inbox:
        inbox_states[state] = inbox_states.get(state, 0) + 1
        if key not in wamids:
            problems.append(f"inbox row {key} ({field}, {state}) is no message we sent")
        elif key in stored:
            problems.append(f"inbox row {key} twice")
        stored.add(key)
        if state != "done":
            problems.append(f"inbox row {key} is {state}")
    not_stored = [m.idx for m in acked if m.wamid not in stored]
    if not_stored:
        problems.append(f"{len(not_stored)} acknowledged webhook(s) not in the inbox "
                        f"(e.g. {not_stored[:5]})")
    result = {
        "messages": len(msgs),
        "acked": len(acked),
        "inbox_rows": len(inbox),
        "inbox_states": inbox_states,
        "tenant_inbound_rows": tenant_rows,
        "tenant_handled": tenant_handled,
        "tenant_outbound_rows": tenant_replies,
        "outbox_rows": len(outbox),
        "outbox_states": outbox_states,
        "replies_at_sim": replies_at_sim,
        "customers_answered": sum(1 for k in expected if k in sent),
        "duplicate_replies": len(dup),
        "duplicates_in_kill_window": len(in_window),
        "duplicates_unexplained": len(unexplained),
        "duplicate_detail": dup[:50],
        "sending_at_kills": len(kill_windows),
        "sim_log_overflow": poller.overflow,
        "problems": problems[:500],
        "problem_count": len(problems),
        "ok": not problems,
    }
    for p in problems[:log_problems]:
        log(f"PROBLEM: {p}")
    return result


def e2e_pairs(msgs, stores, poller):
    """(first delivery attempt, seconds from it to the simulator accepting the first reply)
    of each answered message."""
    sent = poller.by_recipient()
    out = []
    for m in msgs:
        recs = sent.get((stores[m.store]["pnid"], m.wa_id))
        if recs and m.first_try:
            out.append((m.first_try, min(r["at"] for r in recs) - m.first_try))
    return out


def e2e_latencies(msgs, stores, poller):
    """Seconds from the first delivery attempt of each message to the simulator accepting its
    (first) reply."""
    return [el for _, el in e2e_pairs(msgs, stores, poller)]


def e2e_per_minute(msgs, stores, poller, t_start):
    """p50/p99/max (ms) of the reply latency, per minute (of the first attempt) since t_start:
    a stall shows in its own minutes instead of only in the overall tail."""
    by = {}
    for t0, el in e2e_pairs(msgs, stores, poller):
        by.setdefault(int((t0 - t_start) // 60), []).append(el)
    return [{"minute": m, "replies": len(xs), "p50_ms": round(pct(xs, 50) * 1000, 1),
             "p99_ms": round(pct(xs, 99) * 1000, 1), "max_ms": round(max(xs) * 1000, 1)}
            for m, xs in sorted(by.items())]


def scan_logs(paths):
    """WARN and ERROR lines of the servers' JSON logs: count per (level, message), and the
    first time each was seen."""
    out = {}
    for path in paths:
        try:
            f = open(path, errors="replace")
        except OSError:
            continue
        with f:
            for line in f:
                if '"WARN"' not in line and '"ERROR"' not in line:
                    continue
                try:
                    d = json.loads(line)
                except ValueError:
                    continue
                msg = re.sub(r"\d{3,}", "N", str(d.get("message", "")))[:160]
                key = f"{d.get('level')} {msg}"
                e = out.setdefault(key, {"count": 0, "first": d.get("timestamp"),
                                         "last": None, "example": {}})
                e["count"] += 1
                e["last"] = d.get("timestamp")
                if not e["example"]:
                    e["example"] = {k: v for k, v in d.items()
                                    if k not in ("timestamp", "level", "message")}
    return dict(sorted(out.items(), key=lambda kv: -kv[1]["count"]))


def random_choice_cycle(kinds, rng):
    """Yields the kinds in random order, every kind once per round."""
    while True:
        order = list(kinds)
        rng.shuffle(order)
        yield from order


__all__ = [n for n in dir() if not n.startswith("_")] + ["random"]
