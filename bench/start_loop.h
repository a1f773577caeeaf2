// The timed loop every benchmark shares: start one sandbox per iteration with the chosen
// implementation, time it from the call to the release (manual time), and report the mean
// latency and the mean of each phase as counters.
#pragma once

#include <benchmark/benchmark.h>

#include <string_view>

#include "bench/sample.h"

namespace sbx_bench {

enum class Impl { kFloor, kLix, kFast };

inline constexpr Impl kImpls[] = {Impl::kFloor, Impl::kLix, Impl::kFast};

std::string_view ImplName(Impl impl);

// Whether `impl` can start a sandbox with exactly these namespace flags.
bool ImplSupports(Impl impl, int ns_flags);

// Starts, releases and reaps one sandbox.
StartSample StartOnce(Impl impl, int ns_flags);

// Runs the benchmark loop; on any error (no privileges, a failed start) skips the benchmark
// with the reason.
void RunStartLoop(benchmark::State& state, Impl impl, int ns_flags);

}  // namespace sbx_bench
