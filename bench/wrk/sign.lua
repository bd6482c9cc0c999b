-- The full sign flow per connection: GET the form (CSRF token, stamp, session cookie), then POST it.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
server_errors, client_errors, accepted = 0, 0, 0
local state, token, stamp, cookie = "get", nil, nil, nil
local prefix = os.getenv("RUN_ID") or "run"
local n = 0

function init(args)
  prefix = prefix .. "-t" .. tostring(tid)
end

local function encode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function request()
  if state == "post" and token then
    n = n + 1
    local body = "csrf_token=" .. encode(token) .. "&started=" .. encode(stamp) ..
      "&kind=individual&name=Bench+Signer+" .. n .. "&country=BR&consent_publish=y&email=" ..
      encode(prefix .. "-" .. n .. "@bench.example")
    return wrk.format("POST", "/en/sign", {["Content-Type"] = "application/x-www-form-urlencoded",
      ["Cookie"] = cookie}, body)
  end
  return wrk.format("GET", "/en/sign")
end

function response(status, headers, body)
  count_status(status)
  if state == "get" then
    token = body:match('name="csrf_token" type="hidden" value="([^"]+)"')
    stamp = body:match('name="started" type="hidden" value="([^"]+)"')
    local set = headers["Set-Cookie"]
    if set then cookie = set:match("^([^;]+)") end
    state = "post"
  else
    state = "get"
  end
end
