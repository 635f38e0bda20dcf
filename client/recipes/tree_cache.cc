#include "caucus/recipes/tree_cache.h"

#include "client/recipes/cache_engine.h"

namespace caucus::recipes {

TreeCache::TreeCache(Client& client, std::string root, int max_depth)
    : engine_(std::make_unique<CacheEngine>(client, std::move(root), max_depth)) {}

TreeCache::~TreeCache() = default;  // the engine Close()s itself

void TreeCache::AddListener(CacheListener listener) { engine_->AddListener(std::move(listener)); }
void TreeCache::Start() { engine_->Start(); }
void TreeCache::Close() { engine_->Close(); }

bool TreeCache::AwaitInitialized(std::chrono::milliseconds timeout) {
  return engine_->AwaitInitialized(timeout);
}

std::optional<ChildData> TreeCache::Get(const std::string& path) const {
  return engine_->Get(path);
}

std::vector<std::string> TreeCache::Children(const std::string& path) const {
  return engine_->Children(path);
}

size_t TreeCache::size() const { return engine_->size(); }

}  // namespace caucus::recipes
