// caucus/async.h against a live server: the same create/get/set/delete/multi sequence and a
// NoNode error through each kind of completion token (plain callback, use_future, a C++20
// coroutine with use_awaitable), and where completions run.
#include <utility>  // before boost/asio.hpp (Boost 1.74 under C++20)

#include "caucus/async.h"

#include <gtest/gtest.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <future>
#include <thread>

#include "tests/client/test_server.h"

namespace caucus {
namespace {

using namespace std::chrono_literals;
using boost::system::error_code;
using testing::UniquePath;

namespace asio = boost::asio;

ClientOptions Options() { return testing::TestClientOptions(); }

// Runs `io` on this thread until it has no more work, failing the test after 20 s.
void RunFor(asio::io_context& io) {
  io.run_for(20s);
  EXPECT_TRUE(io.stopped()) << "operations still pending after 20 s";
}

TEST(AsyncTest, ErrorsConvertBothWays) {
  EXPECT_EQ(ToError(AsioError(Error::kNoNode)), Error::kNoNode);
  EXPECT_EQ(ToError(error_code{}), Error::kOk);
  EXPECT_EQ(ToError(asio::error::operation_aborted), Error::kSystemError);
  EXPECT_STREQ(AsioErrorCategory().name(), "caucus");
  EXPECT_FALSE(AsioError(Error::kNoNode).message().empty());
}

// Callback tokens bound to an io_context: each step starts the next from its completion, as
// callback-style Asio code does; every completion runs on the thread running the io_context.
TEST(AsyncTest, CallbackTokenChain) {
  Client zk(Options());
  auto p = UniquePath("async-cb");
  asio::io_context io;
  auto on_io = [&](auto f) { return asio::bind_executor(io, f); };
  const auto io_thread = std::this_thread::get_id();
  std::vector<std::string> steps;
  auto step = [&](const std::string& name, error_code ec) {
    EXPECT_EQ(std::this_thread::get_id(), io_thread) << name;
    steps.push_back(name + ":" + (ec ? ErrorName(ToError(ec)) : "ok"));
  };
  async_create(zk, p, "v1", on_io([&](error_code ec, CreateResult r) {
    step("create", ec);
    EXPECT_EQ(r.path, p);
    async_get(zk, p, on_io([&](error_code ec, DataResult r) {
      step("get", ec);
      EXPECT_EQ(r.data, "v1");
      async_set(zk, p, "v2", r.stat.version, on_io([&](error_code ec, Stat s) {
        step("set", ec);
        EXPECT_EQ(s.version, 1);
        async_multi(zk, Transaction().Create(p + "/c", "x").Check(p, 1),
                    on_io([&](error_code ec, std::vector<OpResult> results) {
          step("multi", ec);
          EXPECT_EQ(results.size(), 2u);
          async_delete(zk, p + "/c", on_io([&](error_code ec) {
            step("delete-child", ec);
            async_delete(zk, p, on_io([&](error_code ec) {
              step("delete", ec);
              async_get(zk, p, on_io([&](error_code ec, DataResult r) {
                step("get-missing", ec);
                EXPECT_TRUE(r.data.empty());
              }));
            }));
          }));
        }));
      }));
    }));
  }));
  RunFor(io);
  EXPECT_EQ(steps, (std::vector<std::string>{"create:ok", "get:ok", "set:ok", "multi:ok",
                                             "delete-child:ok", "delete:ok",
                                             "get-missing:NONODE"}));
}

TEST(AsyncTest, UseFuture) {
  Client zk(Options());
  auto p = UniquePath("async-future");
  EXPECT_EQ(async_create(zk, p, "v1", asio::use_future).get().path, p);
  EXPECT_EQ(async_get(zk, p, asio::use_future).get().data, "v1");
  EXPECT_EQ(async_set(zk, p, "v2", asio::use_future).get().version, 1);
  auto results = async_multi(zk, Transaction().SetData(p, "v3").Create(p + "/c", ""),
                             asio::use_future).get();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[1].path, p + "/c");
  EXPECT_EQ(async_get_children(zk, p, asio::use_future).get().children,
            std::vector<std::string>{"c"});
  async_delete(zk, p + "/c", asio::use_future).get();
  async_delete(zk, p, asio::use_future).get();
  EXPECT_FALSE(async_exists(zk, p, asio::use_future).get().has_value());

