-- wrk script: replays pre-generated requests, one per line, each line sent once.
--
--   wrk ... -s replay.lua URL -- MODE PREFIX
--
-- Thread t reads PREFIX.t line by line (the generator writes one shard per wrk thread, so
-- no two threads send the same line and nothing is loaded up front).
--   MODE webhook: a line is "<hex signature> <body>"; POSTs the body with
--                 X-Hub-Signature-256: sha256=<hex>.
--   MODE json:    a line is a JSON body; POSTs it.
-- At the end of a shard the thread starts it again and counts a wrap: in webhook mode a
-- wrap means repeated bodies (the run was longer than the generated set), reported in done().

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local file, mode, path
wraps = 0
sent = 0

function init(args)
  mode = args[1] or "webhook"
  local prefix = args[2]
  file = assert(io.open(prefix .. "." .. tid, "r"))
  path = wrk.path
end

local function next_line()
  local line = file:read("*l")
  if line == nil or line == "" then
    wraps = wraps + 1
    file:seek("set", 0)
    line = file:read("*l")
  end
  return line
end

function request()
  local line = next_line()
  sent = sent + 1
  if mode == "webhook" then
    local sig = string.sub(line, 1, 64)
    local body = string.sub(line, 66)
    return wrk.format("POST", path, {
      ["Content-Type"] = "application/json",
      ["X-Hub-Signature-256"] = "sha256=" .. sig,
    }, body)
  end
  return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, line)
end

function done(summary, latency, requests)
  local wrapped, min_wraps, total_sent, per_thread = 0, nil, 0, {}
  for _, t in ipairs(threads) do
    local w = t:get("wraps") or 0
    per_thread[#per_thread + 1] = tostring(t:get("sent") or 0)
    wrapped = wrapped + w
    total_sent = total_sent + (t:get("sent") or 0)
    if min_wraps == nil or w < min_wraps then min_wraps = w end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d non2xx=%d connect=%d read=%d write=%d timeout=%d duration_us=%d " ..
    "p50_us=%d p90_us=%d p99_us=%d max_us=%d issued=%d wraps=%d min_wraps=%d\n",
    summary.requests, e.status, e.connect, e.read, e.write, e.timeout, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    total_sent, wrapped, min_wraps or 0))
  io.write("ISSUED " .. table.concat(per_thread, ",") .. "\n")
end
