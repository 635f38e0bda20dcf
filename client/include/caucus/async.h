// Boost.Asio completion tokens for every Client operation: callbacks, futures and C++20
// coroutines. Opt-in: only code that includes this header sees Asio; caucus/client.h does not.
//
//   boost::asio::co_spawn(io, [&]() -> boost::asio::awaitable<void> {
//     auto created = co_await caucus::async_create(zk, "/a", "v1", boost::asio::use_awaitable);
//     auto [data, stat] = co_await caucus::async_get(zk, "/a", boost::asio::use_awaitable);
//   }, boost::asio::detached);
//   std::future<caucus::Stat> f = caucus::async_set(zk, "/a", "v2", boost::asio::use_future);
//   caucus::async_delete(zk, "/a", boost::asio::bind_executor(strand,
//       [](boost::system::error_code ec) { ... }));
//
// Completion signature: void(boost::system::error_code) for operations without a value,
// void(boost::system::error_code, T) otherwise (T as in the matching ...Async callback; a
// default T on error). Boost's error_code, not std's, because Asio's futures and coroutines
// turn only that one into an exception (boost::system::system_error); AsioError() and
// ToError() convert between it and caucus::Error.
//
// Where the completion runs: always posted to the handler's associated executor (never run
// on the Client's I/O or callback thread, never inside the initiating call), with work
// counted on it, so io_context::run() does not return while an operation is pending. A
// handler without an associated executor gets Asio's default, the system executor (a Boost
// thread pool): bind_executor() a plain callback to an io_context or strand to choose.
//
// Arguments are copied when the operation is initiated (coroutine tokens initiate at
// co_await), except the Client, which must outlive the operation.
#pragma once

#include <utility>  // before boost/asio.hpp: Boost 1.74's awaitable.hpp needs it under C++20

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "caucus/client.h"

namespace caucus {

// --- Errors as boost::system::error_code -----------------------------------------------------

namespace async_detail {

class AsioCategory : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "caucus"; }
  std::string message(int ev) const override { return ErrorCategory().message(ev); }
};

}  // namespace async_detail

// The category of caucus errors in boost::system::error_code (name "caucus", as the std one).
inline const boost::system::error_category& AsioErrorCategory() {
  static const async_detail::AsioCategory category;  // immutable; one per program
  return category;
}

inline boost::system::error_code AsioError(Error e) {
  return {static_cast<int>(e), AsioErrorCategory()};
}

// The caucus::Error an Asio completion reported: kOk for success, kSystemError for an
// error_code of another category.
inline Error ToError(const boost::system::error_code& ec) {
  if (!ec) return Error::kOk;
  return ec.category() == AsioErrorCategory() ? static_cast<Error>(ec.value())
                                              : Error::kSystemError;
}

namespace async_detail {

template <class T>
struct SignatureOf {
  using type = void(boost::system::error_code, T);
};
template <>
struct SignatureOf<void> {
  using type = void(boost::system::error_code);
};
template <class T>
using Signature = typename SignatureOf<T>::type;

// Holds an Asio handler from initiation until the Client's callback fires, keeping its
// executor busy meanwhile. Client callbacks are std::function (copyable) while handlers may be
// move-only (coroutines), hence one shared Pending per operation.
template <class T, class Handler>
class Pending {
 public:
  explicit Pending(Handler handler)
      : work_(boost::asio::make_work_guard(boost::asio::get_associated_executor(handler))),
        handler_(std::move(handler)) {}

  // Runs on the Client's callback thread: hand the result over to the handler's executor.
  void Complete(Result<T> result) {
    boost::asio::post(work_.get_executor(),
                      [handler = std::move(handler_), result = std::move(result)]() mutable {
                        Invoke(handler, std::move(result));
                      });
    work_.reset();  // the posted handler now holds the executor's work
  }

 private:
  static void Invoke(Handler& handler, Result<T> result) {
    auto ec = AsioError(result.error());
    if constexpr (std::is_void_v<T>) {
      std::move(handler)(ec);
    } else if (result.ok()) {
      std::move(handler)(ec, std::move(result).value());
    } else {
      std::move(handler)(ec, T{});
    }
  }

