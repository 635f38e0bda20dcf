// DistributedQueue: a FIFO queue of byte strings shared by producers and consumers in many
// processes (ZooKeeper's queue recipe; Curator's SimpleDistributedQueue, kazoo's Queue).
//
//   caucus::recipes::DistributedQueue jobs(client, "/queues/jobs");
//   jobs.Put("resize:42");
//   if (auto job = jobs.Take(30s)) run(*job);
//
// Each element is a persistent-sequential node <path>/_c_<id>-qn-<seq>; order is the sequence
// number. Take lists the children, reads the head and deletes it: whoever's delete succeeds
// owns the element, the others move to the next one. An empty queue is waited for with one
// child watch per waiting consumer, never by polling.
//
// Guarantees: elements are taken in the order the server created them; without faults each
// element is returned by exactly one Take and none is lost. Put is a protected create: a put
// whose reply is lost is found again by its id, not made twice (unless a consumer took it in
// between, in which case it is put again: at-least-once). The queue node is persistent, and
// elements survive server restarts.
//
// Faults: connection losses are waited out within the timeout. A Take whose delete reply is
// lost re-checks the element: still there, the delete is retried; gone, the delete may have
// been ours or a competitor's, and the element is returned (at-least-once, as for Put:
// another consumer can have it too only in that case).
//
// Thread-safety: a queue object may be used from several threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "caucus/client.h"

namespace caucus::recipes {

class Signal;

class DistributedQueue {
 public:
  DistributedQueue(Client& client, std::string path);
  ~DistributedQueue();
  DistributedQueue(const DistributedQueue&) = delete;
  DistributedQueue& operator=(const DistributedQueue&) = delete;

  void Put(const std::string& data);
  // Removes and returns the head, waiting up to `timeout` for one; nullopt on timeout.
  std::optional<std::string> Take(std::chrono::milliseconds timeout);
  // Removes and returns the head if there is one; never waits for an element.
  std::optional<std::string> Poll() { return Take(std::chrono::milliseconds(0)); }
  // The head, not removed; nullopt when empty.
  std::optional<std::string> Peek();
  size_t Size();

 private:
  void EnsureQueueNode();
  std::vector<std::string> Elements(Watcher watch = {});
  // Reads and deletes one element; nullopt if another consumer took it first.
  std::optional<std::string> TryTake(const std::string& name);

  Client& client_;
  std::string path_;
  std::atomic<bool> have_node_{false};
  std::shared_ptr<Signal> signal_;
  int listener_ = 0;
};

}  // namespace caucus::recipes
