// Stand-in for start_child_start.cc while //sandbox:start_child is not built
// (--define sbx_start_child=pending): the lix and fast benchmarks skip with this reason.
#include <stdexcept>

#include "bench/ns_flags.h"
#include "bench/start_child_start.h"

namespace sbx_bench {

bool StartChildSupports(int ns_flags) {
  constexpr int kAlwaysOn = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS;
  return (ns_flags & kAlwaysOn) == kAlwaysOn && (ns_flags & ~kSeedFlags) == 0;
}

StartSample StartChildStart(Mode, int) {
  throw std::runtime_error("pending: built without //sandbox:start_child");
}

}  // namespace sbx_bench
