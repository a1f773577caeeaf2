// The timed loop every benchmark shares: start one sandbox per iteration with the chosen
// implementation, time it from the clone to the release (manual time, the first headline),
// and report the mean of that, of the call to the release (the second) and of each phase as
// counters.
#pragma once

#include <benchmark/benchmark.h>

#include <string_view>

#include "sandbox/start/phase_timings.h"

namespace sbx_bench {

// The floors (bench/floor_start.h) and StartChild's two modes. kFloorWhole, the floor of the
// call-to-release headline, runs in the flags family's seed case only.
enum class Impl { kFloor, kFloorWhole, kLix, kFast };

inline constexpr Impl kImpls[] = {Impl::kFloor, Impl::kLix, Impl::kFast};

std::string_view ImplName(Impl impl);

// Whether `impl` can start a sandbox with exactly these namespace flags.
bool ImplSupports(Impl impl, int ns_flags);

// Starts, releases and reaps one sandbox.
sbx::PhaseTimings StartOnce(Impl impl, int ns_flags);

// Runs the benchmark loop; on any error (no privileges, a failed start) skips the benchmark
// with the reason.
void RunStartLoop(benchmark::State& state, Impl impl, int ns_flags);

}  // namespace sbx_bench
