#pragma once
// Notification templates (CONTRACT section 11): the catalogue of (event, channel) rows with the
// placeholders each offers and its default text, the checks a saved template passes, rendering
// with Mustache (no HTML escaping), and a company's saved templates as a pure decide/apply pair.
//
// Events (entity: "templates"):
//   notification.template_set {event, channel, subject, body} a company's own text for one row
//
// Nothing here throws; nothing here holds a lock: a template_set belongs to one company's actor.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "domain/errc.hpp"
#include "domain/event.hpp"
#include "domain/json.hpp"
#include "domain/notification.hpp" // channel, origin

namespace crm::notifications {

/// Limits of a saved template, in bytes of UTF-8.
constexpr std::size_t max_subject_bytes = 200;
constexpr std::size_t max_body_bytes = 4096;

struct template_text {
  std::string subject; // email only; empty for the other channels' defaults
  std::string body;
  bool operator==(const template_text&) const = default;
};

/// One row of the catalogue: the event (ticket.assigned, call.assigned, ticket.status_changed,
/// call.callback_due, ticket.escalated, dispute.created, dispute.resolved, summary.daily), the
/// channel it goes by, the placeholders it offers, and the default text.
struct template_row {
  std::string_view event;
  channel ch;
  std::vector<std::string_view> placeholders; // "ticket.ticketId", ...
  template_text fallback;
};

/// The eight rows, in the order GET /notifications/templates lists them. Every fallback passes
/// validate_template against its row. The vector lives for the whole program.
const std::vector<template_row>& template_catalogue();
/// The row for (event, ch), or nullptr when the catalogue has none.
const template_row* find_template_row(std::string_view event, channel ch);

/// A template as saved by PUT /api/v1/notifications/templates/:event/:channel: 422 (errc::invalid)
/// with details {"subject": why} / {"body": why} (at most one problem per part, both parts
/// checked) when: not valid UTF-8 or holds control characters (U+0000..U+001F, U+007F,
/// U+0080..U+009F) other than \n \r \t in the body (none at all in the subject); subject over
/// 200 bytes or body over 4096 bytes or body empty; an email row with an empty subject; not
/// valid Mustache (kainjow's error message); a delimiter change ({{=...=}}) or a partial
/// ({{>...}}); a tag naming a placeholder the row does not offer ("unknown placeholder
/// {{ticket.foo}}; this template offers ticket.ticketId, ..."), "{{.}}" and an empty tag
/// included. Sections {{#x}}..{{/x}} and inverted sections {{^x}} over an offered name are
/// allowed, as are comments {{! ...}} and unescaped {{{x}}} / {{&x}}. nullopt: it may be saved.
std::optional<error> validate_template(const template_row& row, const template_text& t);

/// Values of the placeholders, by dotted name ("ticket.ticketId" -> "TKT-000001").
using render_context = std::vector<std::pair<std::string, std::string>>;

/// Renders `tmpl` with `ctx` (nested Mustache data built from the dotted names, so
/// {{ticket.ticketId}} resolves), WITHOUT HTML escaping (these are emails, SMS and WhatsApp
/// texts, not HTML). A placeholder missing from ctx, or whose value is empty, renders empty and
/// is false for a section ({{#x}} skipped, {{^x}} shown). The last value of a name repeated in
/// ctx wins; of two names where one is a prefix of the other ("ticket" beside "ticket.ticketId")
/// the longer is dropped, as is a name with an empty segment ("ticket..x"). Values are never
/// read as Mustache, and partials render empty. A template that is not valid Mustache renders
/// as its raw text. Never throws.
std::string render(std::string_view tmpl, const render_context& ctx);
/// Both parts.
template_text render(const template_text& t, const render_context& ctx);

/// A company's templates: its saved ones over the catalogue's defaults. A value; copyable.
class template_set {
public:
  template_set();

  /// The saved one, else the row's default. Precondition: (event, ch) is a catalogue row (when it
  /// is not, an empty template_text).
  const template_text& get(std::string_view event, channel ch) const;
  /// True when the company saved its own text for the row (even one equal to the default).
  bool customized(std::string_view event, channel ch) const;
  /// Saves `t` for the row; ignored when (event, ch) is not a catalogue row. Does not validate.
  void set(std::string_view event, channel ch, template_text t);

  bool operator==(const template_set&) const = default;

private:
  std::vector<std::optional<template_text>> saved_; // by catalogue index
};

/// notification.template_set {event, channel, subject, body}; entity "templates". Precondition:
/// validate_template(row, t) passed.
event_draft decide_template_set(const template_row& row, const template_text& t, const origin& o);

/// Folds a notification.template_set event into `s` (ignores rows the catalogue does not have,
/// and other event types); false on data it cannot read (not JSON, or event, channel, subject or
/// body not a string).
bool apply(template_set& s, const event& e);

/// GET /api/v1/notifications/templates: {"templates": [{event, channel, subject, body,
/// placeholders: [...], customized: bool}, ...]} in catalogue order.
void write_json(json::writer& w, const template_set& s);

} // namespace crm::notifications
