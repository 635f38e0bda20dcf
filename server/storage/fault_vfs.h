// FaultVfs: an SQLite VFS that wraps the default one and fails writes or fsyncs on demand,
// or slows them down, so that disk-full and I/O-error handling can be tested
// deterministically. Used by tests; production never registers it.
//
// Thread-safety: the switches are atomics, safe to flip while the storage thread writes.
#pragma once

#include <atomic>
#include <cstdint>

namespace caucus::storage {

struct FaultSwitches {
  std::atomic<bool> fail_writes{false};  // xWrite returns SQLITE_FULL
  std::atomic<bool> fail_syncs{false};   // xSync returns SQLITE_IOERR_FSYNC
  std::atomic<int> sync_delay_ms{0};     // each xSync sleeps this long (a slow disk)
  std::atomic<int64_t> writes{0};        // counters, for assertions
  std::atomic<int64_t> syncs{0};
};

// Registers (once) a VFS named "caucus-fault" controlled by `switches`, which must outlive
// every database opened with it. Returns the VFS name to pass to SqliteLog::Open.
const char* RegisterFaultVfs(FaultSwitches* switches);

}  // namespace caucus::storage
