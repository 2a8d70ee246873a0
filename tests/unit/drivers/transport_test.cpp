#include "drivers/transport.hpp"

#include <gtest/gtest.h>

#include <boost/asio.hpp>

#include <pty.h>
#include <unistd.h>

namespace kaiwu::drivers {
namespace {

using namespace std::chrono_literals;
using tcp = asio::ip::tcp;

template <typename F>
void run(asio::io_context& io, F coroutine) {
  bool done = false;
  asio::co_spawn(io, coroutine(), [&](std::exception_ptr e) {
    done = true;
    if (e) std::rethrow_exception(e);
  });
  io.run();
  ASSERT_TRUE(done);
}

std::span<const std::byte> bytes(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

TEST(MakeTransport, RejectsBadEndpoints) {
  asio::io_context io;
  for (auto bad : {"nohost", "host:", ":502", "host:port", "/dev/ttyS0?baud=fast", "/dev/ttyS0?parity=X",
                   "/dev/ttyS0?speed=9600", "/dev/ttyS0?stop=3"}) {
    auto t = make_transport(io.get_executor(), bad);
    ASSERT_FALSE(t) << bad;
    EXPECT_EQ(t.error().code, Errc::kInvalidArgument) << bad;
  }
  EXPECT_EQ((*make_transport(io.get_executor(), "tcp://127.0.0.1:502"))->describe(), "tcp 127.0.0.1:502");
  EXPECT_EQ((*make_transport(io.get_executor(), "/dev/ttyS0?baud=19200&parity=E"))->describe(),
            "serial /dev/ttyS0 19200 8E1");
}

asio::awaitable<void> echo_once(tcp::acceptor& acceptor) {
  auto socket = co_await acceptor.async_accept(asio::use_awaitable);
  char buf[64];
  auto n = co_await socket.async_read_some(asio::buffer(buf), asio::use_awaitable);
  co_await asio::async_write(socket, asio::buffer(buf, n), asio::use_awaitable);
  // Then stay silent until the client gives up, and close.
  asio::steady_timer t(acceptor.get_executor(), 300ms);
  co_await t.async_wait(asio::use_awaitable);
}

TEST(TcpTransport, WritesReadsTimesOutAndReportsClose) {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  const auto port = acceptor.local_endpoint().port();
  asio::co_spawn(io, echo_once(acceptor), asio::detached);
  run(io, [&]() -> asio::awaitable<void> {
    auto t = std::move(*make_transport(io.get_executor(), "127.0.0.1:" + std::to_string(port)));
    EXPECT_TRUE(co_await t->open(1s));
    EXPECT_TRUE(co_await t->write(bytes("ping")));
    std::array<std::byte, 16> buf;
    auto n = co_await t->read_some(buf, 1s);
    EXPECT_TRUE(n);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), *n), "ping");
    auto timeout = co_await t->read_some(buf, 50ms);
    EXPECT_FALSE(timeout);
    EXPECT_EQ(timeout.error().code, Errc::kTimeout);
    auto closed = co_await t->read_some(buf, 2s);  // the server closes after 300 ms
    EXPECT_FALSE(closed);
    EXPECT_EQ(closed.error().code, Errc::kUnavailable);
    EXPECT_FALSE(t->is_open());
  });
}

TEST(TcpTransport, ConnectionRefusedIsUnavailable) {
  asio::io_context io;
  std::uint16_t port;
  {
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }
  run(io, [&]() -> asio::awaitable<void> {
    auto t = std::move(*make_transport(io.get_executor(), "127.0.0.1:" + std::to_string(port)));
    auto st = co_await t->open(1s);
    EXPECT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::kUnavailable);
  });
}

// A pseudo-terminal stands in for the serial line: the transport opens the slave side with
// the serial settings, the test plays the device on the master side.
TEST(SerialTransport, TalksOverAPseudoTerminal) {
  int master = -1, slave = -1;
  char name[128];
  ASSERT_EQ(::openpty(&master, &slave, name, nullptr, nullptr), 0);
  asio::io_context io;
  run(io, [&]() -> asio::awaitable<void> {
    auto t = std::move(*make_transport(io.get_executor(), std::string(name) + "?baud=19200&parity=E&stop=1"));
    EXPECT_TRUE(co_await t->open(1s));
    EXPECT_TRUE(co_await t->write(bytes("\x01\x03")));
    char got[2] = {};
    EXPECT_EQ(::read(master, got, 2), 2);
    EXPECT_EQ(std::string(got, 2), std::string("\x01\x03"));
    EXPECT_EQ(::write(master, "\x01\x83\x02", 3), 3);
    std::array<std::byte, 8> buf;
    std::size_t total = 0;
    while (total < 3) {
      auto n = co_await t->read_some(std::span(buf).subspan(total), 1s);
      if (!n) break;
      total += *n;
    }
    EXPECT_EQ(total, 3u);
    auto timeout = co_await t->read_some(buf, 30ms);
    EXPECT_EQ(timeout.error().code, Errc::kTimeout);
    t->close();
  });
  ::close(master);
  ::close(slave);
}

TEST(FakeTransport, FollowsItsScript) {
  asio::io_context io;
  run(io, [&]() -> asio::awaitable<void> {
    FakeTransport f;
    f.expect("req", {"re", "sp"});
    f.expect("silent", {});
    EXPECT_TRUE(co_await f.open(1s));
    EXPECT_TRUE(co_await f.write(bytes("req")));
    std::array<std::byte, 8> buf;
    EXPECT_EQ(*co_await f.read_some(buf, 1s), 2u);
    EXPECT_EQ(*co_await f.read_some(buf, 1s), 2u);
    EXPECT_TRUE(co_await f.write(bytes("silent")));
    EXPECT_EQ((co_await f.read_some(buf, 1s)).error().code, Errc::kTimeout);
    EXPECT_FALSE(co_await f.write(bytes("other")));
    EXPECT_TRUE(f.done());
  });
}

}  // namespace
}  // namespace kaiwu::drivers
