#include "bench/start_loop.h"

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
    case Impl::kLix:
      return "lix";
    case Impl::kFast:
      return "fast";
  }
  return "?";
}

bool ImplSupports(Impl impl, int ns_flags) {
  return impl == Impl::kFloor || StartChildSupports(ns_flags);
}

StartSample StartOnce(Impl impl, int ns_flags) {
  switch (impl) {
    case Impl::kFloor:
      return FloorStart(ns_flags);
    case Impl::kLix:
      return StartChildStart(Mode::kLix, ns_flags);
    case Impl::kFast:
      return StartChildStart(Mode::kFast, ns_flags);
  }
  return {};
}

void RunStartLoop(benchmark::State& state, Impl impl, int ns_flags) {
  if (const auto& why = WhyNoSandbox()) {
    state.SkipWithError(why->c_str());
    return;
  }
  double latency_us = 0;
  double outside_us = 0;
  Phases sum;
  try {
    for (auto _ : state) {
      StartSample s = StartOnce(impl, ns_flags);
      state.SetIterationTime(s.latency_s);
      latency_us += s.latency_s * 1e6;
      const Phases& p = s.phases;
      outside_us += s.latency_s * 1e6 -
                    (p.clone_us + p.maps_us + p.files_us + p.nsfds_us + p.cgroup_us + p.release_us);
      sum.clone_us += p.clone_us;
      sum.maps_us += p.maps_us;
      sum.files_us += p.files_us;
      sum.nsfds_us += p.nsfds_us;
      sum.cgroup_us += p.cgroup_us;
      sum.release_us += p.release_us;
    }
  } catch (const std::exception& e) {
    const std::string message = std::string(ImplName(impl)) + ": " + e.what();
    state.SkipWithError(message.c_str());
    return;
  }
  // Summed over threads, then divided by all their iterations: means per start.
  using benchmark::Counter;
  state.counters["latency_us"] = Counter(latency_us, Counter::kAvgIterations);
  state.counters["clone_us"] = Counter(sum.clone_us, Counter::kAvgIterations);
  state.counters["maps_us"] = Counter(sum.maps_us, Counter::kAvgIterations);
  state.counters["files_us"] = Counter(sum.files_us, Counter::kAvgIterations);
  state.counters["nsfds_us"] = Counter(sum.nsfds_us, Counter::kAvgIterations);
  state.counters["cgroup_us"] = Counter(sum.cgroup_us, Counter::kAvgIterations);
  state.counters["release_us"] = Counter(sum.release_us, Counter::kAvgIterations);
  // Time in the call outside every phase the implementation reports: its setup before the
  // clone (identity, etc files, pipes, stacks) and handing back the Child.
  state.counters["outside_phases_us"] = Counter(outside_us, Counter::kAvgIterations);
}

}  // namespace sbx_bench
