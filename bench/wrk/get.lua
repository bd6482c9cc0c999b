-- Plain GETs of the URL given to wrk (optionally with If-None-Match from the ETAG variable).
dofile(os.getenv("BENCH_WRK_DIR") .. "/report.lua")
server_errors, client_errors, accepted = 0, 0, 0
local etag = os.getenv("ETAG")

function request()
  if etag then return wrk.format("GET", nil, {["If-None-Match"] = etag}) end
  return wrk.format("GET")
end

function response(status, headers, body)
  count_status(status)
end
