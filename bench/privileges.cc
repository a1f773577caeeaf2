#include "bench/privileges.h"

#include "testing/host_probe.h"

namespace sbx_bench {
namespace {

std::optional<std::string> Probe() {
  // The harness's probe, as the tests and fuzzers skip by (the library's own is measured).
  std::string why = sbx::testing::RootUnavailableReason();
  if (why.empty()) why = sbx::testing::UserNamespaceUnavailableReason();
  if (why.empty()) return std::nullopt;
  return why;
}

}  // namespace

const std::optional<std::string>& WhyNoSandbox() {
  static const std::optional<std::string> why = Probe();
  return why;
}

}  // namespace sbx_bench
