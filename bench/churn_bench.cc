// Latency with and without network namespaces being created and destroyed in the background.
#include <chrono>
#include <string>

#include "bench/netns_churn.h"
#include "bench/ns_flags.h"
#include "bench/parent_ballast.h"
#include "bench/registry.h"
#include "bench/start_loop.h"

namespace sbx_bench {

void RegisterChurnBenchmarks() {
  for (bool churn : {false, true}) {
    for (Impl impl : kImpls) {
      const std::string name =
          "churn/" + std::string(ImplName(impl)) + "/" + (churn ? "on" : "off");
      benchmark::RegisterBenchmark(
          name.c_str(),
          [impl, churn](benchmark::State& state) {
            SetParentResidentMib(0);
            if (!churn) return RunStartLoop(state, impl, kSeedFlags);
            const auto begin = std::chrono::steady_clock::now();
            NetnsChurn background;
            RunStartLoop(state, impl, kSeedFlags);
            const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - begin;
            // How hard the background worked: namespaces created per second.
            state.counters["churn_netns_per_s"] =
                static_cast<double>(background.created()) / elapsed.count();
            if (!background.error().empty()) state.SkipWithError(background.error().c_str());
          })
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace sbx_bench
