// libFuzzer target: a Node fed arbitrary frames on an established session.
//
// Two connections are opened and given sessions with valid ConnectRequests (so watch events
// can cross connections); then the input (after a control byte, see below) is split into
// length-prefixed frames (NextFrame, jute.maxbuffer) and each frame is delivered as a
// request frame.
// Time advances between frames so that session expiry and the container reaper run.
// The Node must never crash, trip an assertion, leak (ASan/LSan) or hang, and every frame it
// sends must carry a correct length prefix and at least a ReplyHeader.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/jute/framing.h"
#include "server/base/log.h"
#include "server/node/node.h"
#include "tests/support/wire.h"
#include "tests/fuzz/fuzz_check.h"

namespace j = caucus::jute;
namespace n = caucus::node;

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  caucus::base::SetLogLevel(caucus::base::LogLevel::kError);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  // Input layout: [control byte] then frames. Control bit 0: deliver odd-numbered frames to
  // connection 2; bit 1: enable TTL nodes; bits 2-7: ms of time per frame (x100).
  uint8_t control = in.empty() ? 0 : static_cast<uint8_t>(in[0]);
  if (!in.empty()) in.remove_prefix(1);

  caucus::testing::FakeResponder resp;
  n::NodeOptions opts;
  opts.server_id = 1;
  opts.tick_ms = 100;
  opts.min_session_timeout_ms = 400;
  opts.max_session_timeout_ms = 4000;
  opts.super_digest = "super:D/InIHSb7yEEbrWz8b9l71RjZJU=";  // super:test
  opts.extended_types_enabled = (control & 2) != 0;
  opts.container_check_interval_ms = 500;
  opts.secret = 42;
  n::Node node(opts, resp);

  n::Now now{1'700'000'000'000LL, 0};
  const int64_t step = (control >> 2) * 100;
  for (n::ConnId c : {n::ConnId{1}, n::ConnId{2}}) {
    node.OnConnectionOpened(c, "127.0.0.1", "fuzz", now);
    node.OnFrame(c, caucus::testing::EncodeConnect(0, std::string(16, '\0'), 4000), now);
  }

  size_t frames = 0;
  while (!in.empty() && frames < 4096) {
    j::FrameResult f = j::NextFrame(in, 0xfffff);
    std::string_view payload;
    if (f.status == j::FrameStatus::kFrame) {
      payload = f.payload;
      in.remove_prefix(f.consumed);
    } else {
      // A short or bad length: deliver what is left as one final frame.
      payload = in;
      in = {};
    }
    n::ConnId c = ((control & 1) && (frames & 1)) ? 2 : 1;
    node.OnFrame(c, payload, now);
    ++frames;
    now.wall_ms += step;
    now.mono_ms += step;
    node.Tick(now);
  }
  // Let every session expire and the reaper run, then drop the connections.
  now.wall_ms += 100000;
  now.mono_ms += 100000;
  node.Tick(now);
  node.OnConnectionClosed(1);
  node.OnConnectionClosed(2);
  FUZZ_CHECK(node.sessions().size() == 0);
  FUZZ_CHECK(node.tree().EphemeralCount() == 0);
  FUZZ_CHECK(node.tree().watches().WatchCount() == 0);

  FUZZ_CHECK(resp.bad_prefixes() == 0);
  bool seen_connect[3] = {false, false, false};
  for (const auto& e : resp.events()) {
    if (e.close) continue;
    FUZZ_CHECK(e.conn == 1 || e.conn == 2);
    if (!seen_connect[e.conn]) {  // the ConnectResponse
      seen_connect[e.conn] = true;
      FUZZ_CHECK(e.frame.size() == 4 + 4 + 8 + 4 + 16 + 1);
      continue;
    }
    caucus::testing::Reply r;
    FUZZ_CHECK(caucus::testing::ParseReply(e.frame, r));
  }
  return 0;
}
