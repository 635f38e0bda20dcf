// CallbackQueue: the default callback executor, one dedicated thread running tasks in FIFO
// order. It exists so that user callbacks never run on the I/O thread (a slow callback must
// not stall pings and cause a session expiry).
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace caucus::client {

// Thread-safe. Post from any thread; Stop() runs what is queued, then joins (or detaches when
// called from the callback thread itself, which cannot join itself).
class CallbackQueue {
 public:
  CallbackQueue();
  ~CallbackQueue();
  CallbackQueue(const CallbackQueue&) = delete;
  CallbackQueue& operator=(const CallbackQueue&) = delete;

  void Post(std::function<void()> task);
  void Stop();
  bool InCallbackThread() const { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  // Shared with the thread, so a detached thread never touches a destroyed queue.
  struct State {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<std::function<void()>> tasks;
    bool stopping = false;
  };
  static void Run(const std::shared_ptr<State>& state);
  std::shared_ptr<State> state_ = std::make_shared<State>();
  std::thread thread_;
};

}  // namespace caucus::client
