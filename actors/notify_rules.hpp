#pragma once
// The rules of CONTRACT section 11: which messages a written event makes, and the daily
// summary. Pure functions of the event, the company's read model (company_view.hpp) and its
// templates (domain/templates.hpp); the notifier (notifier.hpp) journals what they return.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/company_view.hpp"
#include "actors/env.hpp"
#include "domain/notification.hpp"
#include "domain/templates.hpp"

namespace crm::actors {

/// Whether a rule may care for an event of this type (what the journal's tap copies).
bool may_notify(std::string_view type);

/// The messages the event `e` makes for a company whose read model is `view` (only on the
/// configured channels):
///   ticket.assigned, call.assigned   WhatsApp to the rep (ticket.assigned / call.assigned)
///   call.assigned after a callback   and an SMS to the rep (call.callback_due)
///   ticket.status_changed            email to the ticket's customer
///   ticket.escalated                 WhatsApp to the supervisor it went to; webhook
///   dispute.created, .resolved       email to the related ticket's customer; webhook
///   dispute.refund_requested, ...    webhook refund.requested / replacement.requested
/// nullopt: the read model does not have the entity the event is about yet (the journal hands
/// the notifier an event before the actor that wrote it publishes it): ask again shortly.
std::optional<std::vector<notifications::queue_cmd>> messages_for(const event& e, const company_view& view,
                                                                  const notify_config& cfg,
                                                                  const notifications::template_set& tpl);

/// The daily summary of one company at `now` (summary.daily, by email): one message to each
/// active rep with direct reports and an email address, counting the tickets of their team
/// (every rep under them, directly or through others): open now, open with a breached SLA, and
/// resolved in the 24 hours before `now`. `date` is the local date it is for.
std::vector<notifications::queue_cmd> summary_messages(const company_view& view,
                                                       const notifications::template_set& tpl,
                                                       millis now, const std::string& date);

} // namespace crm::actors
