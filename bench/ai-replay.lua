-- wrk script for `npm run bench -- --ai`: one user per connection.
-- Usage: wrk -tN -cN -s bench/ai-replay.lua http://127.0.0.1:PORT -- DIR [MARKER]
-- Run with as many threads as connections: wrk gives every thread its own Lua state and (with -tN -cN) exactly
-- one connection, and thread k replays only DIR/u<k>.tsv ("path<TAB>body" lines, all from one openid, in
-- order). So each user sends its next message when the reply to the previous one arrived (closed loop), and
-- no user ever has two messages in flight (the server answers one user's messages one after the other; two in
-- flight would make the second wait for the first and measure that wait).
-- AI_THINK_MS=T in the environment (T > 0): a user waits a random time, exponentially distributed with mean T
-- ms and capped at 4 s, after each reply (and before its first message) before sending, so that users do not
-- send in lockstep; wrk's latency starts when the request is written, so it excludes the wait. (The cap: the
-- server closes connections idle for 5 s, Node's default keep-alive timeout, and wrk would count an error.)
-- Prints one line "RESULT {json}" at the end: wrk's figures plus
--   passive  200 replies containing MARKER (default "<Encrypt>": an encrypted passive reply), the expected answer
--   other    any other response (non-200, `success`, empty, a reply without MARKER)
--   issued   requests handed to wrk (completed + at most one in flight per connection at the end)
--   wrapped  threads that ran past the end of their file and replayed a MsgId (answered from the dedup cache)
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

-- per-thread state (each thread has its own Lua state; `id` is set by setup)
local reqs, n, i = {}, 0, 0
local marker = "<Encrypt>"
passive, other, issued, wrapped = 0, 0, 0, 0

function init(args)
  local headers = { ["Content-Type"] = "text/xml" }
  local file = args[1] .. "/u" .. id .. ".tsv"
  if args[2] then marker = args[2] end
  math.randomseed(os.time() * 1000 + id * 7919)
  for line in io.lines(file) do
    local p, b = line:match("^([^\t]*)\t(.*)$")
    if p then
      n = n + 1
      reqs[n] = wrk.format("POST", p, headers, b)
    end
  end
  assert(n > 0, "no requests in " .. file)
end

function request()
  i = i + 1
  if i > n then
    i = 1
    wrapped = 1
  end
  issued = issued + 1
  return reqs[i]
end

local think = tonumber(os.getenv("AI_THINK_MS") or "0") or 0
if think > 0 then
  -- only defined when wanted: once delay() exists, wrk schedules every request through a timer
  function delay()
    return math.min(4000, math.floor(-think * math.log(1 - math.random())))
  end
end

function response(status, headers, body)
  if status == 200 and body:find(marker, 1, true) then
    passive = passive + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local p, o, iss, w = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    p = p + t:get("passive")
    o = o + t:get("other")
    iss = iss + t:get("issued")
    w = w + t:get("wrapped")
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'RESULT {"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,' ..
    '"p999_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,"non2xx":%d,"socket_errors":%d,"timeouts":%d,' ..
    '"passive":%d,"other":%d,"issued":%d,"wrapped":%d,"threads":%d}\n',
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000, latency.mean / 1000,
    e.status, e.connect + e.read + e.write, e.timeout, p, o, iss, w, #threads))
end
