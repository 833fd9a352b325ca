-- The one wrk script of `make bench`: every answer's status is counted, so a run of
-- redirects, 4xx or 5xx can never pass for throughput (wrk itself counts 3xx as fine).
-- Usage: wrk -s bench.lua <url> -- get
--        wrk -s bench.lua <url> -- paths <paths-file>          (GET each path in turn)
--        wrk -s bench.lua <url> -- post <run-prefix> <body-file>
-- For `post`, "__REF__" in the body is replaced by a key unique per request (across
-- wrk threads and bench runs); the same key goes in the Idempotency-Key header.
-- done() prints "status <code> <count>" lines that bench/wrk.py parses.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  mode = args[1] or "get"
  statuses = {}
  counter = 0
  if mode == "paths" then
    paths = {}
    for line in io.lines(args[2]) do
      if #line > 0 then paths[#paths + 1] = line end
    end
  elseif mode == "post" then
    prefix = args[2]
    local file = assert(io.open(args[3], "rb"))
    template = file:read("*a")
    file:close()
  end
end

function request()
  counter = counter + 1
  if mode == "paths" then
    return wrk.format("GET", paths[(counter - 1) % #paths + 1])
  elseif mode == "post" then
    local key = prefix .. tid .. "-" .. counter
    local body = template:gsub("__REF__", key)
    wrk.headers["Idempotency-Key"] = key
    return wrk.format("POST", nil, nil, body)
  end
  return wrk.format()
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  for status, count in pairs(totals) do
    io.write(string.format("status %d %d\n", status, count))
  end
end
