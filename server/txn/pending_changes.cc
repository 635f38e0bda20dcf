#include "server/txn/pending_changes.h"

namespace caucus::txn {

const ChangeRecord* PendingChanges::Find(std::string_view path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : &it->second;
}

void PendingChanges::Put(const std::string& path, ChangeRecord rec) {
  order_.emplace_back(rec.zxid, path);
  by_path_[path] = std::move(rec);
}

void PendingChanges::OnApplied(int64_t zxid) {
  while (!order_.empty() && order_.front().first <= zxid) {
    auto& [z, path] = order_.front();
    auto it = by_path_.find(path);
    // A later transaction may have replaced the record; only drop it if it is this one's.
    if (it != by_path_.end() && it->second.zxid == z) by_path_.erase(it);
    order_.pop_front();
  }
}

}  // namespace caucus::txn
