// Notification templates: the catalogue and its defaults, the checks a saved template passes,
// rendering without HTML escaping, and a company's saved templates (decide/apply, JSON).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "domain/templates.hpp"

namespace crm::notifications {
namespace {

const millis t0 = 1'795'000'000'000;

event as_event(const event_draft& d, std::uint64_t seq) {
  return event{seq, d.at, d.company_id, d.entity, d.type, d.actor, d.data, {}, {}};
}

const template_row& row_of(std::string_view ev, channel ch) {
  const template_row* r = find_template_row(ev, ch);
  EXPECT_NE(r, nullptr) << ev;
  return r ? *r : template_catalogue().front();
}

/// The problem validate_template reports for `field`, "" when none; "ok" when no error at all.
std::string problem(const template_row& row, const template_text& t, std::string_view field) {
  auto err = validate_template(row, t);
  if (!err)
    return "ok";
  EXPECT_EQ(err->code, errc::invalid);
  for (const auto& d : err->details)
    if (d.field == field)
      return d.problem;
  return "";
}

/// A value for every placeholder any row offers.
render_context full_context() {
  return {
      {"ticket.ticketId", "TKT-000001"},  {"ticket.subject", "Broken screen"},
      {"ticket.status", "resolved"},      {"ticket.previousStatus", "in-progress"},
      {"ticket.priority", "high"},        {"ticket.category", "technical"},
      {"ticket.customerName", "Asha"},    {"ticket.previousAssignee", "REP-2"},
      {"rep.repId", "REP-1"},             {"rep.name", "Ravi"},
      {"call.callLogId", "CALL-000001"},  {"call.orderId", "ORD-1"},
      {"call.shipmentId", "SHP-1"},       {"call.customerPhone", "+919876543210"},
      {"call.attempts", "2"},             {"call.scheduledFor", "2026-11-18T10:00:00.000Z"},
      {"escalation.after", "24h"},        {"dispute.disputeId", "DSP-000001"},
      {"dispute.type", "damaged-goods"},  {"dispute.status", "resolved"},
      {"dispute.claimAmount", "1250.00"}, {"dispute.refundAmount", "1000.00"},
      {"dispute.resolution", "refund"},   {"dispute.ticketId", "TKT-000001"},
      {"dispute.orderId", "ORD-1"},       {"dispute.customerName", "Asha"},
      {"summary.date", "2026-11-18"},     {"summary.teamSize", "4"},
      {"summary.open", "7"},              {"summary.breached", "2"},
      {"summary.resolved", "5"},
  };
}

TEST(templates, the_catalogue_has_the_eight_rows_of_the_contract_in_order) {
  const std::vector<std::pair<std::string_view, channel>> expected = {
      {"ticket.assigned", channel::whatsapp},   {"call.assigned", channel::whatsapp},
      {"ticket.status_changed", channel::email}, {"call.callback_due", channel::sms},
      {"ticket.escalated", channel::whatsapp},  {"dispute.created", channel::email},
      {"dispute.resolved", channel::email},     {"summary.daily", channel::email},
  };
  const auto& rows = template_catalogue();
  ASSERT_EQ(rows.size(), expected.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].event, expected[i].first);
    EXPECT_EQ(rows[i].ch, expected[i].second);
    EXPECT_EQ(find_template_row(expected[i].first, expected[i].second), &rows[i]);
    EXPECT_FALSE(rows[i].placeholders.empty());
  }
  EXPECT_EQ(find_template_row("ticket.assigned", channel::email), nullptr);
  EXPECT_EQ(find_template_row("ticket.nope", channel::whatsapp), nullptr);
  auto& due = row_of("call.callback_due", channel::sms);
  EXPECT_EQ(due.placeholders,
            (std::vector<std::string_view>{"call.callLogId", "call.orderId", "call.shipmentId", "call.customerPhone",
                                           "call.attempts", "call.scheduledFor", "rep.repId", "rep.name"}));
}

