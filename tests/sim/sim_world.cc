#include "tests/sim/sim_world.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "tests/sim/linearizability.h"

namespace caucus::sim {
namespace {

using zab::ChannelId;
using zab::Entry;
using zab::ServerId;

using State = std::vector<std::pair<int64_t, std::string>>;  // applied (zxid, value)

constexpr int kKeys = 4;

// A client write's value is "<key>:<unique>"; the epoch no-ops have no key.
std::string KeyOf(const std::string& value) {
  size_t colon = value.find(':');
  return colon == std::string::npos ? std::string() : value.substr(0, colon);
}

// Each key as a register: its last value and version (the number of writes to it).
struct Registers {
  std::map<std::string, RegisterState> keys;
  void Apply(const std::string& value) {
    std::string k = KeyOf(value);
    if (k.empty()) return;
    RegisterState& r = keys[k];
    r.value = value;
    ++r.version;
  }
  static Registers Of(const State& s) {
    Registers r;
    for (const auto& [z, v] : s) r.Apply(v);
    return r;
  }
};

std::string EncodeState(const State& s) {
  std::string out;
  for (const auto& [z, v] : s) {
    out.append(reinterpret_cast<const char*>(&z), sizeof z);
    uint32_t n = static_cast<uint32_t>(v.size());
    out.append(reinterpret_cast<const char*>(&n), sizeof n);
    out.append(v);
  }
  return out;
}

State DecodeState(const std::string& b) {
  State s;
  size_t at = 0;
  while (at < b.size()) {
    int64_t z;
    uint32_t n;
    std::memcpy(&z, b.data() + at, sizeof z);
    std::memcpy(&n, b.data() + at + sizeof z, sizeof n);
    at += sizeof z + sizeof n;
    s.emplace_back(z, b.substr(at, n));
    at += n;
  }
  return s;
}

std::string Describe(const zab::Message& m) {
  std::ostringstream o;
  if (const auto* f = std::get_if<zab::FollowerInfo>(&m)) {
    o << "acc=" << f->epochs.accepted << " cur=" << f->epochs.current << " last="
      << base::Hex(f->last_zxid) << " applied=" << base::Hex(f->applied_zxid);
  } else if (const auto* a = std::get_if<zab::AckEpoch>(&m)) {
    o << "cur=" << a->current_epoch << " last=" << base::Hex(a->last_zxid);
  } else if (const auto* s = std::get_if<zab::Sync>(&m)) {
    o << "kind=" << static_cast<int>(s->kind) << " trunc=" << base::Hex(s->trunc_zxid)
      << " snap=" << base::Hex(s->snap_zxid) << " entries=" << s->entries.size();
    if (!s->entries.empty()) o << " first=" << base::Hex(s->entries.front().zxid);
  } else if (const auto* n = std::get_if<zab::NewLeader>(&m)) {
    o << "epoch=" << n->epoch << " zxid=" << base::Hex(n->zxid);
  } else if (const auto* a = std::get_if<zab::AckNewLeader>(&m)) {
    o << "zxid=" << base::Hex(a->zxid);
  } else if (const auto* l = std::get_if<zab::LeaderInfo>(&m)) {
    o << "epoch=" << l->epoch;
  } else if (const auto* u = std::get_if<zab::UpToDate>(&m)) {
    o << "committed=" << base::Hex(u->committed);
  }
  return o.str();
}

struct PendingWrite {
  uint64_t generation = 0;
  std::vector<Entry> entries;
  int64_t done_at = 0;
};

// One replica: its durable disk (survives crashes) and its volatile process.
struct Replica : zab::StateSource {
  ServerId id = 0;
  // Disk.
  zab::Epochs disk_epochs;
  int64_t disk_snap_zxid = 0;
  State disk_snap;
  std::vector<Entry> disk_log;  // entries after disk_snap_zxid
  // Process.
  bool up = false;
  uint32_t incarnation = 0;
  std::unique_ptr<zab::Peer> peer;
  State state;
  std::deque<PendingWrite> writes;
  int64_t disk_slow_until = 0;
  std::set<std::string> submitted;  // values this replica's clients sent
  Registers registers;  // `state` as registers, for reads

