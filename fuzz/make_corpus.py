#!/usr/bin/env python3
"""Writes the seed corpora of fuzz/corpus/ from inputs the tests use (tests/blackbox/*.cpp,
tests/http/router_test.cpp): requests, bodies and query strings. With --events DIR it also
writes the fuzz_event seeds from stored events dumped there by

    CRM_FUZZ_DUMP_EVENTS=DIR build-fuzz/fuzz/fuzz_request -runs=0 fuzz/corpus/fuzz_request

(the events the request seeds made, one file per event, named by seq): each event alone, each
entity's events in order, and the whole log, joined by 0x1e as fuzz_event reads them.
Run from the repository root; it replaces what it writes and leaves other files alone."""
import argparse
import hashlib
import json
import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

# fuzz_body: (reader index of fuzz_body.cpp, body).
BODIES = {
    0: [  # POST tickets
        '{"category":"billing","subject":"Refund not received"}',
        '{"category":"logistics","subject":"parcel damaged","priority":"high"}',
        '{"category":"technical","priority":"low","subject":"b"}',
        '{"category":"other","subject":"x","customer":{"email":"nope"}}',
        '{"category":"other","subject":"x","customer":{"name":"Ravi","email":"ravi@x.in","phone":"+919876543210"}}',
        '{"category":"other","subject":"s","relatedOrderId":"ORD 1/2","shipmentId":"S|1"}',
        '{"category":"other","subject":"a","subject":"b"}',
        '{"category":"other","subject":42}',
        '{"category":"weather","subject":"","priority":"urgent","typo":1}',
        r'{"category":"other","subject":"quote \" slash \\ tab \t nl \n nul \u0000 emoji \ud83d\ude00 | \u2028"}',
        r'{"category":"other","subject":"\ud800"}',
        '{"category":"other","subject":"caf\udce9"}',  # a raw 0xE9
        '{"category":"billing","subject":"s","relatedNDREventId":"N-1","relatedOrderId":"ORD-1","description":"d"}',
        '{"name":"A",',
        '[]',
    ],
    1: [  # PUT tickets/:id
        '{"status":"in-progress"}', '{"status":"resolved"}', '{"status":"closed"}', '{"status":"open"}',
        '{"assignedTo":"REP-000001","priority":"critical","notes":"called the courier"}',
        '{"assignedTo":null}', '{"assignedTo":""}', '{"assignedTo":"REP-999999"}',
        '{"priority":"urgent"}', '{"notes":"one more"}', '{}',
    ],
    2: [  # POST tickets/:id/notes
        '{"note":"We are on it","type":"customer"}', '{"note":"called courier"}', '{"note":""}',
        '{"note":"x","type":"public"}', r'{"note":"\u0001\u001f | e|x c|y i|z"}',
    ],
    3: [  # POST ndr/events
        '{"ndrEventId":"N-2","shipmentId":"SHP-2","action":"call","territory":"north"}',
        '{"ndrEventId":"N-1","shipmentId":"SHP-1","attempt":2,"action":"call"}',
        '{"ndrEventId":"N-3","attempt":1,"action":"rto"}',
        '{"ndrEventId":"NDR-2","attempt":1,"paymentMode":"prepaid"}',
        '{"ndrEventId":"N-4","orderId":"ORD-4","awb":"AWB4","courier":"bluedart","reason":"customer not available",'
        '"paymentMode":"cod","codAmount":499.5,"customer":{"name":"Ravi","phone":"+919876543210"},"action":"call"}',
        '{"ndrEventId":"N-huge","attempt":1e300}', '{"ndrEventId":"N3","codAmount":1.234}',
        '{"ndrEventId":"N|1","orderId":"O\\u0000","shipmentId":"x"}',
        '{"ndrEventId":"a b","attempt":0,"paymentMode":"card","codAmount":"x","action":"fly"}',
    ],
    4: [  # POST sales-reps
        '{"name":"Boss","email":"boss@x.in","phone":"9876543210","territory":"north"}',
        '{"name":"R","email":"r@x.in","phone":"9876543210","maxOpenItems":50,"skills":["billing","logistics"]}',
        '{"name":"B","email":"b@x.in","phone":"9876543211","reportingTo":"REP-000001","commissionPerTicket":350.5}',
        '{"name":"A","email":"a@x.in","phone":"9876543210","bankDetails":{"accountNumber":"112233445566",'
        '"ifscCode":"SBIN0000001","accountHolderName":"A"}}',
        '{"name":"A","email":"nope","phone":"12345"}',
        '{"name":"A","email":"a@x.in","phone":"9876543210","availabilityStatus":"asleep"}',
    ],
    5: [  # PUT sales-reps/:id
        '{"availabilityStatus":"busy","maxOpenItems":null,"territory":"east"}',
        '{"availabilityStatus":"busy","skills":["billing"]}', '{"status":"inactive"}', '{"status":"active"}',
        '{"bankDetails":{"accountNumber":"112233445566","ifscCode":"SBIN0000001","accountHolderName":"A"}}',
        '{"bankDetails":{"accountNumber":"99887766554433221100","ifscCode":"x"}}',
        '{"commissionPerTicket":350.5}', '{"email":"one@x.in"}', '{"reportingTo":"REP-000001"}',
        '{"reportingTo":null}', '{"name":"B"}',
    ],
    6: [  # PUT sales-reps/:id as its agent
        '{"availabilityStatus":"available"}', '{"availabilityStatus":"offline"}', '{"name":"Other"}',
    ],
    7: [  # PUT call-logs/:id
        '{"status":"in-progress"}', '{"status":"completed","resolution":"x"}', '{"status":"no-answer"}',
        '{"status":"disconnected"}', '{"customerFeedback":"called back to thank"}',
        '{"status":"completed","resolution":"customer will collect","customerFeedback":"polite",'
        '"ivrResponses":[{"question":"q","answer":"a"}]}',
        '{"ivrResponses":"yes"}', '{"ivrResponses":[{"answer":"yes"}]}',
        '{"ivrResponses":[{"question":"q","answer":"a","extra":1}]}',
    ],
    8: [  # POST call-logs/:id/callback
        '{"scheduledFor":"2099-01-01T00:00:00Z"}', '{"scheduledFor":"2030-01-01T00:00:00.000Z"}',
        '{"scheduledFor":"2020-01-01T00:00:00Z"}', '{"scheduledFor":"tomorrow"}', '{}',
    ],
    9: [  # POST admin/api-keys
        '{"companyId":"acme","role":"viewer","name":"k"}',
        '{"companyId":"acme","role":"agent","name":"k","repId":"REP-000001"}',
        '{"companyId":"c","role":"boss","name":"k"}', '{"companyId":"c","role":"admin","name":"k","x":1}',
        r'{"companyId":"a\u0000b","role":"admin","name":"k"}', '{"role":"admin"}',
    ],
    10: [  # PUT dispatcher/settings
        '{"assignTickets":true}', '{"assignTickets":false}', '{"assignTickets":null}', '{"assignTickets":"yes"}',
    ],
    11: [  # POST leads (as an agent)
        '{"name":"Ravi","phone":"+91 98765 43210","source":"referral","territory":"north"}',
        '{"name":"Ravi","email":"RAVI@X.IN","source":"marketing","estimatedValue":125000.5,"allowDuplicate":true}',
        '{"name":"R","phone":"98765","source":"cold-call","estimatedValue":-1,"assignedTo":"REP-999999"}',
        '{"name":"","email":"nope","source":"support-ticket","relatedSupportTicketId":"TKT-000001"}',
        '{"name":"x","phone":"9876543210","source":"referral","estimatedValue":1.234}',
    ],
    12: [  # PUT leads/:id
        '{"status":"qualified"}', '{"status":"won"}', '{"status":"lost"}', '{"status":"prospect"}',
        '{"status":"gone"}', '{"assignedTo":null}', '{"assignedTo":"REP-000001","notes":"called back"}', '{}',
    ],
    13: [  # POST leads/:id/convert
        '{"orderId":"ORD-9"}', '{"orderId":"ORD 9"}', '{}', '{"orderId":null}',
    ],
    14: [  # POST disputes (as an agent)
        '{"type":"damaged-goods","claimAmount":1499.5}',
        '{"type":"lost-shipment","claimAmount":10,"relatedSupportTicketId":"TKT-000001","shipmentId":"SHP-1"}',
        '{"type":"stolen","claimAmount":0,"relatedOrderId":"ORD|1"}', '{"type":"quality-issue","claimAmount":1e400}',
    ],
    15: [  # PUT disputes/:id (as an agent)
        '{"status":"decision"}', '{"status":"resolved","resolution":"refund","refundAmount":5000}',
        '{"status":"resolved","resolution":"refund","refundAmount":5000.01}', '{"resolution":"replacement"}',
        '{"refundAmount":99999}', '{"status":"closed","notes":"done"}', '{"status":"archived"}',
    ],
    16: [  # POST disputes/:id/resolve (as an agent)
        '{"resolution":"refund","refundAmount":100}', '{"resolution":"rejected"}', '{"resolution":"refund"}',
        '{"resolution":"replacement","refundAmount":1}',
    ],
}