TEST(templates, every_default_validates) {
  for (const auto& row : template_catalogue()) {
    auto err = validate_template(row, row.fallback);
    EXPECT_FALSE(err.has_value()) << row.event << ": "
                                  << (err && !err->details.empty() ? err->details[0].problem : "");
    EXPECT_FALSE(row.fallback.body.empty()) << row.event;
    EXPECT_EQ(row.fallback.subject.empty(), row.ch != channel::email) << row.event;
  }
}

TEST(templates, every_default_renders_with_its_values_filled_in) {
  const auto ctx = full_context();
  for (const auto& row : template_catalogue()) {
    auto out = render(row.fallback, ctx);
    EXPECT_EQ(out.subject.find("{{"), std::string::npos) << row.event << ": " << out.subject;
    EXPECT_EQ(out.body.find("{{"), std::string::npos) << row.event << ": " << out.body;
    EXPECT_EQ(out.body.find("}}"), std::string::npos) << row.event << ": " << out.body;
    EXPECT_FALSE(out.body.empty());
  }
  EXPECT_EQ(render(row_of("ticket.assigned", channel::whatsapp).fallback.body, ctx),
            "New ticket TKT-000001 assigned to you: Broken screen");
  EXPECT_EQ(render(row_of("call.assigned", channel::whatsapp).fallback.body, ctx),
            "New call request for Order #ORD-1 (CALL-000001)");
  EXPECT_EQ(render(row_of("call.callback_due", channel::sms).fallback.body, ctx),
            "Callback due: Order #ORD-1 (CALL-000001), customer +919876543210");
  EXPECT_EQ(render(row_of("ticket.escalated", channel::whatsapp).fallback.body, ctx),
            "Escalated to you: ticket TKT-000001 (Broken screen) is unresolved after 24h");
  auto changed = render(row_of("ticket.status_changed", channel::email).fallback, ctx);
  EXPECT_EQ(changed.subject, "Your ticket TKT-000001 is now resolved");
  EXPECT_EQ(changed.body, "Hello Asha,\n\nyour support ticket TKT-000001 (Broken screen) is now resolved.\n");
  auto created = render(row_of("dispute.created", channel::email).fallback, ctx);
  EXPECT_EQ(created.subject, "Your dispute DSP-000001 is opened");
  EXPECT_NE(created.body.find("Hello Asha,"), std::string::npos) << created.body;
  EXPECT_NE(created.body.find("DSP-000001"), std::string::npos) << created.body;
  EXPECT_NE(created.body.find("order ORD-1"), std::string::npos) << created.body;
  auto resolved = render(row_of("dispute.resolved", channel::email).fallback, ctx);
  EXPECT_EQ(resolved.subject, "Your dispute DSP-000001 is resolved");
  EXPECT_NE(resolved.body.find("resolved: refund."), std::string::npos) << resolved.body;
  EXPECT_NE(resolved.body.find("A refund of INR 1000.00"), std::string::npos) << resolved.body;
  auto summary = render(row_of("summary.daily", channel::email).fallback, ctx);
  EXPECT_EQ(summary.subject, "Team summary for 2026-11-18");
  for (auto part : {"Hello Ravi,", "team of 4 reps", "open tickets: 7", "breached (SLA): 2",
                    "resolved in the last 24 hours: 5"})
    EXPECT_NE(summary.body.find(part), std::string::npos) << part << " in " << summary.body;
}

TEST(templates, rendering_does_not_escape_html) {
  const render_context ctx = {{"ticket.subject", "A&B <x> \"q\" 'a'"}};
  EXPECT_EQ(render("{{ticket.subject}}", ctx), "A&B <x> \"q\" 'a'");
  EXPECT_EQ(render("{{{ticket.subject}}}", ctx), "A&B <x> \"q\" 'a'");
  EXPECT_EQ(render("{{& ticket.subject }}", ctx), "A&B <x> \"q\" 'a'");
  EXPECT_EQ(render("<b>{{ ticket.subject }}</b>", ctx), "<b>A&B <x> \"q\" 'a'</b>");
}

