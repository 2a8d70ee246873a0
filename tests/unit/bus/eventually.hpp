// Polls a condition until it holds or a limit passes (bus deliveries are asynchronous).
#pragma once

#include <chrono>
#include <thread>

namespace kaiwu::testing {

template <typename Pred>
bool eventually(Pred p, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (p()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return p();
}

}  // namespace kaiwu::testing
