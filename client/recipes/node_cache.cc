#include "caucus/recipes/node_cache.h"

#include "client/recipes/cache_engine.h"

namespace caucus::recipes {

NodeCache::NodeCache(Client& client, std::string path)
    : path_(std::move(path)), engine_(std::make_unique<CacheEngine>(client, path_, 0)) {}

NodeCache::~NodeCache() = default;  // the engine Close()s itself

void NodeCache::AddListener(CacheListener listener) { engine_->AddListener(std::move(listener)); }
void NodeCache::Start() { engine_->Start(); }
void NodeCache::Close() { engine_->Close(); }

bool NodeCache::AwaitInitialized(std::chrono::milliseconds timeout) {
  return engine_->AwaitInitialized(timeout);
}

std::optional<ChildData> NodeCache::Current() const { return engine_->Get(path_); }

}  // namespace caucus::recipes
