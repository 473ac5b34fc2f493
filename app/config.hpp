#pragma once
// crm-server's flags. Each flag is also read from the environment as CRM_<FLAG>.
#include <CLI/CLI.hpp>

#include <string>

#include "actors/runtime.hpp"
#include "http/server.hpp"

namespace crm::app {

struct config {
  std::string listen = "127.0.0.1:8080";
  std::string data_dir = "./crm-data";
  std::string durability = "os";
  std::string sla_resolve = "24h";
  std::string sla_resolve_priority; // "critical=4h,high=8h"
  std::string escalate_after = "24h";
  std::string dispute_after = "48h";
  std::string callback_retry_delay = "30m";
  int callback_max_attempts = 3;
  std::string dispute_stall_after = "48h";
  double refund_approval_limit = 5000;
  double commission_per_ticket = 0;
  std::string log_format = "text";
  std::string log_level = "info";
  std::size_t snapshot_every = 50;
  std::string passivate_after = "60s";
  int io_threads = 2;
  int actor_threads = 0; // 0: cores - 1, at least 1
  int journal_delay_us = 0;
  std::string idle_timeout = "60s";
  std::string clock_offset; // shifts the wall clock forward (drills and tests)
  std::string port_file;    // written with the listening port once the server listens
  double rate_limit = 0;    // requests a second per API key; 0: off
  std::string request_timeout = "5s";
  std::string body_timeout = "10s";
  long max_connections = 10000;
  // Notification channels and the daily summary (CONTRACT section 11).
  std::string smtp_url, smtp_from, whatsapp_url, sms_url, webhook_url;
  std::string notify_retry_delay = "2s";
  int notify_max_attempts = 8;
  std::string summary_at = "09:00";
  std::string timezone = "Asia/Kolkata";
};

/// Adds every flag to `app`, each with its CRM_* environment name.
void add_flags(CLI::App& app, config& c);

/// Turns the flags into runtime and server options; an error names the bad flag.
result<bool> resolve(const config& c, actors::runtime_options& rt, http::server_options& srv);

/// --clock-offset in ms (0 when unset).
result<millis> clock_offset(const config& c);

} // namespace crm::app
