#include "core/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace kaiwu::log {
namespace {

thread_local std::string t_request_id;

void append_json_escaped(std::string_view in, spdlog::memory_buf_t& dest) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char c : in) {
    switch (c) {
      case '"': dest.append(std::string_view("\\\"")); break;
      case '\\': dest.append(std::string_view("\\\\")); break;
      case '\n': dest.append(std::string_view("\\n")); break;
      case '\r': dest.append(std::string_view("\\r")); break;
      case '\t': dest.append(std::string_view("\\t")); break;
      default:
        if (c < 0x20) {
          char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
          dest.append(esc, esc + 6);
        } else {
          dest.push_back(static_cast<char>(c));
        }
    }
  }
}

// %* : the request id (or "-").
class RequestIdFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
    std::string_view id = t_request_id.empty() ? std::string_view("-") : t_request_id;
    dest.append(id.data(), id.data() + id.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<RequestIdFlag>();
  }
};

// %Q : the request id escaped for a JSON string. Ids can come from a client's X-Request-Id
// header, so they must not be able to break the line's JSON.
class JsonRequestIdFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg&, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    append_json_escaped(t_request_id.empty() ? std::string_view("-") : t_request_id, dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonRequestIdFlag>();
  }
};

// %J : the message, escaped for a JSON string.
class JsonMessageFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    append_json_escaped(std::string_view(msg.payload.data(), msg.payload.size()), dest);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonMessageFlag>();
  }
};

}  // namespace

Status setup(const LogConfig& config, spdlog::sink_ptr sink) {
  auto level = spdlog::level::from_str(config.level);
  if (level == spdlog::level::off && config.level != "off")
    return fail(Errc::kInvalidArgument, "log.level: \"" + config.level + "\" is not a level");
  if (config.format != "text" && config.format != "json")
    return fail(Errc::kInvalidArgument,
                "log.format: \"" + config.format + "\" is not one of text, json");
  if (!sink) sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("kaiwu", sink);
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<RequestIdFlag>('*');
  formatter->add_flag<JsonMessageFlag>('J');
  formatter->add_flag<JsonRequestIdFlag>('Q');
  if (config.format == "json") {
    formatter->set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","thread":%t,"request_id":"%Q","msg":"%J"})");
  } else {
    formatter->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ [%*] %v");
  }
  logger->set_formatter(std::move(formatter));
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  return ok();
}

// Copies rather than moves the previous id: `id` may view the current one (a nested scope made
// from current_request_id()), and moving would pull the characters out from under it.
RequestIdScope::RequestIdScope(std::string_view id) : previous_(t_request_id) {
  t_request_id.assign(id);
}

RequestIdScope::~RequestIdScope() { t_request_id = std::move(previous_); }

std::string_view current_request_id() { return t_request_id; }

}  // namespace kaiwu::log
