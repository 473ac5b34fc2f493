-- wrk script for the CRM benches. Environment:
--   BENCH_MODE  post | get | list | search | mix | ndr (NDR events with a call action) | lead |
--               dispute | leadlist (a page of 20 leads with funnelMetrics)
--   BENCH_TOKEN platform token; BENCH_COMPANY company; BENCH_IDS highest ticket number for reads
--   BENCH_RUN   a nonce that keeps ndrEventIds unique across runs
--   BENCH_REP   the repetition of the row (1..REPEAT): keeps lead phones unique across runs
local mode = os.getenv("BENCH_MODE") or "post"
local token = os.getenv("BENCH_TOKEN") or ""
local company = os.getenv("BENCH_COMPANY") or "bench"
local ids = tonumber(os.getenv("BENCH_IDS") or "1000")
local counter = 0
local run = os.getenv("BENCH_RUN") or "0"
local rep = tonumber(os.getenv("BENCH_REP") or "0") or 0 -- which repetition of a row (distinct in a server's life)

-- Each wrk thread gets its own number, so that ndrEventIds never collide between threads.
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local headers = {
  ["Authorization"] = "Bearer " .. token,
  ["X-Company-Id"] = company,
  ["Content-Type"] = "application/json",
}
local body = '{"category":"logistics","priority":"high","subject":"Parcel not delivered for order ORD-1",' ..
  '"description":"The courier marked it undeliverable","relatedOrderId":"ORD-1","shipmentId":"SHP-1",' ..
  '"customer":{"name":"Asha","email":"asha@example.in","phone":"9876543210"}}'
local lists = {
  "/api/v1/support/tickets?status=open&priority=high&limit=20",
  "/api/v1/support/tickets?category=billing&sortBy=-priority&limit=20&page=3",
  "/api/v1/support/tickets?status=open,in-progress&category=logistics&limit=20&page=10",
  "/api/v1/support/tickets?priority=critical&sortBy=slaDueAt&limit=20&page=2",
}

local leadlists = {
  "/api/v1/crm/leads?limit=20&page=5",
  "/api/v1/crm/leads?territory=T3&limit=20&page=2",
  "/api/v1/crm/leads?status=prospect,qualified&territory=T3&sortBy=-score&limit=20",
  "/api/v1/crm/leads?source=referral&assignedTo=REP-000007&limit=20",
}

local function get_one()
  local id = math.random(1, ids)
  return wrk.format("GET", string.format("/api/v1/support/tickets/TKT-%06d", id), headers)
end

request = function()
  counter = counter + 1
  if mode == "post" then
    return wrk.format("POST", "/api/v1/support/tickets", headers, body)
  elseif mode == "get" then
    return get_one()
  elseif mode == "list" then
    return wrk.format("GET", lists[(counter % #lists) + 1], headers)
  elseif mode == "ndr" then
    local body = string.format('{"ndrEventId":"NDR-%s-%d-%d","shipmentId":"SHP-%d","orderId":"ORD-%d",' ..
      '"awb":"AWB%d","courier":"Delhivery","reason":"Customer not available","attempt":%d,' ..
      '"paymentMode":"cod","codAmount":1499,"action":"call","territory":"T%d",' ..
      '"customer":{"name":"Asha","phone":"9876543210"}}',
      run, tid or 0, counter, counter, counter, counter, counter % 3 + 1, counter % 10)
    return wrk.format("POST", "/api/v1/ndr/events", headers, body)
  elseif mode == "lead" then
    -- A phone and an email of its own: no duplicate of an open lead (the phone's last 10 digits:
    -- the repetition (BENCH_REP), the thread, and 6 of the counter: a thread makes fewer than a
    -- million leads a run; 5 digits wrapped at 100k a thread and made 409s at 37k req/s).
    local body = string.format('{"name":"Lead %d","phone":"9%02d%d%06d","email":"lead-%s-%d-%d@bench.in",' ..
      '"source":"referral","territory":"T%d","estimatedValue":25000}', counter, rep % 100,
      (tid or 0) % 10, counter % 1000000, run, tid or 0, counter, counter % 10)
    return wrk.format("POST", "/api/v1/crm/leads", headers, body)
  elseif mode == "dispute" then
    local body = string.format('{"type":"damaged-goods","claimAmount":1499.5,"relatedOrderId":"ORD-%d",' ..
      '"shipmentId":"SHP-%d","description":"Box crushed on arrival"}', counter, counter)
    return wrk.format("POST", "/api/v1/disputes", headers, body)
  elseif mode == "leadlist" then
    return wrk.format("GET", leadlists[(counter % #leadlists) + 1], headers)
  elseif mode == "search" then
    return wrk.format("GET", "/api/v1/support/tickets?q=refund&limit=20", headers)
  else -- mix: 70% reads
    local r = counter % 10
    if r < 3 then
      return wrk.format("POST", "/api/v1/support/tickets", headers, body)
    elseif r < 9 then
      return get_one()
    else
      return wrk.format("GET", lists[(counter % #lists) + 1], headers)
    end
  end
end

done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %.0f %.3f %.3f %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors))
end