  boost::asio::executor_work_guard<boost::asio::associated_executor_t<Handler>> work_;
  Handler handler_;
};

// Starts `start(Callback<T>)` (a call of one ...Async method) under Asio's async_initiate, so
// that `token` decides what the caller gets back (nothing, a future, an awaitable, ...).
template <class T, class Token, class Start>
auto Initiate(Token&& token, Start start) {
  return boost::asio::async_initiate<Token, Signature<T>>(
      [](auto handler, Start start) {
        using Handler = decltype(handler);
        auto pending = std::make_shared<Pending<T, Handler>>(std::move(handler));
        start([pending](Result<T> r) { pending->Complete(std::move(r)); });
      },
      token, std::move(start));
}

}  // namespace async_detail

// --- Operations: one per ...Async method of Client, same arguments, same results -------------

template <class Token>
auto async_create(Client& c, std::string path, std::string data, CreateMode mode, AclList acl,
                  int64_t ttl_ms, Token&& token) {
  return async_detail::Initiate<CreateResult>(
      std::forward<Token>(token),
      [&c, path = std::move(path), data = std::move(data), mode, acl = std::move(acl),
       ttl_ms](Callback<CreateResult> cb) { c.CreateAsync(path, data, mode, acl, ttl_ms, cb); });
}
template <class Token>
auto async_create(Client& c, std::string path, std::string data, CreateMode mode, Token&& token) {
  return async_create(c, std::move(path), std::move(data), mode, OpenAclUnsafe(), -1,
                      std::forward<Token>(token));
}
template <class Token>
auto async_create(Client& c, std::string path, std::string data, Token&& token) {
  return async_create(c, std::move(path), std::move(data), CreateMode::kPersistent,
                      std::forward<Token>(token));
}

template <class Token>
auto async_delete(Client& c, std::string path, int32_t version, Token&& token) {
  return async_detail::Initiate<void>(
      std::forward<Token>(token),
      [&c, path = std::move(path), version](Callback<void> cb) { c.DeleteAsync(path, version, cb); });
}
template <class Token>
auto async_delete(Client& c, std::string path, Token&& token) {
  return async_delete(c, std::move(path), -1, std::forward<Token>(token));
}

// Completes with nullopt (and no error) when the node does not exist.
template <class Token>
auto async_exists(Client& c, std::string path, Watcher watch, Token&& token) {
  return async_detail::Initiate<std::optional<Stat>>(
      std::forward<Token>(token),
      [&c, path = std::move(path), watch = std::move(watch)](Callback<std::optional<Stat>> cb) {
        c.ExistsAsync(path, watch, cb);
      });
}
template <class Token>
auto async_exists(Client& c, std::string path, Token&& token) {
  return async_exists(c, std::move(path), Watcher{}, std::forward<Token>(token));
}

template <class Token>
auto async_get(Client& c, std::string path, Watcher watch, Token&& token) {
  return async_detail::Initiate<DataResult>(
      std::forward<Token>(token),
      [&c, path = std::move(path), watch = std::move(watch)](Callback<DataResult> cb) {
        c.GetDataAsync(path, watch, cb);
      });
}
template <class Token>
auto async_get(Client& c, std::string path, Token&& token) {
  return async_get(c, std::move(path), Watcher{}, std::forward<Token>(token));
}

template <class Token>
auto async_set(Client& c, std::string path, std::string data, int32_t version, Token&& token) {
  return async_detail::Initiate<Stat>(
      std::forward<Token>(token),
      [&c, path = std::move(path), data = std::move(data), version](Callback<Stat> cb) {
        c.SetDataAsync(path, data, version, cb);
      });
}
template <class Token>
auto async_set(Client& c, std::string path, std::string data, Token&& token) {
  return async_set(c, std::move(path), std::move(data), -1, std::forward<Token>(token));
}

template <class Token>
auto async_get_children(Client& c, std::string path, Watcher watch, Token&& token) {
  return async_detail::Initiate<ChildrenResult>(
      std::forward<Token>(token),
      [&c, path = std::move(path), watch = std::move(watch)](Callback<ChildrenResult> cb) {
        c.GetChildrenAsync(path, watch, cb);
      });
}
template <class Token>
auto async_get_children(Client& c, std::string path, Token&& token) {
  return async_get_children(c, std::move(path), Watcher{}, std::forward<Token>(token));
}

