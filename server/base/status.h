// Status: the outcome of an operating-system or storage operation (I/O, SQLite), returned by
// value across module boundaries. Client-visible failures use ZooKeeper error codes instead.
#pragma once

#include <string>
#include <utility>

namespace caucus::base {

class [[nodiscard]] Status {
 public:
  enum class Code { kOk, kIoError, kNoSpace, kCorruption, kNotFound, kInvalid };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status IoError(std::string msg) { return Status(Code::kIoError, std::move(msg)); }
  static Status NoSpace(std::string msg) { return Status(Code::kNoSpace, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status Invalid(std::string msg) { return Status(Code::kInvalid, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace caucus::base
