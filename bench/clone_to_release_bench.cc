// The clone-to-release benchmark binary: every family against the raw floor, in one process
// so ratios compare numbers taken on the same machine at the same time.
#include <benchmark/benchmark.h>

#include "bench/registry.h"

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  sbx_bench::RegisterFlagsBenchmarks();
  sbx_bench::RegisterThreadsBenchmarks();
  sbx_bench::RegisterPairedBenchmarks();
  sbx_bench::RegisterChurnBenchmarks();
  sbx_bench::RegisterParentRssBenchmarks();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
