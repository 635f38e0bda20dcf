// LearnerLink: the leader's view of one follower or observer on one channel: where it is in
// discovery/sync, and how far its log is durable (for the commit quorum).
#pragma once

#include <cstdint>

#include "server/zab/message.h"

namespace caucus::zab {

struct LearnerLink {
  enum class Phase : uint8_t {
    kConnected,    // FOLLOWERINFO received
    kEpochSent,    // LEADERINFO sent, waiting for ACKEPOCH
    kEpochAcked,   // ACKEPOCH received, waiting for the leader to sync it
    kSyncing,      // sync + NEWLEADER sent, proposals flow, waiting for its ack
    kSynced,       // acked NEWLEADER: counts for commits; UPTODATE sent once established
  };
  ChannelId channel = 0;
  ServerId id = 0;
  bool observer = false;
  Phase phase = Phase::kConnected;
  FollowerInfo info;
  int64_t acked_zxid = 0;  // durable on the learner (from its NEWLEADER ack and ACKs)
  bool uptodate_sent = false;
  int32_t silent_ticks = 0;
};

}  // namespace caucus::zab
