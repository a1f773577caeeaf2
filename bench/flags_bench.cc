// Latency by namespace flag: each CLONE_NEW* alone and the seed's set. No public table of
// what each namespace costs exists; the docs publish this one.
#include <iterator>
#include <string>
#include <vector>

#include "bench/ns_flags.h"
#include "bench/parent_ballast.h"
#include "bench/registry.h"
#include "bench/start_loop.h"

namespace sbx_bench {

void RegisterFlagsBenchmarks() {
  for (const FlagSet& set : kFlagSets) {
    std::vector<Impl> impls(std::begin(kImpls), std::end(kImpls));
    // The floor of the call-to-release headline, for the headline's case.
    if (set.flags == kSeedFlags) impls.insert(impls.begin() + 1, Impl::kFloorWhole);
    for (Impl impl : impls) {
      if (!ImplSupports(impl, set.flags)) continue;
      const std::string name = "flags/" + std::string(ImplName(impl)) + "/" + std::string(set.name);
      benchmark::RegisterBenchmark(name.c_str(),
                                   [impl, flags = set.flags](benchmark::State& state) {
                                     SetParentResidentMib(0);
                                     RunStartLoop(state, impl, flags);
                                   })
          ->UseManualTime()
          ->Unit(benchmark::kMicrosecond);
    }
  }
}

}  // namespace sbx_bench
