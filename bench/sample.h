// One measured sandbox start: the latency the parent saw from the call to the release, and
// where that time went, phase by phase.
#pragma once

namespace sbx_bench {

struct Phases {
  double clone_us = 0;
  double maps_us = 0;
  double files_us = 0;
  double nsfds_us = 0;
  double cgroup_us = 0;
  double release_us = 0;
};

struct StartSample {
  double latency_s = 0;  // from the call until the release was written
  Phases phases;
};

}  // namespace sbx_bench
