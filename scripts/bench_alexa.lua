-- wrk script for scripts/bench.py: POST ready-made Alexa request envelopes in rotation.
--
--   wrk -t2 -c32 -d10s -s scripts/bench_alexa.lua http://127.0.0.1:PORT/alexa -- BODIES_FILE
--
-- BODIES_FILE holds one JSON request body per line (scripts/bench.py captures them from a
-- real conversation, so their sealed session state is valid for the server's secret). Each
-- wrk thread starts the rotation at a different place. At the end one line is printed:
--   BENCH_JSON {...}   requests, duration, non-2xx answers, socket errors, latency (us)

local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("offset", counter)
   table.insert(threads, thread)
end

function init(args)
   local path = args[1]
   if path == nil then
      error("usage: wrk ... -s bench_alexa.lua URL -- BODIES_FILE")
   end
   reqs = {}
   for line in io.lines(path) do
      if #line > 0 then
         reqs[#reqs + 1] = wrk.format("POST", nil, {["Content-Type"] = "application/json"}, line)
      end
   end
   if #reqs == 0 then
      error("no request bodies in " .. path)
   end
   pos = ((offset or 1) * 37) % #reqs
   non2xx = 0
end

function request()
   pos = pos % #reqs + 1
   return reqs[pos]
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
end

function done(summary, latency, _)
   local bad = 0
   for _, t in ipairs(threads) do
      bad = bad + (tonumber(t:get("non2xx")) or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "non2xx": %d, "connect": %d, ' ..
      '"read": %d, "write": %d, "timeout": %d, "status_errors": %d, "p50_us": %d, ' ..
      '"p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
      summary.requests, summary.duration, bad, e.connect, e.read, e.write, e.timeout,
      e.status, latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.mean, latency.max))
end
