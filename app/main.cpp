// crm-server: wires the layers, serves until SIGTERM or SIGINT, then shuts down in order:
// stop the HTTP server (and its io threads), drain the journal, stop the actors.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "actors/runtime.hpp"
#include "app/config.hpp"
#include "domain/text.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "storage/crypto.hpp"

namespace {

/// %* in a pattern: the message as the inside of a JSON string (quotes, backslashes and
/// control characters escaped; bytes that are not UTF-8 replaced).
class json_message_flag : public spdlog::custom_flag_formatter {
public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    auto text = crm::printable(std::string_view(msg.payload.data(), msg.payload.size()), 1 << 16);
    static const char* hex = "0123456789abcdef";
    for (char ch : text) {
      auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        dest.push_back('\\');
        dest.push_back(ch);
      } else if (c < 0x20) {
        const char esc[] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
        dest.append(esc, esc + 6);
      } else {
        dest.push_back(ch);
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<json_message_flag>();
  }
};

std::shared_ptr<spdlog::logger> make_logger(const std::string& name, const std::string& format,
                                            spdlog::level::level_enum level) {
  auto l = spdlog::stderr_color_mt(name);
  if (format == "json") {
    auto f = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    f->add_flag<json_message_flag>('*').set_pattern(
      R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n","msg":"%*"})");
    l->set_formatter(std::move(f));
  } else
    l->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %-5l %-7n %v", spdlog::pattern_time_type::utc);
  l->set_level(level);
  return l;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App cli{"crm-server: the CRM server of the shipping platform"};
  crm::app::config cfg;
  crm::app::add_flags(cli, cfg);
  CLI11_PARSE(cli, argc, argv);

  auto level = spdlog::level::from_str(cfg.log_level);
  auto log = make_logger("app", cfg.log_format, level);
  auto http_log = make_logger("http", cfg.log_format, level);
  auto actors_log = make_logger("actors", cfg.log_format, level);

  crm::actors::runtime_options rt_opts;
  crm::http::server_options srv_opts;
  if (auto r = crm::app::resolve(cfg, rt_opts, srv_opts); !r) {
    log->critical("{}", r.err().message);
    return 2;
  }
  auto keys = crm::storage::load_master_keys(cfg.data_dir, true);
  if (!keys) {
    log->critical("{}", keys.err().message);
    return 2;
  }
  if (keys->generated)
    log->warn("CRM_MASTER_KEY is not set: generated a master key into {}/master.key (mode 0600); "
              "keep it safe", cfg.data_dir);
  rt_opts.master_key = keys->current_hex;
  rt_opts.master_key_previous = keys->previous_hex;

  // Descriptors: the soft limit up to the hard one; connections get what RocksDB (512 open
  // files) and the rest leave.
  if (rlimit nofile{}; ::getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    if (nofile.rlim_cur < nofile.rlim_max) {
      nofile.rlim_cur = nofile.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &nofile);
      ::getrlimit(RLIMIT_NOFILE, &nofile);
    }
    auto room = nofile.rlim_cur > 1024 ? static_cast<std::size_t>(nofile.rlim_cur - 1024) : 64;
    if (srv_opts.max_connections > room) {
      log->warn("--max-connections {} lowered to {}: the descriptor limit is {}",
                srv_opts.max_connections, room, nofile.rlim_cur);
      srv_opts.max_connections = room;
    }
  }

  // Signals are taken by sigwait on this thread; every thread started later inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto offset = crm::app::clock_offset(cfg);
  if (!offset) {
    log->critical("{}", offset.err().message);
    return 2;
  }
  if (*offset)
    log->warn("--clock-offset: the wall clock runs {} ms ahead", *offset);
  crm::offset_clock clk(*offset);
  auto rt = crm::actors::runtime::start(rt_opts, clk, actors_log);
  if (!rt) {
    log->critical("cannot start: {}", rt.err().message);
    return 1;
  }
  auto& runtime = *rt.value();
  auto& rec = runtime.recovery();
  log->info("recovered {} events, {} tickets of {} companies in {} ms; {} timers fired, {} armed",
            rec.events, rec.tickets, rec.companies, rec.took_ms, rec.timers_fired, rec.timers_armed);

  if (const char* fault = std::getenv("CRM_FAULT_DROP_IDEMPOTENCY_ANSWERS"); fault && std::string_view(fault) == "1")
    log->critical("CRM_FAULT_DROP_IDEMPOTENCY_ANSWERS=1: a crash-test fault is on; Idempotency-Key records of "
                  "requests that changed nothing are not kept, and such keys stay in progress until a restart");
  if (!rt_opts.notify.webhook_url.empty() && rt_opts.notify.webhook_secret.empty())
    log->warn("--webhook-url is set but CRM_WEBHOOK_SECRET is not: webhooks are signed with an empty key, "
              "which anyone can forge");
  const char* token = std::getenv("CRM_PLATFORM_TOKEN");
  if (!token || !*token)
    log->warn("CRM_PLATFORM_TOKEN is not set: no platform access (admin API keys cannot be made)");
  crm::http::router router(runtime, clk, {token ? token : "", cfg.rate_limit, srv_opts.request_timeout});
  crm::http::add_system_routes(router);
  crm::http::add_ticket_routes(router);
  crm::http::add_rep_routes(router);
  crm::http::add_call_routes(router);
  crm::http::add_lead_routes(router);
  crm::http::add_dispute_routes(router);
  crm::http::add_notification_routes(router);
  crm::http::add_admin_routes(router);
  crm::http::server server(router, srv_opts, http_log);
  if (auto r = server.start(); !r) {
    log->critical("{}", r.err().message);
    runtime.shutdown();
    return 1;
  }
  router.set_ready(true);
  if (!cfg.port_file.empty()) {
    // Written whole under another name, then renamed: a reader never sees half a number.
    auto tmp = cfg.port_file + ".tmp";
    std::ofstream(tmp) << server.port() << "\n";
    std::filesystem::rename(tmp, cfg.port_file);
  }
  log->info("listening on {}:{} (data dir {}, durability {})", srv_opts.address, server.port(),
            cfg.data_dir, cfg.durability);

  int sig = 0;
  sigwait(&signals, &sig);
  log->info("signal {}: shutting down", sig);
  router.set_ready(false);
  server.stop();
  runtime.shutdown();
  log->info("stopped; last event seq {}", runtime.last_seq());
  return 0;
}