# fuzz_query: (route index of fuzz_query.cpp, query string).
QUERIES = {
    0: ["status=open&sortBy=-priority&limit=1", "status=done", "sortBy=subject", "q=REFUND",
        "priority=critical,high&category=billing", "page=abc", "limit=101", "limit=10&sortBy=priority&page=",
        "limit=10&page=2", "limit=0", "colour=red", "q=late%20parcel&q2=late+parcel&status=open%2Cclosed",
        "status=open&status=closed,resolved&typo=1", "status=%ZZ", "status=op%65n%2Cwaiting", "st%61tuses=open",
        "q=%FF%FE", "a=%C3", "assignedTo=REP-000001&sortBy=slaDueAt", "flag"],
    1: ["assignedTo=me", "assignedTo=me&status=open"],
    2: ["limit=1", "limit=1&assignedTo=null", "status=pending%2Ccompleted&assignedTo=",
        "shipmentId=SHP-1&sortBy=-updatedAt"],
    3: ["status=active", "territory=south%20zone&status=active%2Cinactive", "territory=south+zone",
        "availabilityStatus=busy", "limit=1&page=2&sortBy=createdAt", "status=sleeping", "sortBy=-name"],
    4: ["from=2000-01-01T00:00:00.000Z&to=2000-01-02T00:00:00.000Z",
        "from=2020-01-01T00%3A00%3A00.000Z&to=2999-01-01T00%3A00%3A00.000%2B05%3A30",
        "from=2026-11-24T10:00:00.000%2B99:99", "from=yesterday"],
    5: ["from=2020-01-01T00:00:00Z&to=2030-01-01T00:00:00Z", "to=2026-11-24T10:00:00.000Z"],
    6: ["reveal=bankDetails", "reveal=all"],
    7: ["after=", "after=-1", "after=18446744073709551615", "after=18446744073709551616", "entity=TKT-000001",
        "from=2020-01-01T00%3A00%3A00Z&type=ticket%2Ecreated&entity=", "limit=1", "limit=1000&type=",
        "limit=5000", "type=ticket.status_changed", "after=2&limit=3"],
    8: ["companyId=acme", "companyId=", "companyId=c"],
    9: ["", "x=1"],
    10: ["status=prospect%2Cqualified&territory=north&sortBy=-score", "source=referral,marketing&assignedTo=me",
         "assignedTo=null&sortBy=estimatedValue&page=2&limit=5", "status=cold", "sortBy=name", "territory="],
    11: ["from=2020-01-01T00:00:00.000Z&to=2030-01-01T00:00:00.000Z", "from=never", ""],
    12: ["stalled=true", "stalled=maybe", "status=decision,resolved&type=damaged-goods&sortBy=-claimAmount",
         "type=flood", "sortBy=refundAmount"],
    13: ["", "from=2020-01-01T00%3A00%3A00Z", "to=x"],
}


