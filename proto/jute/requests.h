// Request decoding: RequestHeader.type + body bytes -> one typed Request.
//
// This is the only place where a client's request body is parsed, so it is also the fuzz
// target for request decoding. A body that does not decode exactly (short, trailing bytes,
// bad lengths, a multi with an op it may not contain) yields nullopt; the server answers
// MarshallingError and closes that connection.
#pragma once

#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "proto/jute/opcodes.h"
#include "proto/jute/records.h"

namespace caucus::jute {

// One operation inside multi (14) or multiRead (22).
struct MultiOp {
  OpCode op = OpCode::kError;
  std::variant<CreateRequest, DeleteRequest, SetDataRequest, CheckVersionRequest,
               PathWatchRequest>
      body;
};

struct MultiRequest {
  std::vector<MultiOp> ops;
};

struct Request {
  int32_t xid = 0;
  OpCode op = OpCode::kError;
  std::variant<std::monostate, PathRequest, PathWatchRequest, CreateRequest, DeleteRequest,
               SetDataRequest, SetAclRequest, CheckVersionRequest, AddWatchRequest,
               WatchTypeRequest, ReconfigRequest, SetWatches, SetWatches2, AuthPacket,
               MultiRequest>
      body;
};

// Whether `op` is an opcode a client may send (ZooKeeper 3.9's set).
bool IsKnownClientOp(int32_t op);
// Whether `op` reads znode state: the reads a read mode (local, quorum, leader) applies to
// (docs/protocol-extensions.md). Pings, watch management and whoAmI are not.
bool IsDataRead(OpCode op);

// Decodes a request body for header (xid, type). Returns nullopt if the body is malformed
// or the opcode is unknown.
std::optional<Request> DecodeRequest(const RequestHeader& header, std::string_view body);

// Encodes a request (the inverse of DecodeRequest, used by clients and tests).
void EncodeRequestBody(const Request& req, OutArchive& a);

}  // namespace caucus::jute
