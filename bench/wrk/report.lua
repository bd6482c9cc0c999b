-- Shared by the scripts: counts answers by status class and prints one JSON line at the end.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function count_status(status)
  if status >= 500 then server_errors = server_errors + 1
  elseif status >= 400 then client_errors = client_errors + 1 end
  if status == 303 then accepted = accepted + 1 end
end

function done(summary, latency, requests)
  local s5, s4, acc = 0, 0, 0
  for _, t in ipairs(threads) do
    s5 = s5 + t:get("server_errors"); s4 = s4 + t:get("client_errors"); acc = acc + t:get("accepted")
  end
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, ' ..
    '"socket_errors": %d, "server_errors": %d, "client_errors": %d, "accepted": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.errors.connect + summary.errors.read + summary.errors.write +
    summary.errors.timeout, s5, s4, acc))
end
