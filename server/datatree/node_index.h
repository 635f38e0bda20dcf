// NodeIndex: the DataTree's path -> Znode index, an open-addressing hash table (linear
// probing, power-of-two capacity, at most 3/4 full).
//
// Why not std::unordered_set: with a million znodes every lookup there chases the bucket, then
// the node before the chain, then the chain: dependent cache misses, which were ~45 % of
// recovery time; and each entry is one more 32-byte allocation. Here an entry is one 8-byte
// slot: the Znode pointer with 16 bits of the path's hash in its unused top bits, so a probe
// rejects other paths without touching their nodes, and a lookup usually costs one cache miss
// (two when the path matches). It also takes about 17 bytes per znode instead of 40.
// The index does not own the nodes. Not thread-safe. LeakSanitizer cannot follow a tagged
// pointer: a tree still alive at exit has its root reported as leaked (every other node is
// also held by its parent's child set).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "server/datatree/znode.h"

namespace caucus::datatree {

class NodeIndex {
 public:
  static uint64_t Hash(std::string_view path) { return std::hash<std::string_view>{}(path); }

  Znode* Find(std::string_view path) const { return Find(path, Hash(path)); }
  // `hash` must be Hash(path): callers that already have it save hashing the path again.
  Znode* Find(std::string_view path, uint64_t hash) const;
  // Adds `n`, whose path must not be in the index yet.
  void Insert(Znode* n) { Insert(n, Hash(n->path())); }
  void Insert(Znode* n, uint64_t hash);
  void Erase(const Znode* n);
  // Sizes the table for `n` nodes, so that adding that many never grows it.
  void Reserve(size_t n);
  // Starts loading the slot where `hash` lives, so a Find or Insert soon after does not stall
  // on it (recovery hashes a few nodes ahead).
  void Prefetch(uint64_t hash) const;
  size_t size() const { return size_; }

  template <typename F>
  void ForEach(F&& f) const {
    for (uintptr_t s : slots_) {
      if (s != 0) f(NodeOf(s));
    }
  }

 private:
  static constexpr int kTagShift = 48;  // user-space pointers fit in 48 bits
  static constexpr uintptr_t kPointerMask = (uintptr_t{1} << kTagShift) - 1;

  static uintptr_t TagOf(uint64_t hash) { return (hash & 0xffff) << kTagShift; }
  static Znode* NodeOf(uintptr_t slot) { return reinterpret_cast<Znode*>(slot & kPointerMask); }
  // The home slot takes the hash's top bits and the tag its bottom bits, so they are independent.
  size_t Home(uint64_t hash) const { return static_cast<size_t>(hash >> shift_); }
  size_t Next(size_t i) const { return (i + 1) & (slots_.size() - 1); }
  void Place(uintptr_t slot, uint64_t hash);
  void Rebuild(size_t capacity);

  std::vector<uintptr_t> slots_;  // 0: empty
  size_t size_ = 0;
  int shift_ = 64;
};

}  // namespace caucus::datatree
