// The real clock, read only by the runtime and handed to the core as node::Now.
#pragma once

#include <chrono>

#include "server/node/node.h"

namespace caucus::runtime {

inline node::Now Clock() {
  using namespace std::chrono;
  return node::Now{duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count(),
                   duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count()};
}

}  // namespace caucus::runtime