def http(method, target, role=None, body=None, headers=()):
    lines = [f"{method} {target} HTTP/1.1", "Host: x"]
    if role == "platform":
        lines += ["Authorization: Bearer fuzz-platform-token-0123456789", "X-Company-Id: acme"]
    elif role:
        lines.append(f"Authorization: Bearer @{role}")
    lines += list(headers)
    if body is not None:
        if not any(h.lower().startswith("content-type") for h in headers):
            lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {len(body.encode('utf-8', 'surrogateescape'))}")
    return "\r\n".join(lines) + "\r\n\r\n" + (body or "")


def requests():
    t = "/api/v1/support/tickets"
    reps = "/api/v1/crm/sales-reps"
    calls = "/api/v1/crm/call-logs"
    out = [
        http("GET", "/healthz"), http("GET", "/metrics"),
        http("GET", t, "admin"), http("GET", t + "/TKT-000001", "viewer"), http("GET", t + "/TKT-%E2%82%AC", "admin"),
        http("GET", "/api/v1/support/%74ickets/?q=late%20parcel&status=open%2Cclosed", "admin"),
        http("GET", "/api/v1/nothing/here", "admin"), http("DELETE", t, "admin"),
        http("POST", t, "admin", '{"category":"billing","subject":"Refund not received"}'),
        http("POST", t, "manager", '{"category":"other","subject":"once"}', ["Idempotency-Key: make-1"]),
        http("POST", t, "admin", '{"category":"other","subject":"s"}', ["Idempotency-Key: B|K"]),
        http("POST", t, "platform", '{"category":"other","subject":"s"}'),
        http("POST", t, None, '{"category":"other","subject":"s"}',
             ["Authorization: Bearer fuzz-platform-token-0123456789", "X-Company-Id: a|b"]),
        http("GET", t, None, None, ["Authorization: Bearer \udcff\udcfe", "X-Company-Id: acme"]),
        http("POST", t, "viewer", '{"category":"other","subject":"s"}'),
        http("POST", t, "admin", '{"category":"other","subject":"s"}', ["Content-Type: text/plain"]),
        http("POST", t, "admin", '{"category":"other","subject":"s"}',
             ["Content-Type:  application/json ;charset=UTF-8"]),
        http("POST", t, None, '{"category":"other","subject":"s"}', ["Authorization: Bearer nope"]),
        http("PUT", t + "/TKT-000001", "admin", '{"status":"in-progress","assignedTo":"REP-000001"}'),
        http("PUT", t + "/TKT-000002", "manager", '{"status":"resolved","priority":"high"}'),
        http("PUT", t + "/TKT-000001", "admin", '{"assignedTo":null,"status":"closed"}'),
        http("PUT", reps + "/REP-000001", "admin", '{"commissionPerTicket":350.5,"bankDetails":{"accountNumber":'
             '"112233445566","ifscCode":"SBIN0000001","accountHolderName":"A"}}'),
        http("PUT", calls + "/CALL-000002", "admin", '{"status":"completed","resolution":"x"}'),
        http("DELETE", "/api/v1/admin/api-keys/KEY-000005", "platform"),
        http("POST", t + "/TKT-000001/notes", "agent", '{"note":"We are on it","type":"customer"}'),
        http("GET", "/api/v1/support/metrics?from=2020-01-01T00%3A00%3A00.000Z", "viewer"),
        http("POST", "/api/v1/ndr/events", "admin", '{"ndrEventId":"N-5","shipmentId":"SHP-5","action":"call"}'),
        http("POST", reps, "manager", '{"name":"R","email":"r@x.in","phone":"9876543210","territory":"north"}'),
        http("GET", reps + "/REP-000001?reveal=bankDetails", "admin"),
        http("PUT", reps + "/REP-000001", "agent", '{"availabilityStatus":"busy"}'),
        http("DELETE", reps + "/REP-999999", "manager"),
        http("GET", reps + "/REP-000001/performance", "viewer"),
        http("GET", "/api/v1/crm/dispatcher/settings", "viewer"),
        http("PUT", "/api/v1/crm/dispatcher/settings", "manager", '{"assignTickets":true}'),
        http("GET", calls + "?limit=1&assignedTo=null", "admin"), http("GET", calls + "/CALL-000001", "agent"),
        http("PUT", calls + "/CALL-000001", "admin", '{"status":"no-answer"}'),
        http("POST", calls + "/CALL-000001/callback", "admin", '{"scheduledFor":"2099-01-01T00:00:00Z"}'),
        http("GET", "/api/v1/shipments/SHP-1/timeline", "viewer"),
        http("GET", "/api/v1/audit/events?limit=5&type=ticket.created", "admin"),
        http("POST", "/api/v1/admin/api-keys", "platform", '{"companyId":"acme","role":"viewer","name":"k"}',
             ["Idempotency-Key: make-key-1"]),
        http("GET", "/api/v1/admin/api-keys?companyId=acme", "platform"),
        http("DELETE", "/api/v1/admin/api-keys/KEY-999999", "platform"),
        # Pipelined, chunked, 100-continue, HTTP/1.0 and a request whose body never comes.
        http("GET", "/healthz") + http("POST", t, "admin", '{"category":"other","subject":"continued"}',
                                       ["Expect: 100-continue"]),
        "POST /api/v1/support/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer @admin\r\n"
        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        "10\r\n{\"category\":\"oth\r\n13\r\ner\",\"subject\":\"ch\"}\r\n0\r\n\r\n",
        "GET /api/v1/support/tickets HTTP/1.0\r\nAuthorization: Bearer @viewer\r\n\r\n",
        "POST /api/v1/support/tickets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\n"
        "Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n",
    ]
    return out


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode("utf-8", "surrogateescape"))


