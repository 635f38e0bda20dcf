// EnsembleEnv: what a replicated Node needs from its host (the runtime in caucusd): durable
// storage for the ZAB state, the peer network, and the txn wire form. The Node calls it while
// acting on a zab::Ready, in Ready's order. Calls are made on the core thread.
//   - PersistEpochs, TruncateLog, InstallSnapshot are synchronous: durable when they return.
//   - AppendLog is asynchronous: the host reports Node::OnLogDurable(generation, zxid).
//   - Network calls never block; the host reports arrivals through Node::OnPeer*.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/datatree/data_tree.h"
#include "server/session/session_tracker.h"
#include "server/txn/txn.h"
#include "server/zab/message.h"

namespace caucus::node {

struct InstalledState {
  std::unique_ptr<datatree::DataTree> tree;
  std::vector<std::pair<int64_t, int32_t>> sessions;  // id, timeout
};

class EnsembleEnv {
 public:
  virtual ~EnsembleEnv() = default;

  virtual void PersistEpochs(const zab::Epochs& epochs) = 0;
  virtual void TruncateLog(int64_t after_zxid) = 0;
  // Makes `state` (a snapshot taken by TakeSnapshot on the leader) this replica's durable
  // state, replacing its log, and loads it.
  virtual InstalledState InstallSnapshot(int64_t zxid, const std::string& state) = 0;
  // The whole state as of `zxid`, in the snapshot format, for a learner's SNAP.
  virtual std::string TakeSnapshot(const datatree::DataTree& tree,
                                   const session::SessionTracker& sessions, int64_t zxid) = 0;
  virtual void AppendLog(const zab::Entry& entry, uint64_t generation) = 0;

  virtual void SendVote(zab::ServerId to, const zab::Notification& n) = 0;
  virtual void OpenChannel(zab::ChannelId channel, zab::ServerId to) = 0;
  virtual void SendMessage(zab::ChannelId channel, const zab::Message& m) = 0;
  virtual void CloseChannel(zab::ChannelId channel) = 0;

  virtual std::string EncodeTxn(const txn::Txn& t) = 0;
  virtual bool DecodeTxn(std::string_view bytes, txn::Txn* out) = 0;
};

}  // namespace caucus::node
