// An implementation over its floor, start by start: each iteration starts one of each back
// to back, in alternating order, and takes the ratio of the two. A load that changes more
// slowly than a pair of starts (about a millisecond) hits both alike, so the median of these
// ratios moves far less from run to run on a shared machine than the ratio of two
// benchmarks' means does. The regression check compares these (docs/benchmarks.md).
#include <algorithm>
#include <exception>
#include <string>
#include <vector>

#include "bench/ns_flags.h"
#include "bench/parent_ballast.h"
#include "bench/privileges.h"
#include "bench/registry.h"
#include "bench/start_loop.h"

namespace sbx_bench {
namespace {

// Which headline a pair compares.
enum class Headline { kCloneToRelease, kCallToRelease };

double Micros(const sbx::PhaseTimings& t, Headline headline) {
  return static_cast<double>(headline == Headline::kCloneToRelease ? t.clone_to_release_us
                                                                   : t.call_to_release_us);
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  auto middle = values.begin() + values.size() / 2;
  std::nth_element(values.begin(), middle, values.end());
  return *middle;
}

void RunPairedLoop(benchmark::State& state, Impl impl, Impl floor, Headline headline) {
  if (const auto& why = WhyNoSandbox()) {
    state.SkipWithError(why->c_str());
    return;
  }
  std::vector<double> ratios;
  double impl_sum = 0, floor_sum = 0;
  try {
    bool floor_first = false;
    for (auto _ : state) {
      floor_first = !floor_first;
      sbx::PhaseTimings f, i;
      if (floor_first) f = StartOnce(floor, kSeedFlags);
      i = StartOnce(impl, kSeedFlags);
      if (!floor_first) f = StartOnce(floor, kSeedFlags);
      const double impl_us = Micros(i, headline), floor_us = Micros(f, headline);
      state.SetIterationTime(impl_us * 1e-6);
      impl_sum += impl_us;
      floor_sum += floor_us;
      if (floor_us > 0) ratios.push_back(impl_us / floor_us);
    }
  } catch (const std::exception& e) {
    const std::string message = std::string(ImplName(impl)) + ": " + e.what();
    state.SkipWithError(message.c_str());
    return;
  }
  using benchmark::Counter;
  state.counters["pair_ratio"] = Median(ratios);
  state.counters["latency_us"] = Counter(impl_sum, Counter::kAvgIterations);
  state.counters["floor_latency_us"] = Counter(floor_sum, Counter::kAvgIterations);
}

}  // namespace

void RegisterPairedBenchmarks() {
  struct Pair {
    Impl impl, floor;
    Headline headline;
  };
  for (const Pair& pair : {Pair{Impl::kFast, Impl::kFloor, Headline::kCloneToRelease},
                           Pair{Impl::kFast, Impl::kFloorWhole, Headline::kCallToRelease},
                           Pair{Impl::kLix, Impl::kFloor, Headline::kCloneToRelease}}) {
    const std::string name =
        "paired/" + std::string(ImplName(pair.impl)) + "/" + std::string(ImplName(pair.floor));
    benchmark::RegisterBenchmark(name.c_str(),
                                 [pair](benchmark::State& state) {
                                   SetParentResidentMib(0);
                                   RunPairedLoop(state, pair.impl, pair.floor, pair.headline);
                                 })
        ->UseManualTime()
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace sbx_bench
