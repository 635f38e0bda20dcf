// EnsembleHost: the production environment of a replicated Node. Implements node::EnsembleEnv
// (ZAB's durable state on the SQLite log and snapshot files, the peer network) and receives the
// peer transport's arrivals for the Node. Everything runs on the core (io_context) thread; the
// few synchronous storage calls wait for the storage thread.
#pragma once

#include <cstdint>
#include <string>

#include "server/net/peer_transport.h"
#include "server/node/ensemble_env.h"

namespace caucus::storage {
class LogWriter;
}

namespace caucus::node {
class Node;
}

namespace caucus::runtime {

class Snapshotter;

class EnsembleHost : public node::EnsembleEnv, public net::PeerTransport::Handler {
 public:
  EnsembleHost(storage::LogWriter& writer, std::string snap_dir, uint64_t secret)
      : writer_(writer), snap_dir_(std::move(snap_dir)), secret_(secret) {}

  void Bind(node::Node* node, net::PeerTransport* transport, Snapshotter* snapshotter) {
    node_ = node;
    transport_ = transport;
    snapshotter_ = snapshotter;
  }

  // node::EnsembleEnv
  void PersistEpochs(const zab::Epochs& epochs) override;
  void TruncateLog(int64_t after_zxid) override;
  node::InstalledState InstallSnapshot(int64_t zxid, const std::string& state) override;
  std::string TakeSnapshot(const datatree::DataTree& tree,
                           const session::SessionTracker& sessions, int64_t zxid) override;
  void AppendLog(const zab::Entry& entry, uint64_t generation) override;
  void SendVote(zab::ServerId to, const zab::Notification& n) override;
  void OpenChannel(zab::ChannelId channel, zab::ServerId to) override;
  void SendMessage(zab::ChannelId channel, const zab::Message& m) override;
  void CloseChannel(zab::ChannelId channel) override;
  std::string EncodeTxn(const txn::Txn& t) override;
  bool DecodeTxn(std::string_view bytes, txn::Txn* out) override;

  // net::PeerTransport::Handler
  void OnNotification(zab::ServerId from, const zab::Notification& n) override;
  void OnMessage(zab::ServerId from, zab::ChannelId channel, zab::Message m) override;
  void OnChannelClosed(zab::ChannelId channel) override;

 private:
  storage::LogWriter& writer_;
  std::string snap_dir_;
  uint64_t secret_;
  node::Node* node_ = nullptr;
  net::PeerTransport* transport_ = nullptr;
  Snapshotter* snapshotter_ = nullptr;
};

}  // namespace caucus::runtime
