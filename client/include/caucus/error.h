// Typed errors with ZooKeeper's names (KeeperException.Code), the exception that carries one,
// and Result<T>, the value-or-error that asynchronous callbacks receive.
//
// The enum values are the wire values, so an Error can be compared with what any ZooKeeper
// client prints. Errors also convert to std::error_code (category "caucus") so that
// Boost.Asio completion tokens (caucus/async.h) can report them.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>

namespace caucus {

enum class Error : int32_t {
  kOk = 0,
  kSystemError = -1,
  kRuntimeInconsistency = -2,
  kDataInconsistency = -3,
  kConnectionLoss = -4,
  kMarshallingError = -5,
  kUnimplemented = -6,
  kOperationTimeout = -7,
  kBadArguments = -8,
  kUnknownSession = -12,
  kNewConfigNoQuorum = -13,
  kReconfigInProgress = -14,
  kApiError = -100,
  kNoNode = -101,
  kNoAuth = -102,
  kBadVersion = -103,
  kNoChildrenForEphemerals = -108,
  kNodeExists = -110,
  kNotEmpty = -111,
  kSessionExpired = -112,
  kInvalidCallback = -113,
  kInvalidACL = -114,
  kAuthFailed = -115,
  kSessionMoved = -118,
  kNotReadOnly = -119,
  kEphemeralOnLocalSession = -120,
  kNoWatcher = -121,
  kRequestTimeout = -122,
  kReconfigDisabled = -123,
  kSessionClosedRequireSaslAuth = -124,
  kQuotaExceeded = -125,
  kThrottledOp = -127,
  // Client-side only (not a ZooKeeper code): the Client was closed before the call finished.
  kClosing = -1000,
};

// ZooKeeper's spelling, e.g. "NONODE", as KeeperException.Code prints it.
const char* ErrorName(Error e);

// Whether retrying the same call (after the connection is back) can succeed. Note that a
// retried non-idempotent write (create, setData without version) may apply twice.
inline bool IsRetryable(Error e) {
  return e == Error::kConnectionLoss || e == Error::kOperationTimeout ||
         e == Error::kRequestTimeout || e == Error::kThrottledOp;
}

const std::error_category& ErrorCategory();
inline std::error_code make_error_code(Error e) {
  return {static_cast<int>(e), ErrorCategory()};
}

// Thrown by the blocking API. code() is the ZooKeeper error; path() the path the call was
// about (empty when not applicable).
class KeeperException : public std::runtime_error {
 public:
  explicit KeeperException(Error code, std::string path = {});
  Error code() const { return code_; }
  const std::string& path() const { return path_; }

 private:
  Error code_;
  std::string path_;
};

// A value or an error, never both. value() on an error throws KeeperException, which makes
// `client.Get...Async(..., [](Result<T> r) { use(r.value()); })` fail loudly, not silently.
template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : error_(error) {}         // NOLINT
  bool ok() const { return error_ == Error::kOk; }
  Error error() const { return error_; }
  const T& value() const& { Check(); return *value_; }
  T& value() & { Check(); return *value_; }
  T&& value() && { Check(); return std::move(*value_); }

 private:
  void Check() const {
    if (!ok()) throw KeeperException(error_);
  }
  Error error_ = Error::kOk;
  std::optional<T> value_;
};

template <>
class Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(error) {}  // NOLINT
  bool ok() const { return error_ == Error::kOk; }
  Error error() const { return error_; }
  void value() const {
    if (!ok()) throw KeeperException(error_);
  }

 private:
  Error error_ = Error::kOk;
};

}  // namespace caucus

template <>
struct std::is_error_code_enum<caucus::Error> : std::true_type {};
