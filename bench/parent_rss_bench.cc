// Latency by the parent's resident size. The seed forks the parent (page tables and all), so
// its start grows with the parent; a start that does not fork must stay flat.
#include <exception>
#include <string>

#include "bench/ns_flags.h"
#include "bench/parent_ballast.h"
#include "bench/registry.h"
#include "bench/start_loop.h"

namespace sbx_bench {

void RegisterParentRssBenchmarks() {
  // Size-major order: each ballast is built once and all implementations run against it.
  for (int mib : {16, 256, 1024, 4096}) {
    for (Impl impl : kImpls) {
      const std::string name =
          "parent_rss/" + std::string(ImplName(impl)) + "/" + std::to_string(mib);
      benchmark::RegisterBenchmark(name.c_str(),
                                   [impl, mib](benchmark::State& state) {
                                     try {
                                       SetParentResidentMib(mib);
                                     } catch (const std::exception& e) {
                                       return state.SkipWithError(e.what());
                                     }
                                     RunStartLoop(state, impl, kSeedFlags);
                                     state.counters["parent_rss_mib"] = ResidentMib();
                                   })
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace sbx_bench
