// delay-proxy: TCP forwarders that hold every byte for a fixed time in each direction, to
// give the members of a loopback ensemble the round-trip time of a real network (this machine
// has no tc netem). Benchmarks only.
//
//   delay-proxy --delay-us D LISTEN_PORT:TARGET_PORT [LISTEN_PORT:TARGET_PORT ...]
//
// Each pair listens on 127.0.0.1:LISTEN_PORT and forwards every accepted connection to
// 127.0.0.1:TARGET_PORT. Bytes keep their order; a closed side closes the other once what was
// read before is delivered. One thread; runs until killed.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp needs it under C++20

#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// One direction of one connection: reads from `from`, writes to `to` after the delay.
class Pipe : public std::enable_shared_from_this<Pipe> {
 public:
  Pipe(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to,
       std::chrono::microseconds delay)
      : from_(std::move(from)), to_(std::move(to)), timer_(from_->get_executor()), delay_(delay) {}

  void Start() { Read(); }

 private:
  struct Chunk {
    Clock::time_point due;
    std::string bytes;  // empty: the reading side closed
  };

  void Read() {
    auto self = shared_from_this();
    from_->async_read_some(asio::buffer(buf_), [self](boost::system::error_code ec, size_t n) {
      self->Queue(ec ? std::string() : std::string(self->buf_, n));
      if (!ec) self->Read();
    });
  }

  void Queue(std::string bytes) {
    queue_.push_back(Chunk{Clock::now() + delay_, std::move(bytes)});
    if (!busy_) Next();
  }

  void Next() {
    if (queue_.empty()) {
      busy_ = false;
      return;
    }
    busy_ = true;
    auto self = shared_from_this();
    timer_.expires_at(queue_.front().due);
    timer_.async_wait([self](boost::system::error_code) { self->Deliver(); });
  }

  void Deliver() {
    Chunk c = std::move(queue_.front());
    queue_.pop_front();
    if (c.bytes.empty()) {
      boost::system::error_code ignored;
      to_->shutdown(tcp::socket::shutdown_send, ignored);
      from_->close(ignored);
      return;
    }
    auto self = shared_from_this();
    auto data = std::make_shared<std::string>(std::move(c.bytes));
    asio::async_write(*to_, asio::buffer(*data), [self, data](boost::system::error_code ec, size_t) {
      if (ec) {
        boost::system::error_code ignored;
        self->from_->close(ignored);
        return;
      }
      self->Next();
    });
  }

  std::shared_ptr<tcp::socket> from_, to_;
  asio::steady_timer timer_;
  std::chrono::microseconds delay_;
  char buf_[64 * 1024];
  std::deque<Chunk> queue_;
  bool busy_ = false;
};

void Accept(tcp::acceptor& acceptor, int target, std::chrono::microseconds delay) {
  acceptor.async_accept([&acceptor, target, delay](boost::system::error_code ec, tcp::socket s) {
    if (!ec) {
      auto in = std::make_shared<tcp::socket>(std::move(s));
      auto out = std::make_shared<tcp::socket>(acceptor.get_executor());
      tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(target));
      out->async_connect(ep, [in, out, delay](boost::system::error_code cec) {
        if (cec) return;  // `in` closes as it goes out of scope: the peer sees a refusal
        in->set_option(tcp::no_delay(true));
        out->set_option(tcp::no_delay(true));
        std::make_shared<Pipe>(in, out, delay)->Start();
        std::make_shared<Pipe>(out, in, delay)->Start();
      });
    }
    Accept(acceptor, target, delay);
  });
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || std::string(argv[1]) != "--delay-us") {
    std::fprintf(stderr, "usage: delay-proxy --delay-us D LISTEN:TARGET [LISTEN:TARGET ...]\n");
    return 2;
  }
  std::chrono::microseconds delay(std::atoll(argv[2]));
  asio::io_context io;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  for (int i = 3; i < argc; ++i) {
    std::string pair = argv[i];
    auto colon = pair.find(':');
    if (colon == std::string::npos) return 2;
    int listen = std::atoi(pair.substr(0, colon).c_str());
    int target = std::atoi(pair.substr(colon + 1).c_str());
    tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(listen));
    acceptors.push_back(std::make_unique<tcp::acceptor>(io, ep));
    Accept(*acceptors.back(), target, delay);
  }
  io.run();
  return 0;
}
