// CAUCUS_ASSERT / CAUCUS_PANIC: broken invariants stop the process, in release builds too.
// A server that keeps running after its state is known to be wrong could serve or persist
// wrong data; stopping loudly is the safe failure.
#pragma once

namespace caucus::base {
[[noreturn]] void Panic(const char* file, int line, const char* what);
}  // namespace caucus::base

#define CAUCUS_PANIC(what) ::caucus::base::Panic(__FILE__, __LINE__, what)
#define CAUCUS_ASSERT(cond)                                         \
  do {                                                              \
    if (!(cond)) ::caucus::base::Panic(__FILE__, __LINE__, #cond);  \
  } while (0)
