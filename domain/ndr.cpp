#include "domain/ndr.hpp"

#include "domain/json.hpp"
#include "domain/text.hpp"
#include "domain/time_format.hpp"

namespace crm::ndr {

std::optional<error> validate(const ndr_event& e) {
  validation v;
  auto len = [&](const char* field, const std::string& s, size_t lo, size_t hi) {
    auto n = tickets::utf8_length(s);
    if (n < lo)
      v.add(field, "is required");
    else if (n > hi)
      v.add(field, "must be at most " + std::to_string(hi) + " characters");
  };
  check_identifier(v, "ndrEventId", e.ndr_event_id, true);
  check_identifier(v, "shipmentId", e.shipment_id);
  check_identifier(v, "orderId", e.order_id);
  len("awb", e.awb, 0, 100);
  len("courier", e.courier, 0, 100);
  len("reason", e.reason, 0, 1000);
  if (e.attempt < 1 || e.attempt > 1000)
    v.add("attempt", "must be an integer from 1");
  if (!e.payment_mode.empty() && e.payment_mode != "cod" && e.payment_mode != "prepaid")
    v.add("paymentMode", "must be one of cod, prepaid");
  if (e.cod_paise < 0)
    v.add("codAmount", "must not be negative");
  if (tickets::utf8_length(e.territory) > 100)
    v.add("territory", "must be at most 100 characters");
  if (!e.action.empty() && e.action != "reattempt" && e.action != "rto"
      && e.action != "address-change" && e.action != "call")
    v.add("action", "must be one of reattempt, rto, address-change, call");
  if (e.cust && !e.cust->email.empty() && !tickets::valid_email(e.cust->email))
    v.add("customer.email", "must be a valid email address");
  if (v.ok())
    return std::nullopt;
  return std::move(v).to_error("the NDR event is not valid");
}

tickets::priority priority_for(const ndr_event& e) {
  int level = e.attempt >= 4 ? 3 : static_cast<int>(e.attempt) - 1; // 0 low .. 3 critical
  if (e.payment_mode == "cod" || e.cod_paise > 0) {
    if (e.cod_paise >= 10'000'00)
      level += 2;
    else if (e.cod_paise >= 2'000'00)
      level += 1;
  }
  if (level > 3)
    level = 3;
  return static_cast<tickets::priority>(3 - level);
}

tickets::create_cmd ticket_for(const ndr_event& e) {
  tickets::create_cmd c;
  c.category = "logistics";
  c.priority = tickets::to_string(priority_for(e));
  std::string subject = "NDR: " + (e.reason.empty() ? std::string("delivery failed") : e.reason);
  if (!e.awb.empty())
    subject += " (AWB " + e.awb + ")";
  if (tickets::utf8_length(subject) > 200) {
    size_t cut = 197;
    while (cut > 0 && (static_cast<unsigned char>(subject[cut]) & 0xC0) == 0x80)
      --cut;
    subject = subject.substr(0, cut) + "...";
  }
  c.subject = std::move(subject);
  c.description = "Delivery attempt " + std::to_string(e.attempt) + " failed"
                  + (e.courier.empty() ? std::string() : " with " + e.courier)
                  + (e.payment_mode == "cod" ? ", COD " + paise_to_string(e.cod_paise) + " rupees"
                                             : std::string())
                  + (e.action.empty() ? std::string() : ", requested action: " + e.action) + ".";
  c.related_order_id = e.order_id;
  c.related_ndr_event_id = e.ndr_event_id;
  c.shipment_id = e.shipment_id;
  c.cust = e.cust;
  return c;
}

std::string received_data(const ndr_event& e, const std::string& ticket_id,
                          const std::string& call_log_id) {
  rapidjson::StringBuffer sb;
  json::writer w(sb);
  w.StartObject();
  json::kv(w, "ndrEventId", e.ndr_event_id);
  json::kv_or_null(w, "shipmentId", e.shipment_id);
  json::kv_or_null(w, "orderId", e.order_id);
  json::kv_or_null(w, "awb", e.awb);
  json::kv_or_null(w, "courier", e.courier);
  json::kv_or_null(w, "reason", e.reason);
  w.Key("attempt");
  w.Int64(e.attempt);
  json::kv_or_null(w, "paymentMode", e.payment_mode);
  json::kv_money(w, "codAmount", e.cod_paise);
  json::kv_or_null(w, "action", e.action);
  if (!e.territory.empty())
    json::kv(w, "territory", e.territory);
  json::kv(w, "ticketId", ticket_id);
  json::kv_or_null(w, "callLogId", call_log_id);
  w.EndObject();
  return {sb.GetString(), sb.GetSize()};
}

} // namespace crm::ndr
