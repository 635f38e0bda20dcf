#include "server/datatree/node_index.h"

#include <bit>

#include "server/base/assert.h"

namespace caucus::datatree {
namespace {
constexpr size_t kMinCapacity = 16;

// Capacity keeping `n` entries at most 3/4 full: short probe runs, and at 10^6 nodes the
// table is 2^21 slots (16 MiB).
size_t CapacityFor(size_t n) { return std::bit_ceil(std::max(kMinCapacity, n + n / 3 + 1)); }
}  // namespace

Znode* NodeIndex::Find(std::string_view path, uint64_t hash) const {
  if (slots_.empty()) return nullptr;
  uintptr_t tag = TagOf(hash);
  for (size_t i = Home(hash);; i = Next(i)) {
    uintptr_t s = slots_[i];
    if (s == 0) return nullptr;
    if ((s & ~kPointerMask) == tag && NodeOf(s)->path() == path) return NodeOf(s);
  }
}

void NodeIndex::Insert(Znode* n, uint64_t hash) {
  auto p = reinterpret_cast<uintptr_t>(n);
  CAUCUS_ASSERT((p & ~kPointerMask) == 0);
  if (CapacityFor(size_ + 1) > slots_.size()) Rebuild(CapacityFor(size_ + 1));
  Place(p | TagOf(hash), hash);
  ++size_;
}

void NodeIndex::Place(uintptr_t slot, uint64_t hash) {
  size_t i = Home(hash);
  while (slots_[i] != 0) i = Next(i);
  slots_[i] = slot;
}

// Deletion shifts the rest of the probe run back (no tombstones), so lookups never slow down
// after many deletes.
void NodeIndex::Erase(const Znode* n) {
  size_t i = Home(Hash(n->path()));
  while (NodeOf(slots_[i]) != n) {
    CAUCUS_ASSERT(slots_[i] != 0);
    i = Next(i);
  }
  size_t mask = slots_.size() - 1;
  for (size_t j = Next(i); slots_[j] != 0; j = Next(j)) {
    size_t home = Home(Hash(NodeOf(slots_[j])->path()));
    // Slot j may move to the hole at i only if its home is not in the cyclic range (i, j].
    if (((j - home) & mask) >= ((j - i) & mask)) {
      slots_[i] = slots_[j];
      i = j;
    }
  }
  slots_[i] = 0;
  --size_;
}

void NodeIndex::Reserve(size_t n) {
  if (CapacityFor(n) > slots_.size()) Rebuild(CapacityFor(n));
}

void NodeIndex::Prefetch(uint64_t hash) const {
  if (!slots_.empty()) __builtin_prefetch(&slots_[Home(hash)]);
}

void NodeIndex::Rebuild(size_t capacity) {
  std::vector<uintptr_t> old(capacity, 0);
  old.swap(slots_);
  shift_ = 64 - std::countr_zero(capacity);
  for (uintptr_t s : old) {
    if (s != 0) Place(s, Hash(NodeOf(s)->path()));
  }
}

}  // namespace caucus::datatree
