#!/usr/bin/env bash
# Starts crm-server on a loopback port with a throw-away data dir, exercises every endpoint
# with curl (successes and every kind of error it can give) and writes the answers as a
# capture file for validate.mjs: one JSON object a line, {method, target, status, headers
# (lowercase names), body}.
#
# Usage: tools/openapi/capture-sample.sh OUT_FILE [SERVER_BINARY]
#   SERVER_BINARY defaults to $CRM_SERVER, then build/crm-server of this repository.
# Needs curl and jq. The server is stopped (SIGTERM, by its pid) before the script ends.
set -euo pipefail

out=${1:?usage: capture-sample.sh OUT_FILE [SERVER_BINARY]}
here=$(cd "$(dirname "$0")" && pwd)
bin=${2:-${CRM_SERVER:-$here/../../build/crm-server}}
[ -x "$bin" ] || { echo "capture-sample: no server binary at $bin" >&2; exit 2; }

work=$(mktemp -d)
data="$work/data"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

TOKEN=capture-platform-token
start_server() { # extra flags...
  rm -f "$work/port"
  CRM_PLATFORM_TOKEN=$TOKEN CRM_MASTER_KEY=$(printf '%064d' 7) \
    "$bin" --listen 127.0.0.1:0 --port-file "$work/port" --data-dir "$data" \
    --io-threads 1 --actor-threads 1 --log-level warn "$@" 2>>"$work/server.log" &
  server_pid=$!
  for _ in $(seq 1 100); do
    [ -s "$work/port" ] && break
    sleep 0.1
  done
  [ -s "$work/port" ] || { echo "capture-sample: the server did not start" >&2; cat "$work/server.log" >&2; exit 1; }
  base="http://127.0.0.1:$(cat "$work/port")"
}
stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || true
  server_pid=""
}

