-- Replays a pool of distinct pre-signed Slack slash commands, each once, split between wrk's threads.
-- Written by bench/slack_burst.py: one request per line, "timestamp<TAB>signature<TAB>body".
-- Usage: wrk -t T -c C -d 4s -s bench/slack_burst.lua URL -- POOL_FILE T

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local path, thread_count = args[1], tonumber(args[2])
  pool = {}
  local line_number = 0
  for line in io.lines(path) do
    if line_number % thread_count == id then
      local timestamp, signature, body = line:match("^(%d+)\t([^\t]+)\t(.*)$")
      pool[#pool + 1] = wrk.format("POST", nil, {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["X-Slack-Request-Timestamp"] = timestamp,
        ["X-Slack-Signature"] = signature,
      }, body)
    end
    line_number = line_number + 1
  end
  sent = 0
  ok = 0
  failed = 0
  exhausted = 0
end

function request()
  sent = sent + 1
  if sent > #pool then
    exhausted = exhausted + 1  -- the pool was too small: the driver refuses the round
    return pool[#pool]
  end
  return pool[sent]
end

function response(status, headers, body)
  if status == 200 then ok = ok + 1 else failed = failed + 1 end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    io.write(string.format("thread %d sent %d ok %d failed %d exhausted %d\n",
      thread:get("id"), thread:get("sent"), thread:get("ok"), thread:get("failed"), thread:get("exhausted")))
  end
  io.write(string.format("latency p50 %d p99 %d max %d\n",
    latency:percentile(50), latency:percentile(99), latency.max))
  io.write(string.format("duration %d errors %d %d %d %d %d\n", summary.duration,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
end