TEST(templates, missing_and_empty_values_render_empty) {
  EXPECT_EQ(render("[{{ticket.subject}}]", {}), "[]");
  EXPECT_EQ(render("[{{ticket.subject}}]", {{"ticket.subject", ""}}), "[]");
  EXPECT_EQ(render("[{{ticket.subject}}|{{ticket.ticketId}}]", {{"ticket.ticketId", "TKT-1"}}), "[|TKT-1]");
  auto& changed = row_of("ticket.status_changed", channel::email);
  const render_context ctx = {{"ticket.ticketId", "TKT-1"}, {"ticket.subject", "s"}, {"ticket.status", "closed"}};
  EXPECT_EQ(render(changed.fallback.body, ctx), "Hello,\n\nyour support ticket TKT-1 (s) is now closed.\n");
  EXPECT_EQ(render(changed.fallback.body, {{"ticket.customerName", ""}}),
            "Hello,\n\nyour support ticket  () is now .\n");
}

TEST(templates, sections_and_inverted_sections_over_an_offered_name_render) {
  const std::string t = "{{#ticket.customerName}}Dear {{ticket.customerName}}{{/ticket.customerName}}"
                        "{{^ticket.customerName}}Dear customer{{/ticket.customerName}},";
  EXPECT_EQ(render(t, {{"ticket.customerName", "Asha"}}), "Dear Asha,");
  EXPECT_EQ(render(t, {}), "Dear customer,");
  EXPECT_EQ(render(t, {{"ticket.customerName", ""}}), "Dear customer,");
  EXPECT_FALSE(validate_template(row_of("ticket.status_changed", channel::email), {"s", t}).has_value());

  auto& resolved = row_of("dispute.resolved", channel::email);
  render_context ctx = {{"dispute.disputeId", "DSP-1"}, {"dispute.resolution", "rejected"}};
  auto no_refund = render(resolved.fallback.body, ctx);
  EXPECT_EQ(no_refund.find("refund of"), std::string::npos) << no_refund;
  EXPECT_EQ(no_refund.find("about order"), std::string::npos) << no_refund;
  ctx.push_back({"dispute.refundAmount", "99.50"});
  EXPECT_NE(render(resolved.fallback.body, ctx).find("A refund of INR 99.50 is on its way."), std::string::npos);
}

TEST(templates, rendering_never_reads_values_or_broken_templates_as_mustache) {
  EXPECT_EQ(render("{{ticket.subject}}", {{"ticket.subject", "{{ticket.ticketId}}"}, {"ticket.ticketId", "X"}}),
            "{{ticket.ticketId}}");
  EXPECT_EQ(render("{{#ticket.subject}}open", {{"ticket.subject", "x"}}), "{{#ticket.subject}}open");
  EXPECT_EQ(render("Hi {{ticket.subject", {}), "Hi {{ticket.subject");
  EXPECT_EQ(render("[{{>subject}}]", {{"subject", "{{x}}"}}), "[]");
  EXPECT_EQ(render("{{a}}|{{a.b}}", {{"a.b", "deep"}, {"a", "flat"}}), "flat|");
  EXPECT_EQ(render("{{a.b}}", {{"a.b", "one"}, {"a.b", "two"}}), "two");
  EXPECT_EQ(render("{{a..b}}", {{"a..b", "x"}}), "");
  EXPECT_EQ(render("", {}), "");
}

TEST(templates, an_unknown_placeholder_is_422_naming_it_and_the_offered_ones) {
  auto& row = row_of("ticket.assigned", channel::whatsapp);
  auto err = validate_template(row, {"", "Hi {{ticket.foo}}"});
  ASSERT_TRUE(err.has_value());
  EXPECT_EQ(err->code, errc::invalid);
  ASSERT_EQ(err->details.size(), 1u);
  EXPECT_EQ(err->details[0].field, "body");
  EXPECT_EQ(err->details[0].problem,
            "unknown placeholder {{ticket.foo}}; this template offers ticket.ticketId, ticket.subject, ticket.status, "
            "ticket.priority, ticket.category, ticket.customerName, rep.repId, rep.name");
  EXPECT_NE(problem(row, {"", "{{#call.orderId}}x{{/call.orderId}}"}, "body").find("{{call.orderId}}"),
            std::string::npos);
  EXPECT_NE(problem(row, {"", "{{{ticket.bar}}}"}, "body").find("{{ticket.bar}}"), std::string::npos);
  EXPECT_NE(problem(row, {"", "{{& ticket.baz }}"}, "body").find("{{ticket.baz}}"), std::string::npos);
  EXPECT_NE(problem(row, {"", "{{^ticket}}x{{/ticket}}"}, "body").find("{{ticket}}"), std::string::npos);
  EXPECT_NE(problem(row, {"", "{{.}}"}, "body").find("unknown placeholder {{.}}"), std::string::npos);
  EXPECT_NE(problem(row, {"", "{{}}"}, "body").find("unknown placeholder {{}}"), std::string::npos);
  auto& changed = row_of("ticket.status_changed", channel::email);
  EXPECT_NE(problem(changed, {"About {{rep.name}}", "ok"}, "subject").find("{{rep.name}}"), std::string::npos);
}

