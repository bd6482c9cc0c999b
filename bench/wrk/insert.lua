-- The insert ceiling: POST a small form, one row per request.
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
server_errors, client_errors, accepted = 0, 0, 0
local n = 0

function request()
  n = n + 1
  return wrk.format("POST", "/insert", {["Content-Type"] = "application/x-www-form-urlencoded"},
    "name=Organisation+" .. n .. "&email=person" .. n .. "%40example.org")
end

function response(status, headers, body)
  count_status(status)
end
