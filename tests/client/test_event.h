// Waiting helpers for the client tests.
//
// Event: a one-shot signal for test callbacks that may run more than once or after the test
// body has returned (they hold it by shared_ptr). Waits are bounded, so a broken recipe fails
// a test instead of hanging it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace caucus::testing {

class Event {
 public:
  void Set() {
    std::lock_guard l(mu_);
    set_ = true;
    cv_.notify_all();
  }
  bool WaitFor(std::chrono::milliseconds timeout) {
    std::unique_lock l(mu_);
    return cv_.wait_for(l, timeout, [&] { return set_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool set_ = false;
};

// Polls `done` every 10 ms until it holds or `timeout` passes; returns its last value. For
// state that converges (a cache catching up) rather than an event to wait for.
inline bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

}  // namespace caucus::testing
