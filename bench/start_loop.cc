#include "bench/start_loop.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <exception>
#include <string>

#include "bench/floor_start.h"
#include "bench/privileges.h"
#include "bench/start_child_start.h"

namespace sbx_bench {

std::string_view ImplName(Impl impl) {
  switch (impl) {
    case Impl::kFloor:
      return "floor";
    case Impl::kFloorWhole:
      return "floor_whole";
    case Impl::kLix:
      return "lix";
    case Impl::kFast:
      return "fast";
  }
  return "?";
}

bool ImplSupports(Impl impl, int ns_flags) {
  return impl == Impl::kFloor || impl == Impl::kFloorWhole || StartChildSupports(ns_flags);
}

sbx::PhaseTimings StartOnce(Impl impl, int ns_flags) {
  switch (impl) {
    case Impl::kFloor:
      return FloorStart(ns_flags, FloorWork::kBare);
    case Impl::kFloorWhole:
      return FloorStart(ns_flags, FloorWork::kWholeStart);
    case Impl::kLix:
      return StartChildStart(sbx::StartMode::kLix, ns_flags);
    case Impl::kFast:
      return StartChildStart(sbx::StartMode::kFast, ns_flags);
  }
  return {};
}

constexpr int64_t sbx::PhaseTimings::*kSummedFields[] = {
    &sbx::PhaseTimings::setup_us,          &sbx::PhaseTimings::clone_us,
    &sbx::PhaseTimings::maps_us,           &sbx::PhaseTimings::files_us,
    &sbx::PhaseTimings::nsfds_us,          &sbx::PhaseTimings::cgroup_us,
    &sbx::PhaseTimings::release_us,        &sbx::PhaseTimings::clone_to_release_us,
    &sbx::PhaseTimings::call_to_release_us};

void RunStartLoop(benchmark::State& state, Impl impl, int ns_flags) {
  if (const auto& why = WhyNoSandbox()) {
    state.SkipWithError(why->c_str());
    return;
  }
  // Sums over the iterations, in microseconds, and the fastest start of each headline.
  sbx::PhaseTimings sum;
  int64_t min_clone_to_release = INT64_MAX, min_call_to_release = INT64_MAX;
  try {
    for (auto _ : state) {
      const sbx::PhaseTimings t = StartOnce(impl, ns_flags);
      state.SetIterationTime(static_cast<double>(t.clone_to_release_us) * 1e-6);
      for (auto field : kSummedFields) sum.*field += t.*field;
      min_clone_to_release = std::min(min_clone_to_release, t.clone_to_release_us);
      min_call_to_release = std::min(min_call_to_release, t.call_to_release_us);
    }
  } catch (const std::exception& e) {
    const std::string message = std::string(ImplName(impl)) + ": " + e.what();
    state.SkipWithError(message.c_str());
    return;
  }
  // Summed over threads, then divided by all their iterations: means per start.
  using benchmark::Counter;
  auto mean = [](int64_t total) {
    return Counter(static_cast<double>(total), Counter::kAvgIterations);
  };
  state.counters["latency_us"] = mean(sum.clone_to_release_us);
  state.counters["call_to_release_us"] = mean(sum.call_to_release_us);
  state.counters["setup_us"] = mean(sum.setup_us);
  state.counters["clone_us"] = mean(sum.clone_us);
  state.counters["maps_us"] = mean(sum.maps_us);
  state.counters["files_us"] = mean(sum.files_us);
  state.counters["nsfds_us"] = mean(sum.nsfds_us);
  state.counters["cgroup_us"] = mean(sum.cgroup_us);
  state.counters["release_us"] = mean(sum.release_us);
  // The fastest start of this repetition: what the start costs when the shared machine
  // lets it run undisturbed. The regression check compares these (docs/benchmarks.md): a
  // load that slows some starts moves them far less than it moves the means. Averaged, not
  // summed, over threads.
  state.counters["min_latency_us"] =
      Counter(static_cast<double>(min_clone_to_release), Counter::kAvgThreads);
  state.counters["min_call_to_release_us"] =
      Counter(static_cast<double>(min_call_to_release), Counter::kAvgThreads);
  // Time in the call outside every phase the implementation reports: handing back the
  // Child, rounding.
  state.counters["outside_phases_us"] =
      mean(sum.call_to_release_us - (sum.setup_us + sum.clone_us + sum.maps_us + sum.files_us +
                                     sum.nsfds_us + sum.cgroup_us + sum.release_us));
}

}  // namespace sbx_bench
