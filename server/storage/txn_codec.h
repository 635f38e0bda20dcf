// Txn <-> bytes, the payload of a transaction log entry (Protobuf `caucus.pb.Txn`).
#pragma once

#include <string>
#include <string_view>

#include "server/txn/txn.h"

namespace caucus::storage {

std::string EncodeTxn(const txn::Txn& t);
// The same into `out` (replacing its contents, keeping its capacity).
void EncodeTxnInto(const txn::Txn& t, std::string& out);
// False when the bytes are not a valid encoded Txn.
bool DecodeTxn(std::string_view bytes, txn::Txn& out);

}  // namespace caucus::storage
