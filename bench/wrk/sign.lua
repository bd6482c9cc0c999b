-- The full sign flow: GET the form (its time stamp), then POST it, once per form.
-- The connections of a wrk thread share this Lua state, so each form fetched goes into a queue and
-- the next request a connection sends is the POST of a waiting form, or else a GET for a new one:
-- every signature costs exactly one GET and one POST, whichever connections carry them.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
server_errors, client_errors, accepted = 0, 0, 0
local forms, first, last = {}, 1, 0
local prefix = os.getenv("RUN_ID") or "run"
local n = 0

function init(args)
  prefix = prefix .. "-t" .. tostring(tid)
end

local function encode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function request()
  if first <= last then
    local form = forms[first]
    forms[first] = nil
    first = first + 1
    n = n + 1
    local body = "started=" .. encode(form.stamp) ..
      "&kind=individual&name=Bench+Signer+" .. n .. "&country=BR&consent_publish=y&email=" ..
      encode(prefix .. "-" .. n .. "@bench.example")
    return wrk.format("POST", "/en/sign", {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
  end
  return wrk.format("GET", "/en/sign")
end

function response(status, headers, body)
  count_status(status)
  if status == 200 then
    -- the form has no session: its one token is the time stamp made with the page
    local stamp = body:match('name="started" type="hidden" value="([^"]+)"')
    if stamp then
      last = last + 1
      forms[last] = {stamp = stamp}
    end
  end
end