template <class Token>
auto async_get_acl(Client& c, std::string path, Token&& token) {
  return async_detail::Initiate<AclResult>(
      std::forward<Token>(token),
      [&c, path = std::move(path)](Callback<AclResult> cb) { c.GetAclAsync(path, cb); });
}

template <class Token>
auto async_set_acl(Client& c, std::string path, AclList acl, int32_t version, Token&& token) {
  return async_detail::Initiate<Stat>(
      std::forward<Token>(token),
      [&c, path = std::move(path), acl = std::move(acl), version](Callback<Stat> cb) {
        c.SetAclAsync(path, acl, version, cb);
      });
}

template <class Token>
auto async_sync(Client& c, std::string path, Token&& token) {
  return async_detail::Initiate<void>(
      std::forward<Token>(token),
      [&c, path = std::move(path)](Callback<void> cb) { c.SyncAsync(path, cb); });
}

// A transaction (Client::CommitAsync). On failure the error is the transaction's; the per-op
// codes are only in TransactionFailed from the blocking Client::Commit.
template <class Token>
auto async_multi(Client& c, Transaction txn, Token&& token) {
  return async_detail::Initiate<std::vector<OpResult>>(
      std::forward<Token>(token),
      [&c, txn = std::move(txn)](Callback<std::vector<OpResult>> cb) { c.CommitAsync(txn, cb); });
}

template <class Token>
auto async_multi_read(Client& c, ReadBatch batch, Token&& token) {
  return async_detail::Initiate<std::vector<ReadResult>>(
      std::forward<Token>(token), [&c, batch = std::move(batch)](
                                      Callback<std::vector<ReadResult>> cb) {
        c.MultiReadAsync(batch, cb);
      });
}

template <class Token>
auto async_add_watch(Client& c, std::string path, AddWatchMode mode, Watcher watch,
                     Token&& token) {
  return async_detail::Initiate<void>(
      std::forward<Token>(token),
      [&c, path = std::move(path), mode, watch = std::move(watch)](Callback<void> cb) {
        c.AddWatchAsync(path, mode, watch, cb);
      });
}

template <class Token>
auto async_remove_watches(Client& c, std::string path, WatcherType type, bool local,
                          Token&& token) {
  return async_detail::Initiate<void>(
      std::forward<Token>(token), [&c, path = std::move(path), type, local](Callback<void> cb) {
        c.RemoveWatchesAsync(path, type, local, cb);
      });
}

template <class Token>
auto async_check_watches(Client& c, std::string path, WatcherType type, Token&& token) {
  return async_detail::Initiate<void>(
      std::forward<Token>(token),
      [&c, path = std::move(path), type](Callback<void> cb) { c.CheckWatchesAsync(path, type, cb); });
}

template <class Token>
auto async_get_ephemerals(Client& c, std::string prefix, Token&& token) {
  return async_detail::Initiate<std::vector<std::string>>(
      std::forward<Token>(token), [&c, prefix = std::move(prefix)](
                                      Callback<std::vector<std::string>> cb) {
        c.GetEphemeralsAsync(prefix, cb);
      });
}

template <class Token>
auto async_get_all_children_number(Client& c, std::string path, Token&& token) {
  return async_detail::Initiate<int32_t>(
      std::forward<Token>(token),
      [&c, path = std::move(path)](Callback<int32_t> cb) { c.GetAllChildrenNumberAsync(path, cb); });
}

template <class Token>
auto async_who_am_i(Client& c, Token&& token) {
  return async_detail::Initiate<std::vector<ClientInfo>>(
      std::forward<Token>(token),
      [&c](Callback<std::vector<ClientInfo>> cb) { c.WhoAmIAsync(cb); });
}

template <class Token>
auto async_add_auth(Client& c, std::string scheme, std::string auth, Token&& token) {
  return async_detail::Initiate<void>(
      std::forward<Token>(token),
      [&c, scheme = std::move(scheme), auth = std::move(auth)](Callback<void> cb) {
        c.AddAuthAsync(scheme, auth, cb);
      });
}

}  // namespace caucus
