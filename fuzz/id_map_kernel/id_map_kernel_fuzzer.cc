// Differential fuzzer: the same bytes go to the kernel-exact validator and, as one write, to
// /proc/PID/uid_map of a fresh user namespace (root of the initial namespace writing).
// Verdict, errno and extents must agree. Without root or user namespaces it prints
// "SKIPPED: why" and exits 0 (the regression test reports that as a skip).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz/id_map_kernel/userns_child.h"
#include "sandbox/id_map.h"
#include "sandbox/id_map_kernel_rules.h"
#include "fuzz/print_input.h"

namespace {

// Up to this many extents the kernel keeps (and shows) them in input order; beyond, sorted
// by inside id (UID_GID_MAP_MAX_BASE_EXTENTS in include/linux/user_namespace.h).
constexpr size_t kMaxBaseExtents = 5;

[[noreturn]] void Disagree(const char* what, std::string_view input, const sbx::MapVerdict& v,
                           const sbx_fuzz::UsernsChild::WriteResult& k) {
  std::fprintf(stderr, "id_map_kernel: validator and kernel disagree: %s\n", what);
  std::fprintf(stderr, "validator: %s (errno %d) %s\n%s\n", v.accepted ? "accepted" : "rejected",
               v.error_number, v.reason.c_str(), sbx::FormatIdMap(v.extents).c_str());
  std::fprintf(stderr, "kernel:    %s (errno %d: %s)\n%s\n", k.accepted ? "accepted" : "rejected",
               k.error_number, std::strerror(k.error_number), sbx::FormatIdMap(k.extents).c_str());
  sbx::fuzz::PrintInput(input);
  __builtin_trap();
}

sbx_fuzz::UsernsChild* child = nullptr;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (std::optional<std::string> why = sbx_fuzz::UsernsUnavailableReason()) {
    std::printf("SKIPPED: id_map_kernel needs root in the initial user namespace: %s\n",
                why->c_str());
    std::fflush(stdout);
    std::exit(0);
  }
  child = new sbx_fuzz::UsernsChild();  // lives as long as the process
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  sbx::MapVerdict verdict = sbx::CheckMapWrite(input, sbx::MapKind::kUid, sbx::MapWriter{});
  sbx_fuzz::UsernsChild::WriteResult kernel = child->WriteUidMap(input);

  if (verdict.accepted != kernel.accepted) Disagree("verdict", input, verdict, kernel);
  if (!verdict.accepted) {
    if (verdict.error_number != kernel.error_number) Disagree("errno", input, verdict, kernel);
    return 0;
  }
  sbx::IdMap expected = verdict.extents;
  if (expected.size() > kMaxBaseExtents) {
    std::sort(expected.begin(), expected.end(),
              [](const sbx::IdExtent& a, const sbx::IdExtent& b) { return a.inside < b.inside; });
  }
  if (expected != kernel.extents) Disagree("extents", input, verdict, kernel);
  return 0;
}
