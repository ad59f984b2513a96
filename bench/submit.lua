-- wrk script. Arguments after "--": METHOD PATH [BODIES_PREFIX]
-- POST: every request takes the next prepared body of this thread's file
-- (BODIES_PREFIX<thread>.jsonl: a fresh code with valid answers), so no code is sent twice.
-- done() prints one JSON line with counts per status and latency percentiles.
local threads = {}
local counter = 1

function setup(thread)
   thread:set("id", counter)
   table.insert(threads, thread)
   counter = counter + 1
end

function init(args)
   method, path, prefix = args[1], args[2], args[3]
   statuses = {}
   bodies = {}
   if prefix ~= nil then
      for line in io.lines(prefix .. id .. ".jsonl") do
         bodies[#bodies + 1] = line
      end
   end
   sent = 0
end

function request()
   if method == "POST" then
      sent = sent + 1
      -- past the prepared bodies the last one repeats: its code is spent, so the server
      -- answers 403 and the run reports it as an error rather than hiding it
      local body = bodies[sent] or bodies[#bodies]
      return wrk.format("POST", path, { ["Content-Type"] = "application/json" }, body)
   end
   return wrk.format("GET", path)
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local counts = {}
   for _, thread in ipairs(threads) do
      for status, n in pairs(thread:get("statuses")) do
         counts[tostring(status)] = (counts[tostring(status)] or 0) + n
      end
   end
   local parts = {}
   for status, n in pairs(counts) do
      parts[#parts + 1] = string.format('"%s": %d', status, n)
   end
   local e = summary.errors
   io.write(string.format(
      'RESULT {"requests": %d, "duration_us": %d, "socket_errors": %d, ' ..
      '"p50_us": %d, "p95_us": %d, "p99_us": %d, "statuses": {%s}}\n',
      summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout,
      latency:percentile(50), latency:percentile(95), latency:percentile(99),
      table.concat(parts, ", ")))
end
