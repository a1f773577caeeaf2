#include "bench/privileges.h"

#include <unistd.h>

#include "sandbox/start/userns_probe.h"

namespace sbx_bench {
namespace {

std::optional<std::string> Probe() {
  if (geteuid() != 0) return "needs root (euid " + std::to_string(geteuid()) + ")";
  // The library's own probe: it tries a clone, as Lix does (sysctls do not tell the whole
  // story: seccomp, LSMs).
  const sbx::UserNamespaceSupport& support = sbx::ProbeUserNamespaces();
  if (!support.works) return "user namespaces unavailable: " + support.diagnostics;
  return std::nullopt;
}

}  // namespace

const std::optional<std::string>& WhyNoSandbox() {
  static const std::optional<std::string> why = Probe();
  return why;
}

}  // namespace sbx_bench
