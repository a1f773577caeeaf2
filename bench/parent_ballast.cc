#include "bench/parent_ballast.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

namespace sbx_bench {
namespace {

void* g_ballast = nullptr;
size_t g_bytes = 0;
size_t g_target_mib = 0;

void Free() {
  if (g_ballast != nullptr) munmap(g_ballast, g_bytes);
  g_ballast = nullptr;
  g_bytes = 0;
}

}  // namespace

double ResidentMib() {
  long pages_total = 0, pages_resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  if (std::fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2) pages_resident = 0;
  std::fclose(f);
  return static_cast<double>(pages_resident) * sysconf(_SC_PAGESIZE) / (1024.0 * 1024.0);
}

void SetParentResidentMib(size_t mib) {
  if (mib == g_target_mib) return;
  Free();
  g_target_mib = mib;
  if (mib == 0) return;
  const double have = ResidentMib();
  if (have >= static_cast<double>(mib)) return;
  const size_t page = sysconf(_SC_PAGESIZE);
  g_bytes = (static_cast<size_t>((mib - have) * 1024 * 1024) + page - 1) / page * page;
  g_ballast = mmap(nullptr, g_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (g_ballast == MAP_FAILED) {
    g_ballast = nullptr;
    throw std::system_error(errno, std::generic_category(), "mmap ballast");
  }
  // Small pages: with huge pages a 4 GiB parent has only 2048 entries to copy, which is not
  // what a daemon's fragmented heap looks like.
  madvise(g_ballast, g_bytes, MADV_NOHUGEPAGE);
  auto* bytes = static_cast<volatile char*>(g_ballast);
  for (size_t off = 0; off < g_bytes; off += page) bytes[off] = 1;
}

}  // namespace sbx_bench