TEST(templates, what_kainjow_reads_and_the_row_offers_is_allowed) {
  auto& row = row_of("ticket.assigned", channel::whatsapp);
  for (const char* body : {"plain text", "{{ ticket.ticketId }}", "{{! a comment with {braces} }}{{rep.name}}",
                           "{{{ticket.subject}}} / {{&ticket.subject}}",
                           "{{#rep.name}}{{rep.name}}{{/rep.name}}{{^rep.name}}nobody{{/rep.name}}",
                           "{{#ticket.subject}}{{#rep.name}}{{rep.repId}}{{/rep.name}}{{/ticket.subject}}",
                           "line\r\nline\ttab\n", "single } and { braces", "caf\xC3\xA9 \xE2\x82\xB9 100"})
    EXPECT_EQ(problem(row, {"", body}, "body"), "ok") << body;
  EXPECT_EQ(problem(row, {"a subject, unused", "x"}, "body"), "ok");
}

TEST(templates, delimiter_changes_and_partials_are_422) {
  auto& row = row_of("ticket.assigned", channel::whatsapp);
  EXPECT_NE(problem(row, {"", "{{=<% %>=}}<%ticket.ticketId%>"}, "body").find("delimiters"), std::string::npos);
  EXPECT_NE(problem(row, {"", "{{ticket.ticketId}} {{= | | =}}|rep.name|"}, "body").find("delimiters"),
            std::string::npos);
  EXPECT_NE(problem(row, {"", "{{>ticket.subject}}"}, "body").find("partial"), std::string::npos);
  EXPECT_NE(problem(row, {"", "{{> footer }}"}, "body").find("{{>footer}}"), std::string::npos);
}

TEST(templates, invalid_mustache_is_422_with_kainjows_message) {
  auto& row = row_of("ticket.assigned", channel::whatsapp);
  auto p = problem(row, {"", "{{#ticket.subject}} without close"}, "body");
  EXPECT_EQ(p.rfind("is not valid Mustache: ", 0), 0u) << p;
  EXPECT_NE(p.find("Unclosed section \"ticket.subject\""), std::string::npos) << p;
  EXPECT_NE(problem(row, {"", "{{/rep.name}}"}, "body").find("Unopened section"), std::string::npos);
  EXPECT_NE(problem(row, {"", "{{#rep.name}}{{/ticket.subject}}"}, "body").find("not valid Mustache"),
            std::string::npos);
  EXPECT_NE(problem(row, {"", "Hi {{rep.name"}, "body").find("Unclosed tag"), std::string::npos);
  EXPECT_NE(problem(row, {"", "{{{rep.name}}"}, "body").find("not valid Mustache"), std::string::npos);
  EXPECT_NE(problem(row, {"", "ends with {{"}, "body").find("not valid Mustache"), std::string::npos);
  auto& email = row_of("ticket.status_changed", channel::email);
  EXPECT_NE(problem(email, {"{{#ticket.status}}", "ok"}, "subject").find("not valid Mustache"), std::string::npos);
}

