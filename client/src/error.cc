#include "caucus/error.h"

#include "proto/jute/errors.h"

namespace caucus {

// caucus::Error is the public mirror of the wire enum; keep them in step.
static_assert(static_cast<int>(Error::kNoNode) == static_cast<int>(jute::Error::kNoNode));
static_assert(static_cast<int>(Error::kThrottledOp) ==
              static_cast<int>(jute::Error::kThrottledOp));
static_assert(static_cast<int>(Error::kSessionExpired) ==
              static_cast<int>(jute::Error::kSessionExpired));

const char* ErrorName(Error e) {
  if (e == Error::kClosing) return "CLOSING";
  return jute::ErrorName(static_cast<jute::Error>(e));
}

namespace {
class Category : public std::error_category {
 public:
  const char* name() const noexcept override { return "caucus"; }
  std::string message(int v) const override { return ErrorName(static_cast<Error>(v)); }
};
}  // namespace

const std::error_category& ErrorCategory() {
  static const Category category;
  return category;
}

KeeperException::KeeperException(Error code, std::string path)
    : std::runtime_error(std::string("KeeperErrorCode = ") + ErrorName(code) +
                         (path.empty() ? "" : " for " + path)),
      code_(code),
      path_(std::move(path)) {}

}  // namespace caucus
