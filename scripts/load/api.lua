-- wrk script for scripts/load/api.sh: a mix of the calls list and the
-- single-call endpoint, authenticated with the admin's access token.
--
-- Environment: TOKEN (access token), CALLS (how many seeded CDRs, ids
-- seed-00000001…), MIX (share of single-call requests, 0..1, default 0.5),
-- DELAY_MS (pause after each response per connection, to pace the rate:
-- wrk has no fixed-rate mode).
local token = os.getenv("TOKEN")
local calls = tonumber(os.getenv("CALLS") or "100000")
local mix = tonumber(os.getenv("MIX") or "0.5")
local pause = tonumber(os.getenv("DELAY_MS") or "0")
local lists = {
  "/api/v1/calls",
  "/api/v1/calls?campaign_id=1&outcome=billable",
  "/api/v1/calls?buyer_id=2&limit=20",
}

function setup(thread)
  thread:set("seed", math.random(1, 1000000))
end

function init(args)
  math.randomseed(seed or os.time())
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  if math.random() < mix then
    return wrk.format("GET", string.format("/api/v1/calls/seed-%08d", math.random(1, calls)))
  end
  return wrk.format("GET", lists[math.random(1, #lists)])
end

function delay()
  return pause
end

local failed = 0
function response(status, headers, body)
  if status ~= 200 then
    failed = failed + 1
    if failed <= 3 then
      io.stderr:write("HTTP " .. status .. ": " .. string.sub(body or "", 1, 200) .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  io.write(string.format("achieved: %.0f req/s over %.1f s (%d requests, %d errors)\n",
    summary.requests / secs, secs, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    io.write(string.format("p%-5s %.2f ms\n", tostring(p), latency:percentile(p) / 1000))
  end
  io.write(string.format("max    %.2f ms\n", latency.max / 1000))
end
