// Latency when several threads start sandboxes at once (a daemon running parallel builds):
// the kernel's namespace creation takes shared locks, so the latency each starter sees grows.
#include <string>

#include "bench/ns_flags.h"
#include "bench/parent_ballast.h"
#include "bench/registry.h"
#include "bench/start_loop.h"

namespace sbx_bench {

void RegisterThreadsBenchmarks() {
  for (Impl impl : kImpls) {
    const std::string name = "threads/" + std::string(ImplName(impl));
    benchmark::RegisterBenchmark(name.c_str(),
                                 [impl](benchmark::State& state) {
                                   if (state.thread_index() == 0) SetParentResidentMib(0);
                                   RunStartLoop(state, impl, kSeedFlags);
                                 })
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond)
        ->Threads(1)
        ->Threads(2)
        ->Threads(4)
        ->Threads(8);
  }
}

}  // namespace sbx_bench