  zab::StateSnapshot TakeSnapshot() override {
    return zab::StateSnapshot{state.empty() ? disk_snap_zxid : state.back().first,
                              std::make_shared<const std::string>(EncodeState(state))};
  }
  std::shared_ptr<const std::string> EpochStartEntry(int64_t zxid) override {
    return std::make_shared<const std::string>("noop@" + std::to_string(zxid));
  }
  int64_t DiskLast() const { return disk_log.empty() ? disk_snap_zxid : disk_log.back().zxid; }
};

struct Channel {
  ServerId opener = 0, other = 0;
  bool open = true;
  int64_t last_to_other = 0, last_to_opener = 0;  // FIFO delivery times per direction
};

class World {
 public:
  explicit World(const SimConfig& c) : c_(c), rng_(c.seed) {
    for (int i = 1; i <= c.voters; ++i) options_.voters.push_back(i);
    for (int i = 0; i < c.observers; ++i) options_.observers.push_back(c.voters + 1 + i);
    options_.init_limit_ticks = 40;
    options_.sync_limit_ticks = 20;
    options_.finalize_ticks = 2;
    options_.vote_resend_ticks = 4;
    options_.log_window_entries = 50;  // small, so SNAP is exercised
    int n = c.voters + c.observers;
    for (int i = 1; i <= n; ++i) {
      auto r = std::make_unique<Replica>();
      r->id = i;
      replicas_[i] = std::move(r);
    }
  }

  SimResult Run();

