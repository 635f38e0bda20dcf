// PeerTransport: the ensemble's network. Carries two kinds of traffic between servers:
//   - election notifications, to each peer's electionPort: best effort (while no connection
//     is up, only the latest vote for a peer is kept, and sent once a (re)connect succeeds;
//     a failed connect drops it; LOOKING peers repeat theirs);
//   - ZAB channels, to the leader's quorumPort: one TCP connection per channel, opened by the
//     learner, FIFO in both directions; any error closes it and both ends are told
//     (Handler::OnChannelClosed), so a channel never loses a message silently.
// Frames are a 4-byte big-endian length and a Protobuf message (proto/caucus/zab.proto),
// encoded and decoded by server/zab/wire_codec.h. A malformed or oversized frame closes that
// one connection, with a log line; the server goes on.
//
// Threading: everything runs on the io_context thread that drives the core; handler calls are
// made on it. Asio stays in the .cc (pimpl).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "server/zab/message.h"

namespace boost::asio {
class io_context;
}

namespace caucus::net {

struct PeerAddress {
  zab::ServerId id = 0;
  std::string host;
  int quorum_port = 0;
  int election_port = 0;
};

class PeerTransport {
 public:
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void OnNotification(zab::ServerId from, const zab::Notification& n) = 0;
    virtual void OnMessage(zab::ServerId from, zab::ChannelId channel, zab::Message m) = 0;
    virtual void OnChannelClosed(zab::ChannelId channel) = 0;
  };

  // `self` is this server (its ports are listened on); `peers` are all the others.
  PeerTransport(boost::asio::io_context& io, PeerAddress self, std::vector<PeerAddress> peers,
                Handler& handler);
  ~PeerTransport();
  PeerTransport(const PeerTransport&) = delete;
  PeerTransport& operator=(const PeerTransport&) = delete;

  // Listens on the quorum and election ports; returns an error message (empty on success).
  std::string Start();
  // Closes every connection without calling the handler.
  void Stop();

  void SendVote(zab::ServerId to, const zab::Notification& n);
  // Opens channel `channel` to `to`'s quorum port. Messages sent before the connection is up
  // are queued; a failed connect reports OnChannelClosed(channel).
  void Open(zab::ChannelId channel, zab::ServerId to);
  // Sends on an open channel (either end). Dropped if the channel is closed or unknown.
  void Send(zab::ChannelId channel, const zab::Message& m);
  // Closes the channel; the other end learns of it from its socket.
  void Close(zab::ChannelId channel);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace caucus::net
