// A scriptable in-memory driver for edge tests (never registered in production): points are
// "reg:<n>" addresses into a value table the test changes; it can be made unreachable or slow.
#pragma once

#include <boost/asio.hpp>

#include <map>
#include <memory>

#include "drivers/driver.hpp"

namespace kaiwu::edge::test {

struct FakeDevice {
  std::map<std::string, tsdb::Value> values;  // by address
  bool reachable = true;
  std::chrono::milliseconds delay{0};  // per read
  int starts = 0;
  int reads = 0;
  std::vector<std::pair<std::string, tsdb::Value>> writes;
};

class FakeDriver final : public drivers::Driver {
 public:
  FakeDriver(boost::asio::any_io_executor ex, std::shared_ptr<FakeDevice> dev) : ex_(ex), dev_(std::move(dev)) {}
  const drivers::DriverInfo& info() const override {
    static const drivers::DriverInfo i{"fake", "1", "test driver", "{}", false};
    return i;
  }
  Status validate(const drivers::DeviceSettings&, std::span<const drivers::PointConfig> points) const override {
    for (const auto& p : points)
      if (!p.address.starts_with("reg:")) return fail(Errc::kInvalidArgument, "point " + p.key + ": bad address " + p.address);
    return ok();
  }
  boost::asio::awaitable<Status> start(drivers::DeviceSettings) override {
    ++dev_->starts;
    if (!dev_->reachable) co_return fail(Errc::kUnavailable, "fake device unreachable");
    co_return ok();
  }
  boost::asio::awaitable<std::vector<drivers::Reading>> read(std::span<const drivers::PointConfig> points) override {
    ++dev_->reads;
    if (dev_->delay.count() > 0) {
      boost::asio::steady_timer t(ex_, dev_->delay);
      co_await t.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    std::vector<drivers::Reading> out;
    for (const auto& p : points) {
      drivers::Reading r{p.key, 0, fail(Errc::kUnavailable, "unreachable")};
      if (dev_->reachable) {
        auto it = dev_->values.find(p.address);
        r.value = it == dev_->values.end() ? Result<tsdb::Value>(fail(Errc::kNotFound, "no such register"))
                                           : Result<tsdb::Value>(drivers::to_engineering(p, it->second));
      }
      out.push_back(std::move(r));
    }
    co_return out;
  }
  boost::asio::awaitable<Status> write(const drivers::PointConfig& point, tsdb::Value value) override {
    if (!dev_->reachable) co_return fail(Errc::kUnavailable, "unreachable");
    auto raw = drivers::to_raw(point, value);
    if (!raw) co_return std::unexpected(raw.error());
    dev_->values[point.address] = *raw;
    dev_->writes.emplace_back(point.key, value);
    co_return ok();
  }
  boost::asio::awaitable<void> stop() override { co_return; }
  drivers::Health health() const override { return {}; }

 private:
  boost::asio::any_io_executor ex_;
  std::shared_ptr<FakeDevice> dev_;
};

}  // namespace kaiwu::edge::test