: >"$out"
LAST_BODY=""
LAST_STATUS=0
# req METHOD TARGET [curl arguments...]: sends one request and appends the exchange to $out.
req() {
  local method=$1 target=$2
  shift 2
  local code
  code=$(curl -sS -g --path-as-is -X "$method" -D "$work/h" -o "$work/b" -w '%{http_code}' \
    -H 'Expect:' "$@" "$base$target" 2>>"$work/curl.log") || true
  [ -f "$work/b" ] || : >"$work/b"
  [ -f "$work/h" ] || : >"$work/h"
  [[ "$code" =~ ^[0-9]+$ ]] || code=0
  jq -nc --arg m "$method" --arg t "$target" --argjson s "$code" \
    --rawfile b "$work/b" --rawfile h "$work/h" '
      {method: $m, target: $t, status: $s,
       headers: ([$h | split("\r\n")[] | select(test("^[A-Za-z0-9-]+:"))
                  | capture("^(?<k>[^:]+):[ \t]*(?<v>.*)$") | {(.k | ascii_downcase): .v}] | add // {}),
       body: $b}' >>"$out"
  LAST_BODY=$(cat "$work/b")
  LAST_STATUS=$code
  rm -f "$work/b" "$work/h"
}
field() { jq -r "$1" <<<"$LAST_BODY"; }

J=(-H 'Content-Type: application/json')
P=(-H "Authorization: Bearer $TOKEN" -H 'X-Company-Id: acme')
PB=(-H "Authorization: Bearer $TOKEN" -H 'X-Company-Id: beta')
PX=(-H "Authorization: Bearer $TOKEN")

start_server

# -- system ------------------------------------------------------------------------------
req GET /healthz
req GET '/healthz?verbose=1'
req GET /metrics

# -- API keys (platform only) -------------------------------------------------------------
declare -A KEY
for role in admin manager agent viewer platform; do
  req POST /api/v1/admin/api-keys "${PX[@]}" "${J[@]}" -d "{\"companyId\":\"acme\",\"role\":\"$role\",\"name\":\"$role key\"}"
  KEY[$role]=$(field .key)
done
req POST /api/v1/admin/api-keys "${PX[@]}" "${J[@]}" -d '{"companyId":"beta","role":"admin","name":"beta admin"}'
KEY[beta]=$(field .key)
req POST /api/v1/admin/api-keys "${PX[@]}" "${J[@]}" -d '{"companyId":"acme","role":"wizard","name":"x","extra":1}'
req POST /api/v1/admin/api-keys "${PX[@]}" "${J[@]}" -d '{"companyId":"ac me/1","role":"admin","name":"bad company id"}'
req POST /api/v1/admin/api-keys "${PX[@]}" "${J[@]}" -d '{"companyId":"acme","role":"agent","name":"unbound rep","repId":"REP-999999"}'
req POST /api/v1/admin/api-keys "${PX[@]}" "${J[@]}" -d '{"companyId":'
req POST /api/v1/admin/api-keys "${PX[@]}" -H 'Content-Type: text/plain' -d 'hello'
req POST /api/v1/admin/api-keys -H "Authorization: Bearer ${KEY[admin]}" "${J[@]}" -d '{"companyId":"acme","role":"admin","name":"by admin"}'
req POST /api/v1/admin/api-keys -H "Authorization: Bearer ${KEY[platform]}" "${J[@]}" -d '{"companyId":"acme","role":"viewer","name":"by platform key"}'
req POST /api/v1/admin/api-keys "${PX[@]}" "${J[@]}" -H 'Idempotency-Key: key-1' -d '{"companyId":"acme","role":"viewer","name":"once"}'
req POST /api/v1/admin/api-keys "${PX[@]}" "${J[@]}" -H 'Idempotency-Key: key-1' -d '{"companyId":"acme","role":"viewer","name":"once"}'
req GET '/api/v1/admin/api-keys?companyId=acme' "${PX[@]}"
req GET /api/v1/admin/api-keys "${PX[@]}"
req GET '/api/v1/admin/api-keys?companyId=acme&x=1' "${PX[@]}"
req GET '/api/v1/admin/api-keys?companyId=acme' -H "Authorization: Bearer ${KEY[admin]}"
req POST /api/v1/admin/api-keys "${PX[@]}" "${J[@]}" -d '{"companyId":"acme","role":"viewer","name":"doomed"}'
doomed_id=$(field .id)
doomed_key=$(field .key)
req DELETE "/api/v1/admin/api-keys/$doomed_id" "${PX[@]}"
req DELETE "/api/v1/admin/api-keys/$doomed_id" "${PX[@]}"
req DELETE /api/v1/admin/api-keys/KEY-999999 "${PX[@]}"
req DELETE "/api/v1/admin/api-keys/$doomed_id" -H "Authorization: Bearer ${KEY[manager]}"

A=(-H "Authorization: Bearer ${KEY[admin]}")
M=(-H "Authorization: Bearer ${KEY[manager]}")
G=(-H "Authorization: Bearer ${KEY[agent]}")
V=(-H "Authorization: Bearer ${KEY[viewer]}")
B=(-H "Authorization: Bearer ${KEY[beta]}")

# -- auth --------------------------------------------------------------------------------
req GET /api/v1/support/tickets
req GET /api/v1/support/tickets -H 'Authorization: Bearer nope'
req GET /api/v1/support/tickets -H "Authorization: Bearer $doomed_key"
req GET /api/v1/support/tickets -H 'Authorization: Basic dXNlcjpwYXNz'
req GET /api/v1/support/tickets "${PX[@]}"
req GET /api/v1/support/tickets "${PX[@]}" -H 'X-Company-Id: ac me!'
req GET /api/v1/support/tickets "${PX[@]}" -H "X-Company-Id: $(printf 'c%.0s' $(seq 1 80))"
req GET /api/v1/support/tickets "${PX[@]}" -H $'X-Company-Id: caf\xc3\xa9'
req GET /api/v1/support/tickets "${P[@]}" -H $'X-Trace: \xff\xfe'
req GET /api/v1/support/tickets -H "Authorization: Bearer ${KEY[platform]}" -H 'X-Company-Id: acme'

# -- sales reps --------------------------------------------------------------------------
req POST /api/v1/crm/sales-reps "${P[@]}" "${J[@]}" -d '{"name":"Asha","email":"asha@example.com","phone":"+919876543210","territory":"north","skills":["logistics","billing"],"commissionPerTicket":12.5,"bankDetails":{"accountNumber":"123456789012","ifscCode":"HDFC0001234","accountHolderName":"Asha K"}}'
rep1=$(field .id)
req POST /api/v1/crm/sales-reps "${M[@]}" "${J[@]}" -d "{\"name\":\"Ravi\",\"email\":\"ravi@example.com\",\"phone\":\"9876543211\",\"territory\":\"north\",\"reportingTo\":\"$rep1\",\"maxOpenItems\":5}"
rep2=$(field .id)
req POST /api/v1/crm/sales-reps "${A[@]}" "${J[@]}" -d '{"name":"Meera","email":"meera@example.com","phone":"9876543212","territory":"south"}'
rep3=$(field .id)
req POST /api/v1/crm/sales-reps "${A[@]}" "${J[@]}" -d '{"name":"Dup","email":"ASHA@example.com","phone":"9876543213"}'
req POST /api/v1/crm/sales-reps "${A[@]}" "${J[@]}" -d '{"name":"","email":"not-an-email","phone":"12345","reportingTo":"REP-999999","bogus":true}'
req POST /api/v1/crm/sales-reps "${M[@]}" "${J[@]}" -d '{"name":"Bank","email":"bank@example.com","phone":"9876543214","bankDetails":{"accountNumber":"123456789","ifscCode":"HDFC0001234","accountHolderName":"B"}}'
req POST /api/v1/crm/sales-reps "${V[@]}" "${J[@]}" -d '{"name":"V","email":"v@example.com","phone":"9876543215"}'
req POST /api/v1/crm/sales-reps "${A[@]}" "${J[@]}" -d '[1,2]'
req GET /api/v1/crm/sales-reps "${V[@]}"
req GET '/api/v1/crm/sales-reps?territory=north,south&status=active&availabilityStatus=available,busy&sortBy=-name&page=1&limit=2' "${V[@]}"
req GET '/api/v1/crm/sales-reps?status=active%2Cinactive&sortBy=id' "${V[@]}"
req GET '/api/v1/crm/sales-reps?status=retired' "${V[@]}"
req GET '/api/v1/crm/sales-reps?sortBy=email' "${V[@]}"
req GET '/api/v1/crm/sales-reps?limit=101' "${V[@]}"
req GET "/api/v1/crm/sales-reps/$rep1" "${V[@]}"
req GET "/api/v1/crm/sales-reps/$rep1?reveal=bankDetails" "${A[@]}"
req GET "/api/v1/crm/sales-reps/$rep1?reveal=bankDetails" "${M[@]}"
req GET "/api/v1/crm/sales-reps/$rep1?reveal=everything" "${A[@]}"
req GET /api/v1/crm/sales-reps/REP-999999 "${A[@]}"
req GET "/api/v1/crm/sales-reps/$rep1" "${B[@]}"
req PUT "/api/v1/crm/sales-reps/$rep2" "${M[@]}" "${J[@]}" -d '{"territory":"east","skills":["technical","logistics"],"maxOpenItems":null}'
req PUT "/api/v1/crm/sales-reps/$rep2" "${M[@]}" "${J[@]}" -d '{"email":"asha@example.com"}'
req PUT "/api/v1/crm/sales-reps/$rep1" "${M[@]}" "${J[@]}" -d "{\"reportingTo\":\"$rep2\"}"
req PUT "/api/v1/crm/sales-reps/$rep2" "${M[@]}" "${J[@]}" -d '{}'
req PUT "/api/v1/crm/sales-reps/$rep2" "${G[@]}" "${J[@]}" -d '{"availabilityStatus":"busy"}'
req PUT /api/v1/crm/sales-reps/REP-999999 "${M[@]}" "${J[@]}" -d '{"name":"x"}'
req POST /api/v1/admin/api-keys "${PX[@]}" "${J[@]}" -d "{\"companyId\":\"acme\",\"role\":\"agent\",\"name\":\"bound agent\",\"repId\":\"$rep2\"}"
BG=(-H "Authorization: Bearer $(field .key)")
req PUT "/api/v1/crm/sales-reps/$rep2" "${BG[@]}" "${J[@]}" -d '{"availabilityStatus":"available"}'
req DELETE "/api/v1/crm/sales-reps/$rep3" "${M[@]}"
req DELETE "/api/v1/crm/sales-reps/$rep3" "${M[@]}"
req DELETE "/api/v1/crm/sales-reps/$rep3" "${G[@]}"
req DELETE /api/v1/crm/sales-reps/REP-999999 "${A[@]}"
req GET "/api/v1/crm/sales-reps/$rep1/performance" "${V[@]}"
req GET "/api/v1/crm/sales-reps/$rep1/performance?from=2020-01-01T00:00:00.000Z&to=2099-01-01" "${V[@]}"
req GET "/api/v1/crm/sales-reps/$rep1/performance?from=yesterday" "${V[@]}"
req GET /api/v1/crm/sales-reps/REP-999999/performance "${V[@]}"

# -- dispatcher settings -----------------------------------------------------------------
req GET /api/v1/crm/dispatcher/settings "${V[@]}"
req PUT /api/v1/crm/dispatcher/settings "${M[@]}" "${J[@]}" -d '{"assignTickets":true}'
req PUT /api/v1/crm/dispatcher/settings "${M[@]}" "${J[@]}" -d '{"assignTickets":"yes"}'
req PUT /api/v1/crm/dispatcher/settings "${G[@]}" "${J[@]}" -d '{"assignTickets":false}'
req PUT /api/v1/crm/dispatcher/settings "${A[@]}" "${J[@]}" -d '{"assignTickets":false}'

# -- tickets -----------------------------------------------------------------------------
req POST /api/v1/support/tickets "${G[@]}" "${J[@]}" -d '{"category":"billing","subject":"Refund for ORD-1","priority":"high","description":"Customer asks","relatedOrderId":"ORD-1","shipmentId":"SHP-1","customer":{"name":"Kiran","email":"kiran@example.com","phone":"+919800000001"}}'
t1=$(field .ticketId)
req POST /api/v1/support/tickets "${P[@]}" "${J[@]}" -d '{"category":"technical","subject":"App crash"}'
t2=$(field .ticketId)
req POST /api/v1/support/tickets "${A[@]}" "${J[@]}" -d '{"category":"other","subject":"Only a name","customer":{"name":"Only"}}'
t3=$(field .ticketId)
req POST /api/v1/support/tickets "${G[@]}" "${J[@]}" -d '{"category":"weather","subject":"","priority":"urgent","typo":1,"customer":{"email":"bad"}}'
req POST /api/v1/support/tickets "${G[@]}" "${J[@]}" -d '{"category":"billing","subject":"bad ids","relatedOrderId":"ORD 1/2"}'
req POST /api/v1/support/tickets "${G[@]}" "${J[@]}" -d '{"category":"billing","subject":null}'
req POST /api/v1/support/tickets "${G[@]}" "${J[@]}" -d '{"category":"billing",'
req POST /api/v1/support/tickets "${G[@]}" "${J[@]}"
req POST /api/v1/support/tickets "${G[@]}" "${J[@]}" --data-binary $'{"category":"billing","subject":"\xff"}'
req POST /api/v1/support/tickets "${G[@]}" -H 'Content-Type: text/plain' -d '{"category":"billing","subject":"x"}'
req POST /api/v1/support/tickets "${G[@]}" -H 'Content-Type: application/json; charset=utf-8' -d '{"category":"billing","subject":"charset"}'
req POST /api/v1/support/tickets "${G[@]}" -H 'Content-Type:' -d '{"category":"billing","subject":"no type"}'
req POST /api/v1/support/tickets "${G[@]}" -H 'Content-Type: application/jsonx' -d '{"category":"billing","subject":"jsonx"}'
head -c 1100000 /dev/zero | tr '\0' 'a' >"$work/big"
req POST /api/v1/support/tickets "${G[@]}" "${J[@]}" --data-binary "@$work/big"
req POST /api/v1/support/tickets "${V[@]}" "${J[@]}" -d '{"category":"billing","subject":"viewer"}'
req POST '/api/v1/support/tickets?draft=1' "${G[@]}" "${J[@]}" -d '{"category":"billing","subject":"query"}'
# Idempotency-Key: first, replay, another body, bad keys
req POST /api/v1/support/tickets "${G[@]}" "${J[@]}" -H 'Idempotency-Key: create-1' -d '{"category":"billing","subject":"Idem"}'
req POST /api/v1/support/tickets "${G[@]}" "${J[@]}" -H 'Idempotency-Key: create-1' -d '{"category":"billing","subject":"Idem"}'
req POST /api/v1/support/tickets "${G[@]}" "${J[@]}" -H 'Idempotency-Key: create-1' -d '{"category":"billing","subject":"Other"}'
req POST /api/v1/support/tickets "${G[@]}" "${J[@]}" -H 'Idempotency-Key: has space!' -d '{"category":"billing","subject":"Idem"}'
req POST /api/v1/support/tickets "${G[@]}" "${J[@]}" -H "Idempotency-Key: $(printf 'k%.0s' $(seq 1 65))" -d '{"category":"billing","subject":"Idem"}'
req POST /api/v1/support/tickets "${G[@]}" "${J[@]}" -H 'Idempotency-Key: create-422' -d '{"category":"nope","subject":"Idem"}'
req POST /api/v1/support/tickets "${G[@]}" "${J[@]}" -H 'Idempotency-Key: create-422' -d '{"category":"nope","subject":"Idem"}'
req GET /api/v1/support/tickets "${V[@]}"
req GET /api/v1/support/tickets/ "${V[@]}"
req GET '/api/v1/support/tickets?status=open,closed&priority=high,medium&category=billing&category=technical&sortBy=-priority&page=1&limit=5' "${V[@]}"
req GET '/api/v1/support/tickets?status=open%2Cclosed&from=2026-11-24T10%3A00%3A00.000Z' "${V[@]}"
req GET '/api/v1/support/tickets?status=open%2Cclosed' "${V[@]}"
req GET '/api/v1/support/tickets?q=refund+ord&assignedTo=null&sortBy=slaDueAt' "${V[@]}"
req GET '/api/v1/support/tickets?assignedTo=me' "${BG[@]}"
req GET '/api/v1/support/tickets?status=pending' "${V[@]}"
req GET '/api/v1/support/tickets?sortBy=subject' "${V[@]}"
req GET '/api/v1/support/tickets?page=0' "${V[@]}"
req GET '/api/v1/support/tickets?limit=abc' "${V[@]}"
req GET '/api/v1/support/tickets?colour=red' "${V[@]}"
req GET '/api/v1/support/tickets?%zz=1' "${V[@]}"
req GET "/api/v1/support/tickets/$t1" "${V[@]}"
req GET "/api/v1/support/tickets/$t1?x=1" "${V[@]}"
req GET /api/v1/support/tickets/TKT-999999 "${V[@]}"
req GET "/api/v1/support/tickets/$rep1" "${V[@]}"
req GET "/api/v1/support/tickets/$t1" "${B[@]}"
req PUT "/api/v1/support/tickets/$t1" "${G[@]}" "${J[@]}" -d "{\"status\":\"in-progress\",\"assignedTo\":\"$rep1\",\"notes\":\"looking\"}"
req PUT "/api/v1/support/tickets/$t1" "${G[@]}" "${J[@]}" -d '{"status":"open"}'
req PUT "/api/v1/support/tickets/$t1" "${G[@]}" "${J[@]}" -d '{"status":"archived"}'
req PUT "/api/v1/support/tickets/$t1" "${G[@]}" "${J[@]}" -d '{"assignedTo":"REP-999999"}'
req PUT "/api/v1/support/tickets/$t1" "${G[@]}" "${J[@]}" -d '{}'
req PUT "/api/v1/support/tickets/$t1" "${V[@]}" "${J[@]}" -d '{"priority":"low"}'
req PUT "/api/v1/support/tickets/$t2" "${G[@]}" "${J[@]}" -d '{"status":"resolved"}'
req PUT "/api/v1/support/tickets/$t2" "${G[@]}" "${J[@]}" -d '{"status":"closed"}'
req PUT "/api/v1/support/tickets/$t2" "${G[@]}" "${J[@]}" -d '{"priority":"low"}'
req PUT /api/v1/support/tickets/TKT-999999 "${G[@]}" "${J[@]}" -d '{"priority":"low"}'
req PUT "/api/v1/support/tickets/$t1" "${G[@]}" -H 'Content-Type: text/plain' -d '{"priority":"low"}'
req POST "/api/v1/support/tickets/$t1/notes" "${G[@]}" "${J[@]}" -d '{"note":"Called the customer","type":"customer"}'
req POST "/api/v1/support/tickets/$t1/notes" "${G[@]}" "${J[@]}" -d '{"note":"","type":"secret"}'
req POST "/api/v1/support/tickets/$t1/notes" "${V[@]}" "${J[@]}" -d '{"note":"viewer"}'
req POST /api/v1/support/tickets/TKT-999999/notes "${G[@]}" "${J[@]}" -d '{"note":"x"}'
req POST "/api/v1/support/tickets/$t1/notes" "${G[@]}" "${J[@]}" -H 'Idempotency-Key: note-1' -d '{"note":"once"}'
req POST "/api/v1/support/tickets/$t1/notes" "${G[@]}" "${J[@]}" -H 'Idempotency-Key: note-1' -d '{"note":"once"}'
req GET "/api/v1/support/tickets/$t1" "${V[@]}"
req GET "/api/v1/support/tickets/$t3" "${V[@]}"
# A ticket holds at most 1000 notes: fill one up over one connection, then one more.
{
  for i in $(seq 1 1000); do
    [ "$i" -gt 1 ] && printf 'next\n'
    printf 'url = "%s/api/v1/support/tickets/%s/notes"\nrequest = POST\n' "$base" "$t3"
    printf 'header = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\n' "${KEY[agent]}"
    printf 'data = "{\\"note\\":\\"n%d\\"}"\noutput = /dev/null\nsilent\n' "$i"
  done
} >"$work/notes.cfg"
curl -K "$work/notes.cfg" || true
req POST "/api/v1/support/tickets/$t3/notes" "${G[@]}" "${J[@]}" -d '{"note":"one too many"}'
req PUT "/api/v1/support/tickets/$t3" "${G[@]}" "${J[@]}" -d '{"notes":"one too many"}'
req GET /api/v1/support/metrics "${V[@]}"
req GET '/api/v1/support/metrics?from=2026-11-24T10%3A00%3A00.000Z' "${V[@]}"
req GET '/api/v1/support/tickets?q=refund%20ord' "${V[@]}"
req GET '/api/v1/support/%74ickets' "${V[@]}"
req GET '/api/v1/support/tickets/%zz' "${V[@]}"
req GET '//api/v1//support/tickets//' "${V[@]}"
req GET '/api/v1/support/metrics?from=2020-01-01T00:00:00.000Z&to=2099-12-31T00:00:00.000Z' "${V[@]}"
req GET '/api/v1/support/metrics?from=soon' "${V[@]}"
req GET '/api/v1/support/metrics?page=1' "${V[@]}"

# -- NDR events and calls ----------------------------------------------------------------
req POST /api/v1/ndr/events "${P[@]}" "${J[@]}" -d '{"ndrEventId":"NDR-1","shipmentId":"SHP-9","orderId":"ORD-9","awb":"AWB9","courier":"Fast","reason":"Customer not home","attempt":2,"paymentMode":"cod","codAmount":2500.5,"customer":{"name":"Lata","phone":"9800000002","email":"lata@example.com"},"action":"call","territory":"north"}'
call1=$(field .callLogId)
req POST /api/v1/ndr/events "${P[@]}" "${J[@]}" -d '{"ndrEventId":"NDR-1","shipmentId":"SHP-9"}'
req POST /api/v1/ndr/events "${A[@]}" "${J[@]}" -d '{"ndrEventId":"NDR-2","shipmentId":"SHP-9","reason":"Address","action":"call"}'
call2=$(field .callLogId)
req POST /api/v1/ndr/events "${A[@]}" "${J[@]}" -d '{"ndrEventId":"NDR-3","shipmentId":"SHP-10","reason":"Refused","action":"rto"}'
req POST /api/v1/ndr/events "${A[@]}" "${J[@]}" -d '{"ndrEventId":"NDR-4","action":"call"}'
call3=$(field .callLogId)
req POST /api/v1/ndr/events "${M[@]}" "${J[@]}" -d '{"ndrEventId":"NDR-5"}'
req POST /api/v1/ndr/events "${A[@]}" "${J[@]}" -d '{"ndrEventId":"","attempt":0,"paymentMode":"card","codAmount":1.234,"action":"fly"}'
req POST /api/v1/ndr/events "${A[@]}" "${J[@]}" -d '{"ndrEventId":"bad id with spaces"}'
req POST /api/v1/ndr/events "${A[@]}" "${J[@]}" -H 'Idempotency-Key: ndr-6' -d '{"ndrEventId":"NDR-6"}'
req POST /api/v1/ndr/events "${A[@]}" "${J[@]}" -H 'Idempotency-Key: ndr-6' -d '{"ndrEventId":"NDR-6"}'
sleep 1.5 # the dispatcher assigns within a second
req GET /api/v1/crm/call-logs "${V[@]}"
req GET "/api/v1/crm/call-logs?status=pending,in-progress&assignedTo=$rep1,null&shipmentId=SHP-9&sortBy=-updatedAt&limit=10" "${V[@]}"
req GET '/api/v1/crm/call-logs?assignedTo=me' "${BG[@]}"
req GET '/api/v1/crm/call-logs?status=ringing' "${V[@]}"
req GET '/api/v1/crm/call-logs?sortBy=attempts' "${V[@]}"
req GET '/api/v1/crm/call-logs?page=-1' "${V[@]}"
req GET "/api/v1/crm/call-logs/$call1" "${V[@]}"
req GET /api/v1/crm/call-logs/CALL-999999 "${V[@]}"
req GET "/api/v1/crm/call-logs/$call1" "${B[@]}"
req PUT "/api/v1/crm/call-logs/$call1" "${G[@]}" "${J[@]}" -d '{"status":"in-progress","ivrResponses":[{"question":"Deliver again?","answer":"yes"}]}'
req PUT "/api/v1/crm/call-logs/$call1" "${G[@]}" "${J[@]}" -d '{"status":"completed","resolution":"Reattempt tomorrow","customerFeedback":"polite"}'
req PUT "/api/v1/crm/call-logs/$call1" "${G[@]}" "${J[@]}" -d '{"status":"no-answer"}'
req PUT "/api/v1/crm/call-logs/$call1" "${G[@]}" "${J[@]}" -d '{"status":"pending"}'
req PUT "/api/v1/crm/call-logs/$call2" "${G[@]}" "${J[@]}" -d '{"status":"answered","ivrResponses":[{"answer":"x"}]}'
req PUT "/api/v1/crm/call-logs/$call2" "${G[@]}" "${J[@]}" -d '{"status":"no-answer"}'
req PUT "/api/v1/crm/call-logs/$call2" "${V[@]}" "${J[@]}" -d '{"customerFeedback":"x"}'
req PUT /api/v1/crm/call-logs/CALL-999999 "${G[@]}" "${J[@]}" -d '{"customerFeedback":"x"}'
req POST "/api/v1/crm/call-logs/$call3/callback" "${G[@]}" "${J[@]}" -d '{"scheduledFor":"2099-01-01T10:00:00.000Z"}'
req POST "/api/v1/crm/call-logs/$call3/callback" "${G[@]}" "${J[@]}" -d '{"scheduledFor":"2001-01-01T10:00:00.000Z"}'
req POST "/api/v1/crm/call-logs/$call3/callback" "${G[@]}" "${J[@]}" -d '{"scheduledFor":"tomorrow"}'
req POST "/api/v1/crm/call-logs/$call1/callback" "${G[@]}" "${J[@]}" -d '{"scheduledFor":"2099-01-01T10:00:00.000Z"}'
req POST /api/v1/crm/call-logs/CALL-999999/callback "${G[@]}" "${J[@]}" -d '{"scheduledFor":"2099-01-01T10:00:00.000Z"}'
req POST "/api/v1/crm/call-logs/$call3/callback" "${V[@]}" "${J[@]}" -d '{"scheduledFor":"2099-01-01T10:00:00.000Z"}'
req GET "/api/v1/crm/call-logs/$call2" "${V[@]}"
req GET "/api/v1/crm/call-logs/$call3" "${V[@]}"
req GET /api/v1/shipments/SHP-9/timeline "${V[@]}"
req GET /api/v1/shipments/SHP-NONE/timeline "${V[@]}"
req GET '/api/v1/shipments/SHP-9/timeline?x=1' "${V[@]}"
req GET "/api/v1/crm/sales-reps/$rep1/performance" "${V[@]}"

# -- audit -------------------------------------------------------------------------------
req GET /api/v1/audit/events "${A[@]}"
req GET "/api/v1/audit/events?entity=$t1&type=ticket.created&from=2020-01-01&to=2099-01-01&after=0&limit=2" "${A[@]}"
req GET '/api/v1/audit/events?limit=1' "${P[@]}"
req GET '/api/v1/audit/events?after=-3' "${A[@]}"
req GET '/api/v1/audit/events?limit=5000' "${A[@]}"
req GET /api/v1/audit/events "${M[@]}"

# -- paths and methods the server does not have ------------------------------------------
req GET /nope
req GET /api/v1/crm/leads "${A[@]}"
req POST /api/v1/crm/leads "${A[@]}" "${J[@]}" -d '{"name":"L","source":"referral"}'
req GET /api/v1/disputes "${A[@]}"
req GET /api/v1/notifications "${A[@]}"
req GET /api/v1/notifications/templates "${A[@]}"
req PATCH "/api/v1/support/tickets/$t1" "${A[@]}" "${J[@]}" -d '{"priority":"low"}'
req DELETE "/api/v1/support/tickets/$t1" "${A[@]}"
req POST /healthz
req BREW /api/v1/coffee "${A[@]}"

# -- oversized headers -------------------------------------------------------------------
req GET /api/v1/support/tickets "${V[@]}" -H "X-Filler: $(head -c 20000 /dev/zero | tr '\0' 'f')"
req GET /healthz -H "X-Filler: $(head -c 20000 /dev/zero | tr '\0' 'f')"

stop_server

# -- a restart with a rate limit: the data is still there, and 429 ------------------------
start_server --rate-limit 1
req GET "/api/v1/support/tickets/$t1" "${V[@]}"
req GET /api/v1/support/tickets "${V[@]}"
req GET /api/v1/support/tickets "${V[@]}"
req GET /healthz
stop_server

echo "capture-sample: $(wc -l <"$out") exchanges written to $out"
