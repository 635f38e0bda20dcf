#include "client/src/callback_queue.h"

namespace caucus::client {

CallbackQueue::CallbackQueue() : thread_([s = state_] { Run(s); }) {}

CallbackQueue::~CallbackQueue() { Stop(); }

void CallbackQueue::Post(std::function<void()> task) {
  std::lock_guard lock(state_->mu);
  if (state_->stopping) return;
  state_->tasks.push_back(std::move(task));
  state_->cv.notify_one();
}

void CallbackQueue::Stop() {
  {
    std::lock_guard lock(state_->mu);
    state_->stopping = true;
    state_->cv.notify_one();
  }
  if (!thread_.joinable()) return;
  if (InCallbackThread()) {
    thread_.detach();
  } else {
    thread_.join();
  }
}

void CallbackQueue::Run(const std::shared_ptr<State>& s) {
  std::unique_lock lock(s->mu);
  for (;;) {
    s->cv.wait(lock, [&] { return s->stopping || !s->tasks.empty(); });
    if (s->tasks.empty()) return;  // stopping and drained
    auto task = std::move(s->tasks.front());
    s->tasks.pop_front();
    lock.unlock();
    task();  // a throwing callback is a user bug; let it terminate loudly
    lock.lock();
  }
}

}  // namespace caucus::client