TEST(templates, sizes_and_empty_parts_are_422) {
  auto& wa = row_of("ticket.assigned", channel::whatsapp);
  auto& email = row_of("ticket.status_changed", channel::email);
  EXPECT_EQ(problem(wa, {"", std::string(max_body_bytes, 'x')}, "body"), "ok");
  EXPECT_EQ(problem(wa, {"", std::string(max_body_bytes + 1, 'x')}, "body"), "must be at most 4096 bytes");
  EXPECT_EQ(problem(email, {std::string(max_subject_bytes, 's'), "b"}, "subject"), "ok");
  EXPECT_EQ(problem(email, {std::string(max_subject_bytes + 1, 's'), "b"}, "subject"), "must be at most 200 bytes");
  EXPECT_EQ(problem(wa, {"", ""}, "body"), "must not be empty");
  EXPECT_EQ(problem(email, {"", "body"}, "subject"), "must not be empty for an email");
  EXPECT_EQ(problem(wa, {"", "body"}, "subject"), "ok");
  auto err = validate_template(email, {"", ""});
  ASSERT_TRUE(err.has_value());
  ASSERT_EQ(err->details.size(), 2u);
  EXPECT_EQ(err->details[0].field, "subject");
  EXPECT_EQ(err->details[1].field, "body");
}

TEST(templates, bad_utf8_and_control_characters_are_422) {
  auto& email = row_of("ticket.status_changed", channel::email);
  EXPECT_EQ(problem(email, {"s", "caf\xE9"}, "body"), "must be valid UTF-8");
  EXPECT_EQ(problem(email, {"caf\xE9", "b"}, "subject"), "must be valid UTF-8");
  EXPECT_EQ(problem(email, {"line\nbreak", "b"}, "subject"), "must not hold control characters");
  EXPECT_EQ(problem(email, {"tab\there", "b"}, "subject"), "must not hold control characters");
  EXPECT_EQ(problem(email, {"del\x7f", "b"}, "subject"), "must not hold control characters");
  EXPECT_EQ(problem(email, {"s", std::string("nul\0x", 5)}, "body"),
            "must not hold control characters other than \\n \\r \\t");
  EXPECT_EQ(problem(email, {"s", "bell\x07"}, "body"), "must not hold control characters other than \\n \\r \\t");
  EXPECT_EQ(problem(email, {"s", "nel\xC2\x85"}, "body"), "must not hold control characters other than \\n \\r \\t");
  EXPECT_EQ(problem(email, {"s", "nbsp\xC2\xA0ok"}, "body"), "ok");
}

TEST(templates, a_template_set_serves_the_saved_text_over_the_default) {
  template_set s;
  auto& row = row_of("call.assigned", channel::whatsapp);
  EXPECT_EQ(s.get("call.assigned", channel::whatsapp), row.fallback);
  EXPECT_FALSE(s.customized("call.assigned", channel::whatsapp));
  template_text mine{"", "Call {{call.callLogId}} is yours"};
  s.set("call.assigned", channel::whatsapp, mine);
  EXPECT_EQ(s.get("call.assigned", channel::whatsapp), mine);
  EXPECT_TRUE(s.customized("call.assigned", channel::whatsapp));
  EXPECT_FALSE(s.customized("ticket.assigned", channel::whatsapp));
  EXPECT_EQ(s.get("ticket.assigned", channel::whatsapp), row_of("ticket.assigned", channel::whatsapp).fallback);
  s.set("call.assigned", channel::sms, {"", "not a row"});
  EXPECT_FALSE(s.customized("call.assigned", channel::sms));
  EXPECT_EQ(s.get("call.assigned", channel::sms), template_text{});
  s.set("call.assigned", channel::whatsapp, row.fallback);
  EXPECT_TRUE(s.customized("call.assigned", channel::whatsapp));
  EXPECT_NE(s, template_set{});
}