def event_seeds(dump):
    events = []
    for name in sorted(os.listdir(dump), key=int):
        with open(os.path.join(dump, name), "rb") as f:
            events.append(f.read())
    by_entity = {}
    for e in events:
        canonical = json.loads(e[: e.rindex(b"\n")])
        by_entity.setdefault(canonical["entity"], []).append(e)
        write("fuzz_event", "event-%d-%s" % (canonical["seq"], canonical["type"]), e)
    for entity, evs in by_entity.items():
        if len(evs) > 1:
            write("fuzz_event", "entity-" + hashlib.sha1(entity.encode()).hexdigest()[:8], b"\x1e".join(evs))
    write("fuzz_event", "log", b"\x1e".join(events))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", help="a directory of stored events dumped by fuzz_request")
    args = ap.parse_args()
    for i, r in enumerate(requests()):
        write("fuzz_request", "req-%02d" % i, r)
    for reader, bodies in BODIES.items():
        for j, b in enumerate(bodies):
            write("fuzz_body", "body-%02d-%02d" % (reader, j), bytes([reader]) + b.encode("utf-8", "surrogateescape"))
    for route, queries in QUERIES.items():
        for j, q in enumerate(queries):
            write("fuzz_query", "query-%02d-%02d" % (route, j), bytes([route]) + q.encode())
    if args.events:
        event_seeds(args.events)


if __name__ == "__main__":
    main()
