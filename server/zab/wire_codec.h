// The wire form of peer messages: Protobuf records of proto/caucus/zab.proto. Protobuf stays
// in the .cc. Decoding is for untrusted bytes: anything malformed yields nullopt.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "server/zab/message.h"

namespace caucus::zab {

std::string EncodeNotification(const Notification& n);
std::optional<Notification> DecodeNotification(std::string_view bytes);

std::string EncodeMessage(const Message& m);
std::optional<Message> DecodeMessage(std::string_view bytes);

// The first frame on a channel connection: who opens it, and which channel it is.
struct ChannelHello {
  ServerId from = 0;
  ChannelId channel = 0;
};
std::string EncodeHello(const ChannelHello& h);
std::optional<ChannelHello> DecodeHello(std::string_view bytes);
// The first frame on an election connection: who is speaking.
std::string EncodeElectionHello(ServerId from);
std::optional<ServerId> DecodeElectionHello(std::string_view bytes);

}  // namespace caucus::zab
