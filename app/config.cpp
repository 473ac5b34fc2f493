#include "app/config.hpp"

#include <cstdlib>
#include <thread>

#include "domain/time_format.hpp"

namespace crm::app {

namespace {

template <class T>
void flag(CLI::App& app, const std::string& name, T& value, const std::string& help) {
  std::string env = "CRM_";
  for (char ch : name.substr(2))
    env.push_back(ch == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  app.add_option(name, value, help)->envname(env)->capture_default_str();
}

result<millis> duration(const std::string& flag_name, const std::string& v) {
  auto d = parse_duration(v);
  if (!d)
    return error{errc::invalid, flag_name + ": not a duration (like 250ms, 3s, 15m, 24h, 2d): " + v};
  return *d;
}

/// A duration where "0" turns the behaviour off.
result<millis> duration_or_off(const std::string& flag_name, const std::string& v) {
  if (v == "0")
    return millis{0};
  return duration(flag_name, v);
}

} // namespace

void add_flags(CLI::App& app, config& c) {
  flag(app, "--listen", c.listen, "address:port to listen on");
  flag(app, "--data-dir", c.data_dir, "RocksDB data directory");
  flag(app, "--durability", c.durability, "os (WAL to the OS each batch) or sync (fsync each batch)");
  flag(app, "--sla-resolve", c.sla_resolve, "resolution SLA of a ticket");
  flag(app, "--sla-resolve-priority", c.sla_resolve_priority,
       "per-priority resolution SLA, like critical=4h,high=8h");
  flag(app, "--escalate-after", c.escalate_after, "escalate tickets unresolved this long to the assignee's supervisor (0: never)");
  flag(app, "--dispute-after", c.dispute_after, "open a dispute for tickets unresolved this long (0: never)");
  flag(app, "--callback-retry-delay", c.callback_retry_delay, "first callback delay");
  flag(app, "--callback-max-attempts", c.callback_max_attempts, "call attempts before escalation");
  flag(app, "--dispute-stall-after", c.dispute_stall_after, "a dispute in investigation this long is stalled");
  flag(app, "--refund-approval-limit", c.refund_approval_limit, "rupees; larger refunds need a manager or admin key");
  flag(app, "--commission-per-ticket", c.commission_per_ticket, "rupees; default for new reps");
  flag(app, "--log-format", c.log_format, "text or json");
  flag(app, "--log-level", c.log_level, "trace, debug, info, warn, error");
  flag(app, "--snapshot-every", c.snapshot_every, "snapshot an entity every N of its events");
  flag(app, "--passivate-after", c.passivate_after, "drop idle entity actors from memory after this long");
  flag(app, "--io-threads", c.io_threads, "HTTP io threads");
  flag(app, "--actor-threads", c.actor_threads, "actor scheduler threads (0: cores - 1, at least 1)");
  flag(app, "--journal-delay-us", c.journal_delay_us, "extra wait (microseconds) to grow small journal batches");
  flag(app, "--idle-timeout", c.idle_timeout, "close idle HTTP connections after this long");
  flag(app, "--rate-limit", c.rate_limit, "requests a second per API key before 429 (0: no limit)");
  flag(app, "--request-timeout", c.request_timeout, "answer 503 with Retry-After when a request takes longer");
  flag(app, "--body-timeout", c.body_timeout, "close a connection whose request body is slower than this");
  flag(app, "--max-connections", c.max_connections, "HTTP connections open at once; more are closed at once");
  flag(app, "--clock-offset", c.clock_offset, "run with the wall clock moved forward by this (drills, tests)");
  flag(app, "--port-file", c.port_file,
       "once listening, write the port to this file (with --listen HOST:0, the port the OS chose)");
  flag(app, "--smtp-url", c.smtp_url, "smtp://HOST:PORT: email (with --smtp-from; CRM_SMTP_USER, CRM_SMTP_PASSWORD when the server asks)");
  flag(app, "--smtp-from", c.smtp_from, "the sender address of emails");
  flag(app, "--whatsapp-url", c.whatsapp_url, "WhatsApp gateway URL (bearer CRM_WHATSAPP_TOKEN)");
  flag(app, "--sms-url", c.sms_url, "SMS gateway URL (bearer CRM_SMS_TOKEN)");
  flag(app, "--webhook-url", c.webhook_url, "platform webhook URL (signed with CRM_WEBHOOK_SECRET)");
  flag(app, "--notify-retry-delay", c.notify_retry_delay, "the first wait after a failed delivery; doubles, up to 10 minutes");
  flag(app, "--notify-max-attempts", c.notify_max_attempts, "tries of a message before it is failed");
  flag(app, "--summary-at", c.summary_at, "the daily summary's time of day, HH:MM in --timezone");
  flag(app, "--timezone", c.timezone, "the time zone of --summary-at (an IANA name: Asia/Kolkata, UTC)");
}

result<bool> resolve(const config& c, actors::runtime_options& rt, http::server_options& srv) {
  auto colon = c.listen.rfind(':');
  if (colon == std::string::npos)
    return error{errc::invalid, "--listen: expected HOST:PORT, got " + c.listen};
  srv.address = c.listen.substr(0, colon);
  if (srv.address.size() > 2 && srv.address.front() == '[' && srv.address.back() == ']')
    srv.address = srv.address.substr(1, srv.address.size() - 2);
  char* end = nullptr;
  long port = std::strtol(c.listen.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port < 0 || port > 65535)
    return error{errc::invalid, "--listen: bad port in " + c.listen};
  srv.port = static_cast<unsigned short>(port);
  srv.threads = std::max(1, c.io_threads);
  auto idle = duration("--idle-timeout", c.idle_timeout);
  if (!idle)
    return idle.take_error();
  srv.idle_timeout = std::chrono::seconds(std::max<millis>(1, *idle / 1000));
  auto body = duration("--body-timeout", c.body_timeout);
  if (!body)
    return body.take_error();
  srv.body_timeout = std::chrono::seconds(std::max<millis>(1, *body / 1000));
  if (c.max_connections < 1)
    return error{errc::invalid, "--max-connections: at least 1"};
  srv.max_connections = static_cast<std::size_t>(c.max_connections);
  if (c.rate_limit < 0)
    return error{errc::invalid, "--rate-limit: at least 0 (0: no limit)"};
  auto timeout = duration("--request-timeout", c.request_timeout);
  if (!timeout)
    return timeout.take_error();
  srv.request_timeout = std::chrono::milliseconds(*timeout);

  rt.data_dir = c.data_dir;
  if (c.durability != "os" && c.durability != "sync")
    return error{errc::invalid, "--durability: os or sync, got " + c.durability};
  rt.sync = c.durability == "sync";
  // The io threads, the journal writer and the actors share the cores: on 2 cores one actor
  // thread measured 20% more POST throughput than two (docs/performance.md).
  int hw = static_cast<int>(std::thread::hardware_concurrency());
  rt.actor_threads = static_cast<std::size_t>(c.actor_threads > 0 ? c.actor_threads : std::max(1, hw - 1));
  rt.journal_delay = std::chrono::microseconds(std::max(0, c.journal_delay_us));
  auto sla = duration("--sla-resolve", c.sla_resolve);
  if (!sla)
    return sla.take_error();
  rt.cfg.sla.resolve = *sla;
  std::string_view spec = c.sla_resolve_priority;
  while (!spec.empty()) {
    auto comma = spec.find(',');
    auto item = spec.substr(0, comma);
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    auto eq = item.find('=');
    auto p = eq == std::string_view::npos ? std::nullopt : tickets::parse_priority(item.substr(0, eq));
    auto d = p ? parse_duration(item.substr(eq + 1)) : std::nullopt;
    if (!d)
      return error{errc::invalid, "--sla-resolve-priority: expected like critical=4h,high=8h"};
    rt.cfg.sla.by_priority[static_cast<int>(*p)] = *d;
  }
  for (auto [name, value] : {std::pair{"--escalate-after", &c.escalate_after}, std::pair{"--dispute-after", &c.dispute_after}})
    if (auto d = duration_or_off(name, *value); !d)
      return d.take_error();
  for (auto [name, value] : {std::pair{"--callback-retry-delay", &c.callback_retry_delay},
                             std::pair{"--dispute-stall-after", &c.dispute_stall_after},
                             std::pair{"--notify-retry-delay", &c.notify_retry_delay}})
    if (auto d = duration(name, *value); !d)
      return d.take_error();
  rt.cfg.escalate_after = *duration_or_off("--escalate-after", c.escalate_after);
  rt.cfg.dispute_after = *duration_or_off("--dispute-after", c.dispute_after);
  rt.cfg.dispute_stall_after = *duration("--dispute-stall-after", c.dispute_stall_after);
  auto limit = rupees_to_paise(c.refund_approval_limit);
  if (!limit)
    return error{errc::invalid, "--refund-approval-limit: rupees, at least 0, at most two decimals"};
  rt.cfg.refund_limit_paise = *limit;
  auto& n = rt.notify;
  n.smtp_url = c.smtp_url;
  n.smtp_from = c.smtp_from;
  n.whatsapp_url = c.whatsapp_url;
  n.sms_url = c.sms_url;
  n.webhook_url = c.webhook_url;
  auto secret = [](const char* name) {
    const char* v = std::getenv(name);
    return std::string(v ? v : "");
  };
  n.smtp_user = secret("CRM_SMTP_USER");
  n.smtp_password = secret("CRM_SMTP_PASSWORD");
  n.whatsapp_token = secret("CRM_WHATSAPP_TOKEN");
  n.sms_token = secret("CRM_SMS_TOKEN");
  n.webhook_secret = secret("CRM_WEBHOOK_SECRET");
  for (auto* url : {&n.smtp_url, &n.whatsapp_url, &n.sms_url, &n.webhook_url})
    if (!url->empty() && url->find("://") == std::string::npos)
      return error{errc::invalid, "a channel URL needs a scheme (http://, https://, smtp://): " + *url};
  if (!n.smtp_url.empty() && n.smtp_from.empty())
    return error{errc::invalid, "--smtp-url needs --smtp-from"};
  n.policy.retry_delay = *duration("--notify-retry-delay", c.notify_retry_delay);
  if (c.notify_max_attempts < 1 || c.notify_max_attempts > 100)
    return error{errc::invalid, "--notify-max-attempts: 1..100"};
  n.policy.max_attempts = static_cast<std::uint32_t>(c.notify_max_attempts);
  auto summary = daily_schedule::make(c.summary_at, c.timezone);
  if (!summary)
    return summary.take_error();
  n.summary = summary.value();
  auto passivate = duration("--passivate-after", c.passivate_after);
  if (!passivate)
    return passivate.take_error();
  rt.cfg.passivate_after = *passivate;
  rt.cfg.sweep_every = std::clamp<millis>(*passivate / 4, 100, 5000);
  rt.cfg.snapshot_every = c.snapshot_every;
  auto retry = duration("--callback-retry-delay", c.callback_retry_delay);
  if (!retry)
    return retry.take_error();
  if (c.callback_max_attempts < 1 || c.callback_max_attempts > 20)
    return error{errc::invalid, "--callback-max-attempts: 1..20"};
  rt.cfg.callbacks.retry_delay = *retry;
  rt.cfg.callbacks.max_attempts = static_cast<std::uint32_t>(c.callback_max_attempts);
  auto commission = rupees_to_paise(c.commission_per_ticket);
  if (!commission)
    return error{errc::invalid, "--commission-per-ticket: rupees, at least 0, at most two decimals"};
  rt.cfg.default_commission = *commission;
  if (c.log_format != "text" && c.log_format != "json")
    return error{errc::invalid, "--log-format: text or json, got " + c.log_format};
  return true;
}

result<millis> clock_offset(const config& c) {
  if (c.clock_offset.empty())
    return millis{0};
  return duration("--clock-offset", c.clock_offset);
}

} // namespace crm::app
