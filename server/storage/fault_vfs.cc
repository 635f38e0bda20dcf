#include "server/storage/fault_vfs.h"

#include <sqlite3.h>

#include <chrono>
#include <cstring>
#include <thread>

namespace caucus::storage {
namespace {

constexpr const char* kName = "caucus-fault";

struct FaultFile {
  sqlite3_file base;      // must be first: SQLite sees this struct as an sqlite3_file
  sqlite3_file* real;     // the wrapped file, allocated right after this struct
  FaultSwitches* sw;
};

// SQLite's VFS registry is process-wide, so the registered VFS (and the switches it reads)
// are too; only tests register it.
sqlite3_vfs g_vfs;
sqlite3_io_methods g_methods;
FaultSwitches* g_switches = nullptr;

FaultFile* F(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f); }
sqlite3_vfs* Real() { return static_cast<sqlite3_vfs*>(g_vfs.pAppData); }

int Close(sqlite3_file* f) { return F(f)->real->pMethods ? F(f)->real->pMethods->xClose(F(f)->real) : SQLITE_OK; }
int Read(sqlite3_file* f, void* b, int n, sqlite3_int64 o) { return F(f)->real->pMethods->xRead(F(f)->real, b, n, o); }
int Write(sqlite3_file* f, const void* b, int n, sqlite3_int64 o) {
  F(f)->sw->writes++;
  if (F(f)->sw->fail_writes) return SQLITE_FULL;
  return F(f)->real->pMethods->xWrite(F(f)->real, b, n, o);
}
int Truncate(sqlite3_file* f, sqlite3_int64 s) { return F(f)->real->pMethods->xTruncate(F(f)->real, s); }
int Sync(sqlite3_file* f, int flags) {
  F(f)->sw->syncs++;
  if (int ms = F(f)->sw->sync_delay_ms; ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  if (F(f)->sw->fail_syncs) return SQLITE_IOERR_FSYNC;
  return F(f)->real->pMethods->xSync(F(f)->real, flags);
}
int FileSize(sqlite3_file* f, sqlite3_int64* s) { return F(f)->real->pMethods->xFileSize(F(f)->real, s); }
int Lock(sqlite3_file* f, int l) { return F(f)->real->pMethods->xLock(F(f)->real, l); }
int Unlock(sqlite3_file* f, int l) { return F(f)->real->pMethods->xUnlock(F(f)->real, l); }
int CheckReserved(sqlite3_file* f, int* r) { return F(f)->real->pMethods->xCheckReservedLock(F(f)->real, r); }
int FileControl(sqlite3_file* f, int op, void* a) { return F(f)->real->pMethods->xFileControl(F(f)->real, op, a); }
int SectorSize(sqlite3_file* f) { return F(f)->real->pMethods->xSectorSize(F(f)->real); }
int DeviceCharacteristics(sqlite3_file* f) { return F(f)->real->pMethods->xDeviceCharacteristics(F(f)->real); }
int ShmMap(sqlite3_file* f, int i, int sz, int e, void volatile** p) { return F(f)->real->pMethods->xShmMap(F(f)->real, i, sz, e, p); }
int ShmLock(sqlite3_file* f, int o, int n, int fl) { return F(f)->real->pMethods->xShmLock(F(f)->real, o, n, fl); }
void ShmBarrier(sqlite3_file* f) { F(f)->real->pMethods->xShmBarrier(F(f)->real); }
int ShmUnmap(sqlite3_file* f, int d) { return F(f)->real->pMethods->xShmUnmap(F(f)->real, d); }

int Open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  FaultFile* ff = F(file);
  ff->real = reinterpret_cast<sqlite3_file*>(ff + 1);
  ff->sw = g_switches;
  file->pMethods = nullptr;
  int rc = Real()->xOpen(Real(), name, ff->real, flags, out_flags);
  if (rc == SQLITE_OK && ff->real->pMethods) file->pMethods = &g_methods;
  return rc;
}

int Delete(sqlite3_vfs*, const char* n, int d) { return Real()->xDelete(Real(), n, d); }
int Access(sqlite3_vfs*, const char* n, int f, int* r) { return Real()->xAccess(Real(), n, f, r); }
int FullPathname(sqlite3_vfs*, const char* n, int sz, char* out) {
  return Real()->xFullPathname(Real(), n, sz, out);
}
int Randomness(sqlite3_vfs*, int n, char* out) { return Real()->xRandomness(Real(), n, out); }
int SleepUs(sqlite3_vfs*, int us) { return Real()->xSleep(Real(), us); }
int CurrentTime(sqlite3_vfs*, double* t) { return Real()->xCurrentTime(Real(), t); }
int GetLastError(sqlite3_vfs*, int n, char* b) { return Real()->xGetLastError(Real(), n, b); }
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* t) {
  return Real()->xCurrentTimeInt64(Real(), t);
}

}  // namespace

const char* RegisterFaultVfs(FaultSwitches* switches) {
  g_switches = switches;
  if (g_vfs.zName) return kName;
  sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
  g_methods = sqlite3_io_methods{2,        Close,     Read,        Write,         Truncate,
                                 Sync,     FileSize,  Lock,        Unlock,        CheckReserved,
                                 FileControl, SectorSize, DeviceCharacteristics, ShmMap, ShmLock,
                                 ShmBarrier, ShmUnmap, nullptr, nullptr};
  g_vfs = sqlite3_vfs{};
  g_vfs.iVersion = 2;
  g_vfs.szOsFile = static_cast<int>(sizeof(FaultFile)) + real->szOsFile;
  g_vfs.mxPathname = real->mxPathname;
  g_vfs.zName = kName;
  g_vfs.pAppData = real;
  g_vfs.xOpen = Open;
  g_vfs.xDelete = Delete;
  g_vfs.xAccess = Access;
  g_vfs.xFullPathname = FullPathname;
  g_vfs.xDlOpen = nullptr;
  g_vfs.xDlError = nullptr;
  g_vfs.xDlSym = nullptr;
  g_vfs.xDlClose = nullptr;
  g_vfs.xRandomness = Randomness;
  g_vfs.xSleep = SleepUs;
  g_vfs.xCurrentTime = CurrentTime;
  g_vfs.xGetLastError = GetLastError;
  g_vfs.xCurrentTimeInt64 = CurrentTimeInt64;
  sqlite3_vfs_register(&g_vfs, 0);
  return kName;
}

}  // namespace caucus::storage
