#include "server/txn/pending_changes.h"

namespace caucus::txn {

const ChangeRecord* PendingChanges::Find(std::string_view path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : &it->second;
}

void PendingChanges::Put(std::string_view path, ChangeRecord rec) {
  int64_t zxid = rec.zxid;
  auto it = by_path_.find(path);
  if (it == by_path_.end()) {
    it = by_path_.emplace(std::pmr::string(path, &pool_), std::move(rec)).first;
  } else {
    it->second = std::move(rec);
  }
  order_.emplace_back(zxid, &it->first);
}

void PendingChanges::OnApplied(int64_t zxid) {
  while (!order_.empty() && order_.front().first <= zxid) {
    auto [z, path] = order_.front();
    order_.pop_front();
    // A later transaction may have replaced the record; only drop it if it is this one's
    // (then this is the path's last entry in order_, and nothing refers to the node after).
    auto it = by_path_.find(std::string_view(*path));
    if (it != by_path_.end() && it->second.zxid == z) by_path_.erase(it);
  }
}

void PendingChanges::Clear() {
  order_.clear();
  by_path_.clear();
}

}  // namespace caucus::txn
