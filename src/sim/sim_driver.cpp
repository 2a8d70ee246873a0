#include "sim/sim_driver.hpp"

#include "core/ids.hpp"

namespace kaiwu::sim {
namespace {

namespace asio = boost::asio;

class SimDriver final : public drivers::Driver {
 public:
  SimDriver(std::shared_ptr<Factory> f) : factory_(std::move(f)) {}

  const drivers::DriverInfo& info() const override {
    static const drivers::DriverInfo i{"sim", "1.0", "Signals of the in-process virtual factory (demo)",
                                       R"({"type":"object","properties":{}})", false};
    return i;
  }
  Status validate(const drivers::DeviceSettings& settings, std::span<const drivers::PointConfig> points) const override {
    auto values = factory_->values(settings.endpoint);
    if (!values) return std::unexpected(values.error());
    for (const auto& p : points) {
      bool found = false;
      for (const auto& [k, v] : *values) found = found || k == p.address;
      if (!found) return fail(Errc::kInvalidArgument, "point " + p.key + ": no signal \"" + p.address + "\"");
    }
    return ok();
  }
  asio::awaitable<Status> start(drivers::DeviceSettings settings) override {
    device_ = settings.endpoint;
    ++health_.reconnects;
    health_.connected = true;
    co_return ok();
  }
  asio::awaitable<std::vector<drivers::Reading>> read(std::span<const drivers::PointConfig> points) override {
    std::vector<drivers::Reading> out;
    auto values = factory_->values(device_);
    std::int64_t now = now_ms();
    ++health_.requests;
    for (const auto& p : points) {
      drivers::Reading r;
      r.key = p.key;
      r.ts = now;
      r.value = fail(Errc::kNotFound, "no signal " + p.address);
      if (values)
        for (const auto& [k, v] : *values)
          if (k == p.address) r.value = drivers::to_engineering(p, v);
      out.push_back(std::move(r));
    }
    health_.last_success_ms = now;
    co_return out;
  }
  asio::awaitable<Status> write(const drivers::PointConfig& point, tsdb::Value value) override {
    if (!point.writable) co_return fail(Errc::kPermissionDenied, point.key + " is not writable");
    co_return factory_->write(device_, point.address, value);
  }
  asio::awaitable<void> stop() override {
    health_.connected = false;
    co_return;
  }
  drivers::Health health() const override { return health_; }

 private:
  std::shared_ptr<Factory> factory_;
  std::string device_;
  drivers::Health health_;
};

}  // namespace

std::unique_ptr<drivers::Driver> make_sim_driver(drivers::asio::any_io_executor, std::shared_ptr<Factory> factory) {
  return std::make_unique<SimDriver>(std::move(factory));
}

}  // namespace kaiwu::sim