  auto missing = async_get(zk, p, asio::use_future);
  try {
    missing.get();
    FAIL() << "expected NoNode";
  } catch (const boost::system::system_error& e) {
    EXPECT_EQ(ToError(e.code()), Error::kNoNode);
  }
}

asio::awaitable<void> CoroutineSequence(Client& zk, std::string p, std::vector<std::string>& log) {
  auto created = co_await async_create(zk, p, "v1", asio::use_awaitable);
  log.push_back("created " + created.path);
  auto [data, stat] = co_await async_get(zk, p, asio::use_awaitable);
  log.push_back("got " + data);
  auto set = co_await async_set(zk, p, "v2", stat.version, asio::use_awaitable);
  log.push_back("set v" + std::to_string(set.version));
  auto results = co_await async_multi(
      zk, Transaction().Create(p + "/c", "").Delete(p + "/c").Check(p, set.version),
      asio::use_awaitable);
  log.push_back("multi " + std::to_string(results.size()));
  co_await async_delete(zk, p, asio::use_awaitable);
  log.push_back("deleted");
  try {
    co_await async_delete(zk, p, asio::use_awaitable);
    log.push_back("deleted twice?");
  } catch (const boost::system::system_error& e) {
    log.push_back(std::string("error ") + ErrorName(ToError(e.code())));
  }
  // A failed transaction reports the transaction's error.
  try {
    co_await async_multi(zk, Transaction().SetData(p, "x"), asio::use_awaitable);
  } catch (const boost::system::system_error& e) {
    log.push_back(std::string("multi error ") + ErrorName(ToError(e.code())));
  }
}

TEST(AsyncTest, CoroutineWithUseAwaitable) {
  Client zk(Options());
  auto p = UniquePath("async-coro");
  asio::io_context io;
  std::vector<std::string> log;
  auto done = asio::co_spawn(io, CoroutineSequence(zk, p, log), asio::use_future);
  RunFor(io);
  done.get();  // rethrows anything the coroutine did not catch
  EXPECT_EQ(log, (std::vector<std::string>{"created " + p, "got v1", "set v1", "multi 3",
                                           "deleted", "error NONODE", "multi error NONODE"}));
}

// A handler without an associated executor runs on Asio's system executor: still neither on
// the Client's callback thread nor inside the initiating call.
TEST(AsyncTest, CompletionNeverRunsOnClientThreads) {
  Client zk(Options());
  std::promise<std::thread::id> client_thread;
  zk.SyncAsync("/", [&](Result<void>) { client_thread.set_value(std::this_thread::get_id()); });
  std::promise<std::thread::id> completion_thread;
  async_sync(zk, "/", [&](error_code ec) {
    EXPECT_FALSE(ec);
    completion_thread.set_value(std::this_thread::get_id());
  });
  auto client_id = client_thread.get_future().get();
  auto completion_id = completion_thread.get_future().get();
  EXPECT_NE(completion_id, client_id);
  EXPECT_NE(completion_id, std::this_thread::get_id());
}

// The rest of the operations, each once, through futures.
TEST(AsyncTest, EveryOtherOperation) {
  Client zk(Options());
  auto p = UniquePath("async-ops");
  async_create(zk, p, "", CreateMode::kPersistent, asio::use_future).get();
  async_create(zk, p + "/e", "", CreateMode::kEphemeral, asio::use_future).get();
  EXPECT_EQ(async_get_acl(zk, p, asio::use_future).get().acl, OpenAclUnsafe());
  EXPECT_EQ(async_set_acl(zk, p, OpenAclUnsafe(), -1, asio::use_future).get().aversion, 1);
  async_sync(zk, p, asio::use_future).get();
  auto reads = async_multi_read(zk, ReadBatch().GetData(p).GetChildren(p), asio::use_future).get();
  ASSERT_EQ(reads.size(), 2u);
  EXPECT_EQ(reads[1].children, std::vector<std::string>{"e"});
  EXPECT_EQ(async_get_all_children_number(zk, p, asio::use_future).get(), 1);
  EXPECT_EQ(async_get_ephemerals(zk, p, asio::use_future).get(),
            std::vector<std::string>{p + "/e"});
  async_add_watch(zk, p, AddWatchMode::kPersistent, [](const WatchEvent&) {},
                  asio::use_future).get();
  async_check_watches(zk, p, WatcherType::kAny, asio::use_future).get();
  async_remove_watches(zk, p, WatcherType::kAny, false, asio::use_future).get();
  async_add_auth(zk, "digest", "u:p", asio::use_future).get();
  EXPECT_FALSE(async_who_am_i(zk, asio::use_future).get().empty());
  async_exists(zk, p, [](const WatchEvent&) {}, asio::use_future).get();
  async_get(zk, p, [](const WatchEvent&) {}, asio::use_future).get();
  async_get_children(zk, p, [](const WatchEvent&) {}, asio::use_future).get();
}

}  // namespace
}  // namespace caucus