 private:
  // --- events ---
  void At(int64_t t, std::function<void()> fn) { events_.push(Event{t, seq_++, std::move(fn)}); }
  int64_t Rand(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  void Fail(const std::string& why) {
    if (result_.ok) {
      result_.ok = false;
      result_.failure = "t=" + std::to_string(now_) + "ms: " + why;
    }
  }
  void Trace(const std::string& s) {
    if (c_.verbose) std::printf("%8lld %s\n", static_cast<long long>(now_), s.c_str());
  }

  // --- replicas ---
  void Start(Replica& r);
  void Crash(Replica& r);
  void Process(Replica& r);
  void Persist(Replica& r, const zab::Ready& rd);
  void Apply(Replica& r, const Entry& e);
  void InstallSnapshot(Replica& r, const zab::SnapshotInstall& s);
  void OnRole(Replica& r, const zab::RoleChange& role);
  void CompleteWrite(ServerId id);
  void Submit();
  void Read();
  void OnReadRound(Replica& r, const zab::ReadRoundDone& d);
  void ServeReads(Replica& r);
  void CheckHistory();
  void MaybeSnapshot(Replica& r);

  // --- network ---
  bool Connected(ServerId a, ServerId b) const {
    return side_.empty() || side_.at(a) == side_.at(b);
  }
  void SendVote(ServerId from, const zab::OutVote& v);
  void OpenChannel(ServerId from, const zab::OpenChannel& o);
  void SendOnChannel(ServerId from, const zab::OutMessage& m);
  void BreakChannel(ChannelId ch);
  void CheckAckDurable(const Replica& r, const zab::OutMessage& m);

  // --- faults ---
  void ScheduleFaults();
  void Partition();
  void Heal();
  void CheckFinal();

  struct Event {
    int64_t t;
    uint64_t seq;
    std::function<void()> fn;
    bool operator>(const Event& o) const { return std::tie(t, seq) > std::tie(o.t, o.seq); }
  };

  SimConfig c_;
  std::mt19937_64 rng_;
  zab::PeerOptions options_;
  std::map<ServerId, std::unique_ptr<Replica>> replicas_;
  std::map<ChannelId, Channel> channels_;
  std::map<ServerId, int> side_;  // partition side per replica; empty = healed
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events_;
  uint64_t seq_ = 0;
  int64_t now_ = 0;
  bool writes_on_ = true;
  bool faults_on_ = true;  // random channel breaks; off while the run settles
  int64_t next_value_ = 1;
  SimResult result_;
  // Checker state.
  std::map<int64_t, std::string> committed_;          // zxid -> value, as any replica applied
  std::map<std::string, int64_t> acked_;              // value -> zxid, acknowledged to a client
  std::map<int64_t, ServerId> epoch_leader_;          // established leader per epoch
  // Client history, for the linearizability check.
  struct PendingRead {
    ServerId replica = 0;
    uint32_t incarnation = 0;
    uint64_t round = 0;
    History::OpId op = 0;
    std::string key;
    int64_t target = -1;  // known once the round is done
  };
  History history_;
  std::map<std::string, History::OpId> write_ops_;  // value -> its op
  struct FirstApply {
    int64_t t = 0;
    int32_t version = 0;
  };
  std::map<std::string, FirstApply> first_applied_;  // value -> when it was first applied
  std::set<std::string> final_values_;  // the converged state's values (set by CheckFinal)
  std::vector<PendingRead> reads_;
  int64_t next_client_ = 1;
};

void World::Start(Replica& r) {
  zab::PersistentState ps;
  ps.epochs = r.disk_epochs;
  ps.log_base = r.disk_snap_zxid;
  ps.entries = r.disk_log;
  // Recovery applies the snapshot and every logged entry (as the real server does).
  r.state = r.disk_snap;
  for (const auto& e : r.disk_log) r.state.emplace_back(e.zxid, *e.data);
  r.registers = Registers::Of(r.state);
  zab::PeerOptions o = options_;
  o.id = r.id;
  o.incarnation = ++r.incarnation;
  r.peer = std::make_unique<zab::Peer>(o, std::move(ps), r);
  r.up = true;
  r.writes.clear();
  Trace("start " + std::to_string(r.id) + " last=" + base::Hex(r.DiskLast()));
  Process(r);
  ServerId id = r.id;
  int64_t offset = Rand(1, c_.tick_ms);
  // Ticks stop when this incarnation of the process does.
  struct Ticker {
    static void Next(World* w, ServerId id, uint32_t inc, int64_t when) {
      w->At(when, [w, id, inc] {
        Replica& rr = *w->replicas_[id];
        if (!rr.up || rr.incarnation != inc) return;
        rr.peer->Tick();
        w->Process(rr);
        Next(w, id, inc, w->now_ + w->c_.tick_ms);
      });
    }
  };
  Ticker::Next(this, id, r.incarnation, now_ + offset);
}

void World::Crash(Replica& r) {
  if (!r.up) return;
  Trace("crash " + std::to_string(r.id));
  ++result_.crashes;
  r.up = false;
  r.peer.reset();
  r.writes.clear();  // not durable: lost
  r.state.clear();
  // Its clients' reads in progress never get an answer (they stay open in the history).
  std::erase_if(reads_, [&r](const PendingRead& p) { return p.replica == r.id; });
  for (auto& [ch, c] : channels_) {
    if (c.open && (c.opener == r.id || c.other == r.id)) BreakChannel(ch);
  }
}

void World::Process(Replica& r) {
  while (r.up) {
    zab::Ready rd = r.peer->TakeReady();
    if (rd.empty()) return;
    Persist(r, rd);
    for (const auto& o : rd.open) OpenChannel(r.id, o);
    for (ChannelId ch : rd.close) BreakChannel(ch);
    for (const auto& v : rd.votes) SendVote(r.id, v);
    for (const auto& m : rd.messages) {
      CheckAckDurable(r, m);
      SendOnChannel(r.id, m);
    }
    if (!rd.append.empty()) {
      PendingWrite w{rd.log_generation, rd.append, 0};
      int64_t lat = now_ < r.disk_slow_until ? Rand(50, 400) : Rand(1, 8);
      int64_t prev = r.writes.empty() ? now_ : r.writes.back().done_at;
      w.done_at = std::max(prev, now_ + lat);
      r.writes.push_back(std::move(w));
      ServerId id = r.id;
      At(r.writes.back().done_at, [this, id] { CompleteWrite(id); });
    }
    for (const auto& e : rd.commit) Apply(r, e);
    if (rd.role) OnRole(r, *rd.role);
    for (const auto& d : rd.read_rounds) OnReadRound(r, d);
    ServeReads(r);
    for (const auto& a : rd.app) {
      if (r.peer->state() == zab::PeerState::kLeading && r.peer->serving()) {
        r.peer->Propose(std::make_shared<const std::string>(a.payload));
      }
    }
    MaybeSnapshot(r);
  }
}

void World::Persist(Replica& r, const zab::Ready& rd) {
  if (rd.epochs) {
    if (rd.epochs->accepted < r.disk_epochs.accepted || rd.epochs->current < r.disk_epochs.current) {
      Fail("replica " + std::to_string(r.id) + " moved a durable epoch backwards");
    }
    r.disk_epochs = *rd.epochs;
  }
  if (rd.truncate_after) {
    int64_t t = *rd.truncate_after;
    std::erase_if(r.disk_log, [t](const Entry& e) { return e.zxid > t; });
    for (auto& w : r.writes) std::erase_if(w.entries, [t](const Entry& e) { return e.zxid > t; });
  }
  if (rd.install_snapshot) InstallSnapshot(r, *rd.install_snapshot);
}

void World::InstallSnapshot(Replica& r, const zab::SnapshotInstall& s) {
  r.disk_log.clear();
  r.writes.clear();
  r.disk_snap_zxid = s.zxid;
  r.disk_snap = DecodeState(*s.state);
  r.state = r.disk_snap;
  r.registers = Registers::Of(r.state);
  Trace("replica " + std::to_string(r.id) + " installed snapshot at " + base::Hex(s.zxid));
  // A snapshot is the committed state: it must agree with everything committed so far.
  int64_t last = 0;
  std::set<int64_t> have;
  for (const auto& [z, v] : r.state) {
    if (z <= last) Fail("snapshot not in zxid order");
    last = z;
    have.insert(z);
    auto it = committed_.find(z);
    if (it != committed_.end() && it->second != v) Fail("snapshot disagrees at " + base::Hex(z));
  }
  for (const auto& [z, v] : committed_) {
    if (z > s.zxid) break;
    if (!have.count(z)) Fail("snapshot at " + base::Hex(s.zxid) + " lacks committed " + base::Hex(z));
  }
}

void World::CompleteWrite(ServerId id) {
  Replica& r = *replicas_[id];
  if (!r.up || r.writes.empty() || r.writes.front().done_at > now_) return;
  PendingWrite w = std::move(r.writes.front());
  r.writes.pop_front();
  for (const auto& e : w.entries) {
    if (e.zxid <= r.DiskLast()) {
      Fail("replica " + std::to_string(id) + " wrote " + base::Hex(e.zxid) + " after " +
           base::Hex(r.DiskLast()));
    }
    r.disk_log.push_back(e);
  }
  if (!w.entries.empty()) r.peer->OnPersisted(w.generation, w.entries.back().zxid);
  Process(r);
}

void World::Apply(Replica& r, const Entry& e) {
  int64_t prev = r.state.empty() ? r.disk_snap_zxid : r.state.back().first;
  if (e.zxid <= prev) {
    Fail("replica " + std::to_string(r.id) + " applied " + base::Hex(e.zxid) + " after " +
         base::Hex(prev));
  }
  auto it = committed_.find(e.zxid);
  if (it != committed_.end() && it->second != *e.data) {
    Fail("replicas disagree on " + base::Hex(e.zxid));
  }
  auto hole = committed_.upper_bound(prev);
  if (hole != committed_.end() && hole->first < e.zxid) {
    Fail("replica " + std::to_string(r.id) + " skipped committed " + base::Hex(hole->first));
  }
  committed_[e.zxid] = *e.data;
  r.state.emplace_back(e.zxid, *e.data);
  r.registers.Apply(*e.data);
  if (!KeyOf(*e.data).empty()) {
    first_applied_.try_emplace(*e.data, FirstApply{now_, r.registers.keys[KeyOf(*e.data)].version});
  }
  if (r.submitted.erase(*e.data)) {
    acked_[*e.data] = e.zxid;  // the client gets its answer
    auto op = write_ops_.find(*e.data);
    if (op != write_ops_.end()) {
      history_.Complete(op->second,
                        OpResult::Written(r.registers.keys[KeyOf(*e.data)].version), now_);
    }
    if (c_.verbose) Trace("replica " + std::to_string(r.id) + " acked " + base::Hex(e.zxid));
  }
}

void World::OnRole(Replica& r, const zab::RoleChange& role) {
  Trace("replica " + std::to_string(r.id) + " " + zab::PeerStateName(role.state) + " leader=" +
        std::to_string(role.leader) + " epoch=" + std::to_string(role.epoch) +
        (role.serving ? " serving" : "") + " (" + role.why + ")");
  if (role.state != zab::PeerState::kLeading || !role.serving) return;
  ++result_.elections;
  auto [it, fresh] = epoch_leader_.emplace(role.epoch, r.id);
  if (!fresh && it->second != r.id) {
    Fail("two leaders established in epoch " + std::to_string(role.epoch));
  }
  // Every acknowledged write must be in the new leader's history.
  std::set<int64_t> have;
  for (const auto& [z, v] : r.state) have.insert(z);
  for (const auto& e : r.peer->log()) have.insert(e.zxid);
  for (const auto& [v, z] : acked_) {
    if (!have.count(z)) Fail("leader of epoch " + std::to_string(role.epoch) + " lacks acked " +
                             base::Hex(z));
  }
}

void World::CheckAckDurable(const Replica& r, const zab::OutMessage& m) {
  int64_t z = -1;
  if (const auto* a = std::get_if<zab::Ack>(&m.msg)) z = a->zxid;
  if (const auto* a = std::get_if<zab::AckNewLeader>(&m.msg)) z = a->zxid;
  if (z >= 0 && z > r.DiskLast()) {
    Fail("replica " + std::to_string(r.id) + " acked " + base::Hex(z) + " with only " +
         base::Hex(r.DiskLast()) + " durable");
  }
}

void World::MaybeSnapshot(Replica& r) {
  // Now and then the host snapshots its applied state and drops the log below it.
  if (r.state.empty() || !Chance(0.01)) return;
  r.disk_snap = r.state;
  r.disk_snap_zxid = r.state.back().first;
  int64_t s = r.disk_snap_zxid;
  std::erase_if(r.disk_log, [s](const Entry& e) { return e.zxid <= s; });
}

void World::SendVote(ServerId from, const zab::OutVote& v) {
  if (!Connected(from, v.to) || Chance(c_.vote_loss)) return;
  int copies = Chance(c_.vote_dup) ? 2 : 1;
  for (int i = 0; i < copies; ++i) {
    zab::Notification n = v.n;
    ServerId to = v.to;
    At(now_ + Rand(1, 40), [this, from, to, n] {
      Replica& r = *replicas_[to];
      if (!r.up || !Connected(from, to)) return;
      if (c_.verbose && std::getenv("SIM_TRACE_VOTES")) {
        Trace("  vote " + std::to_string(from) + "->" + std::to_string(to) + " leader=" +
              std::to_string(n.vote.leader) + " epoch=" + std::to_string(n.vote.epoch) +
              " zxid=" + base::Hex(n.vote.zxid) + " state=" + zab::PeerStateName(n.state) +
              " round=" + std::to_string(n.round));
      }
      r.peer->OnNotification(from, n);
      Process(r);
    });
  }
}

void World::OpenChannel(ServerId from, const zab::OpenChannel& o) {
  Channel c;
  c.opener = from;
  c.other = o.to;
  channels_[o.channel] = c;
  if (!replicas_[o.to]->up || !Connected(from, o.to)) {
    ChannelId ch = o.channel;
    At(now_ + Rand(1, 30), [this, ch] { BreakChannel(ch); });  // connection refused
  }
}

void World::SendOnChannel(ServerId from, const zab::OutMessage& m) {
  auto it = channels_.find(m.channel);
  if (it == channels_.end() || !it->second.open) return;
  Channel& c = it->second;
  if (!Connected(c.opener, c.other) || (faults_on_ && Chance(c_.channel_break))) {
    BreakChannel(m.channel);
    return;
  }
  bool to_other = from == c.opener;
  int64_t& last = to_other ? c.last_to_other : c.last_to_opener;
  last = std::max(last, now_ + Rand(1, 30));
  ChannelId ch = m.channel;
  ServerId to = to_other ? c.other : c.opener;
  zab::Message msg = m.msg;
  At(last, [this, ch, from, to, msg] {
    auto cit = channels_.find(ch);
    Replica& r = *replicas_[to];
    if (cit == channels_.end() || !cit->second.open || !r.up) return;
    if (c_.verbose && !std::holds_alternative<zab::Ping>(msg) &&
        !std::holds_alternative<zab::Proposal>(msg) && !std::holds_alternative<zab::Ack>(msg) &&
        !std::holds_alternative<zab::Commit>(msg)) {
      Trace("  " + std::to_string(from) + "->" + std::to_string(to) + " " +
            zab::MessageName(msg) + " " + Describe(msg));
    }
    r.peer->OnMessage(from, ch, msg);
    Process(r);
  });
}

void World::BreakChannel(ChannelId ch) {
  auto it = channels_.find(ch);
  if (it == channels_.end() || !it->second.open) return;
  it->second.open = false;
  // Both ends learn of it after a while (a reset, or a keepalive timeout), unless one end
  // crashed; a crashed end has no process to tell.
  for (ServerId end : {it->second.opener, it->second.other}) {
    At(now_ + Rand(1, 200), [this, end, ch] {
      Replica& r = *replicas_[end];
      if (!r.up) return;
      r.peer->OnChannelClosed(ch);
      Process(r);
    });
  }
}

void World::Submit() {
  if (writes_on_) {
    std::vector<ServerId> up;
    for (auto& [id, r] : replicas_) {
      if (r->up && r->peer->serving()) up.push_back(id);
    }
    if (!up.empty()) {
      Replica& r = *replicas_[up[static_cast<size_t>(Rand(0, static_cast<int64_t>(up.size()) - 1))]];
      std::string key = "k" + std::to_string(Rand(0, kKeys - 1));
      std::string v = key + ":v" + std::to_string(next_value_++);
      bool sent = false;
      if (r.peer->state() == zab::PeerState::kLeading) {
        sent = r.peer->Propose(std::make_shared<const std::string>(v)) != 0;
      } else {
        sent = r.peer->SendToLeader(v);
      }
      if (sent) {
        r.submitted.insert(v);
        write_ops_[v] = history_.InvokeWrite(next_client_++, key, v, kAnyVersion, now_);
      }
      Process(r);
    }
  }
  At(now_ + Rand(2, 15), [this] { Submit(); });
}

// A client reads a key on any replica that is up, leader or not.
void World::Read() {
  if (writes_on_) {
    std::vector<ServerId> up;
    for (auto& [id, r] : replicas_) {
      if (r->up) up.push_back(id);
    }
    if (!up.empty()) {
      Replica& r = *replicas_[up[static_cast<size_t>(Rand(0, static_cast<int64_t>(up.size()) - 1))]];
      std::string key = "k" + std::to_string(Rand(0, kKeys - 1));
      History::OpId op = history_.InvokeRead(next_client_++, key, now_);
      if (c_.local_reads) {
        const RegisterState& reg = r.registers.keys[key];
        history_.Complete(op, OpResult::Read(reg.value, reg.version), now_);
        ++result_.reads;
      } else {
        reads_.push_back(PendingRead{r.id, r.incarnation, r.peer->StartReadRound(), op, key});
        Process(r);
      }
    }
  }
  At(now_ + Rand(2, 15), [this] { Read(); });
}

void World::OnReadRound(Replica& r, const zab::ReadRoundDone& d) {
  if (c_.verbose) {
    Trace("replica " + std::to_string(r.id) + " read round " + std::to_string(d.round) +
          (d.ok ? " bound=" + base::Hex(d.bound) : " failed"));
  }
  for (auto it = reads_.begin(); it != reads_.end();) {
    if (it->replica != r.id || it->incarnation != r.incarnation || it->round != d.round) {
      ++it;
    } else if (!d.ok) {
      it = reads_.erase(it);  // timed out: the client never learns; the history keeps it open
    } else {
      it->target = d.bound;
      ++it;
    }
  }
}

// Answers the replica's reads whose round is done, once it has applied that far and holds
// only committed transactions (what the server's linear_reads.cc waits for).
void World::ServeReads(Replica& r) {
  if (!r.peer->StateIsCommitted()) return;
  int64_t applied = r.state.empty() ? r.disk_snap_zxid : r.state.back().first;
  for (auto it = reads_.begin(); it != reads_.end();) {
    if (it->replica == r.id && it->incarnation == r.incarnation && it->target >= 0 &&
        applied >= it->target) {
      const RegisterState& reg = r.registers.keys[it->key];
      history_.Complete(it->op, OpResult::Read(reg.value, reg.version), now_);
      ++result_.reads;
      it = reads_.erase(it);
    } else {
      ++it;
    }
  }
}

// A write whose client never heard back (its replica crashed or lost its leader) is open in
// the history, which makes the search exponential. What happened to it is mostly known here:
// if some replica applied it from the commit stream, it was committed by then, so every read
// that starts later must see it (a quorum holds it): it counts as completed at that moment,
// with the version it created. If it is not in the converged state, nobody can have read it
// (reads see committed state only), and it is left out. Both are stronger than
// linearizability asks, and hold for ZAB with quorum reads. The rest (committed, but applied
// only through recovery or a snapshot) stays open.
void World::CheckHistory() {
  std::vector<Op> ops = history_.ops();
  std::erase_if(ops, [this](Op& op) {
    if (op.kind != OpKind::kWrite || op.outcome != Outcome::kIndeterminate) return false;
    auto it = first_applied_.find(op.value);
    if (it == first_applied_.end()) return !final_values_.count(op.value);
    op.outcome = Outcome::kOk;
    op.version = it->second.version;
    op.return_time = std::max(op.call_time, it->second.t);
    return false;
  });
  CheckResult v = CheckLinearizable(ops, history_.initial());
  result_.linearizability = VerdictName(v.verdict);
  if (v.verdict != CheckResult::kLinearizable) {
    if (c_.verbose) {
      for (const Op& op : ops) {
        if (op.key == v.key) std::printf("  history: %s\n", DescribeOp(op).c_str());
      }
      for (const auto& [z, val] : committed_) {
        if (KeyOf(val) == v.key) std::printf("  committed %s %s\n", base::Hex(z).c_str(), val.c_str());
      }
    }
    Fail("the client history is " + result_.linearizability + ": " + v.explanation);
  }
}

void World::Partition() {
  side_.clear();
  for (auto& [id, r] : replicas_) side_[id] = static_cast<int>(Rand(0, 1));
  ++result_.partitions;
  Trace("partition");
  for (auto& [ch, c] : channels_) {
    if (c.open && !Connected(c.opener, c.other)) BreakChannel(ch);
  }
}

void World::Heal() {
  side_.clear();
  Trace("heal");
}

void World::ScheduleFaults() {
  for (int64_t t = Rand(200, 800); t < c_.fault_ms; t += Rand(300, 1500)) {
    int kind = static_cast<int>(Rand(0, 9));
    ServerId victim = Rand(1, static_cast<int64_t>(replicas_.size()));
    if (kind <= 3 && c_.crashes) {
      At(t, [this, victim] { Crash(*replicas_[victim]); });
      At(t + Rand(100, 2500), [this, victim] {
        if (!replicas_[victim]->up) Start(*replicas_[victim]);
      });
    } else if (kind <= 5 && c_.partitions) {
      At(t, [this] { Partition(); });
      At(t + Rand(200, 3000), [this] { Heal(); });
    } else if (kind <= 7) {
      At(t, [this, victim] { replicas_[victim]->disk_slow_until = now_ + Rand(100, 2000); });
    }
  }
  int64_t end = c_.fault_ms;
  At(end, [this] {
    Heal();
    faults_on_ = false;
    for (auto& [id, r] : replicas_) {
      r->disk_slow_until = 0;
      if (!r->up) Start(*r);
    }
  });
  At(end + c_.settle_ms - 3000, [this] { writes_on_ = false; });
}

void World::CheckFinal() {
  const Replica* leader = nullptr;
  for (auto& [id, r] : replicas_) {
    if (r->up && r->peer->state() == zab::PeerState::kLeading && r->peer->serving()) {
      leader = r.get();
    }
  }
  if (!leader) {
    Fail("no serving leader after the faults healed");
    return;
  }
  for (auto& [id, r] : replicas_) {
    if (!r->peer->serving()) Fail("replica " + std::to_string(id) + " not serving at the end");
    if (r->state != leader->state) {
      Fail("replica " + std::to_string(id) + " ended with a different state (" +
           std::to_string(r->state.size()) + " vs " + std::to_string(leader->state.size()) +
           " entries)");
    }
    if (r->peer->sync_conflicts() != 0) Fail("a learner was sent a sync it could not apply");
  }
  std::set<int64_t> have;
  for (const auto& [z, v] : leader->state) {
    have.insert(z);
    final_values_.insert(v);
  }
  for (const auto& [v, z] : acked_) {
    if (!have.count(z)) Fail("acknowledged write " + v + " at " + base::Hex(z) + " was lost");
  }
  if (acked_.empty()) Fail("no write was acknowledged");
}

SimResult World::Run() {
  for (auto& [id, r] : replicas_) Start(*r);
  ScheduleFaults();
  At(Rand(1, 20), [this] { Submit(); });
  if (c_.reads) At(Rand(1, 20), [this] { Read(); });
  int64_t end = c_.fault_ms + c_.settle_ms;
  while (!events_.empty() && result_.ok) {
    Event e = events_.top();
    if (e.t > end) break;
    events_.pop();
    now_ = e.t;
    e.fn();
  }
  if (result_.ok) CheckFinal();
  if (c_.reads && (result_.ok || (c_.local_reads && !final_values_.empty()))) CheckHistory();
  result_.acked_writes = static_cast<int64_t>(acked_.size());
  return result_;
}

}  // namespace

SimResult RunSimulation(const SimConfig& config) { return World(config).Run(); }

}  // namespace caucus::sim