TEST(templates, decide_and_apply_round_trip) {
  const origin who{"acme", "key-admin", t0};
  auto& row = row_of("ticket.status_changed", channel::email);
  template_text mine{"Ticket {{ticket.ticketId}}: {{ticket.status}}", "Hi,\n{{ticket.subject}} & more\n"};
  ASSERT_FALSE(validate_template(row, mine).has_value());
  auto d = decide_template_set(row, mine, who);
  EXPECT_EQ(d.company_id, "acme");
  EXPECT_EQ(d.entity, "templates");
  EXPECT_EQ(d.type, "notification.template_set");
  EXPECT_EQ(d.actor, "key-admin");
  EXPECT_EQ(d.at, t0);
  simdjson::dom::parser p;
  simdjson::dom::element data;
  ASSERT_FALSE(p.parse(d.data).get(data));
  EXPECT_EQ(json::get_str(data, "event"), "ticket.status_changed");
  EXPECT_EQ(json::get_str(data, "channel"), "email");
  EXPECT_EQ(json::get_str(data, "subject"), mine.subject);
  EXPECT_EQ(json::get_str(data, "body"), mine.body);

  template_set s;
  ASSERT_TRUE(apply(s, as_event(d, 1)));
  EXPECT_TRUE(s.customized("ticket.status_changed", channel::email));
  EXPECT_EQ(s.get("ticket.status_changed", channel::email), mine);

  template_set replayed;
  std::vector<event> log = {as_event(d, 1)};
  log.push_back(as_event(d, 2));
  log.back().data = R"({"event":"ticket.status_changed","channel":"sms","subject":"","body":"x"})";
  log.push_back(as_event(d, 3));
  log.back().data = R"({"event":"ticket.unknown","channel":"email","subject":"","body":"x"})";
  log.push_back(as_event(d, 4));
  log.back().data = R"({"event":"ticket.assigned","channel":"pigeon","subject":"","body":"x"})";
  log.push_back(as_event(d, 5));
  log.back().type = "notification.queued";
  log.back().data = R"({"notificationId":"NTF-000001"})";
  for (const auto& e : log)
    EXPECT_TRUE(apply(replayed, e)) << e.data;
  EXPECT_EQ(replayed, s);
  EXPECT_FALSE(replayed.customized("ticket.status_changed", channel::sms));

  auto bad = as_event(d, 6);
  bad.data = "not json";
  EXPECT_FALSE(apply(replayed, bad));
  bad.data = R"({"event":"ticket.assigned","channel":"whatsapp","subject":""})";
  EXPECT_FALSE(apply(replayed, bad));
  bad.data = R"({"event":"ticket.assigned","channel":"whatsapp","subject":"","body":7})";
  EXPECT_FALSE(apply(replayed, bad));
  EXPECT_EQ(replayed, s);
}

TEST(templates, write_json_lists_the_catalogue_with_placeholders_and_customized_flags) {
  template_set s;
  template_text mine{"", "Yours: {{ticket.ticketId}}"};
  s.set("ticket.escalated", channel::whatsapp, mine);
  rapidjson::StringBuffer sb;
  json::writer w(sb);
  write_json(w, s);
  const std::string out(sb.GetString(), sb.GetSize());

  simdjson::dom::parser p;
  simdjson::dom::element doc;
  ASSERT_FALSE(p.parse(out).get(doc)) << out;
  simdjson::dom::array list;
  ASSERT_FALSE(doc["templates"].get(list)) << out;
  ASSERT_EQ(list.size(), 8u);
  const auto& rows = template_catalogue();
  std::size_t i = 0;
  for (simdjson::dom::element item : list) {
    const auto& row = rows[i++];
    EXPECT_EQ(json::get_str(item, "event"), row.event);
    EXPECT_EQ(json::get_str(item, "channel"), to_string(row.ch));
    const bool custom = row.event == "ticket.escalated";
    const template_text& t = custom ? mine : row.fallback;
    EXPECT_EQ(json::get_str(item, "subject"), t.subject);
    EXPECT_EQ(json::get_str(item, "body"), t.body);
    bool customized = !custom;
    ASSERT_FALSE(item["customized"].get(customized));
    EXPECT_EQ(customized, custom) << row.event;
    simdjson::dom::array names;
    ASSERT_FALSE(item["placeholders"].get(names));
    std::vector<std::string_view> got;
    for (simdjson::dom::element n : names) {
      std::string_view v;
      ASSERT_FALSE(n.get(v));
      got.push_back(v);
    }
    EXPECT_EQ(got, row.placeholders) << row.event;
  }
}

} // namespace
} // namespace crm::notifications
