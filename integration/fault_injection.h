// The harness of the fault_injection_test cases (fault_injection_test.cc): one start under
// armed faults and what it left, an outcome to hold it to, and the configurations each mode
// is faulted in.
#pragma once

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

#include "sandbox/base/sys_error.h"
#include "sandbox/base/syscalls.h"
#include "sandbox/start/start_child.h"
#include "testing/util.h"

namespace sbx::faults {

using sys::FaultScope;

inline constexpr int kAnyErrno = ENOTRECOVERABLE;  // an errno no branch of the start expects

// A start's outcome: it fails with the injected errno and a step matching `step`, or (step
// empty) it succeeds, for the reason given, and the builder runs.
struct Outcome {
  std::string step;
  std::string harmless_because;
};

inline Outcome Fails(std::string step) { return {std::move(step), ""}; }
inline Outcome Harmless(std::string why) { return {"", std::move(why)}; }

// One start under the armed faults: what happened, and what it left.
struct StartRun {
  bool failed = false;
  SysError error{"", 0};
  std::string clone_path;
  int pidfd = -1;
  std::vector<std::string> trace;  // numbered
  std::string user_code;           // what the builder's main wrote: "ran" or ""
};

class FaultInjectionTest : public ::testing::TestWithParam<StartMode> {
 protected:
  void SetUp() override {
    const std::string why = testing::UserNamespaceUnavailableReason();
    if (!why.empty()) GTEST_SKIP() << why;
  }
  void TearDown() override { sys::FailNthCall(0, 0); }

  // Starts once with the faults armed (first at `nth`, then at `also`, if not 0).
  StartRun Start(const StartConfig& config, const OpenSlave& slave, FaultScope scope, int nth,
                 int error, int also = 0, int also_error = 0);
};

// A run for a failure message: its outcome and its numbered calls.
std::string Show(const StartRun& run);

// Checks a run against an outcome for the call that failed with `error`.
void Expect(const StartRun& run, const Outcome& outcome, int error, const std::string& call);

// The configurations a mode is faulted in: with a slave to open or not (in fast mode that
// brings in the launcher), and with a root and a cgroup (fast: clone3 into the cgroup, and
// the clone fallback).
struct FaultSetup {
  std::string name;
  StartConfig config;
  OpenSlave slave;
};

// A sandbox root (/tmp/sbx-faults-root-*) and, where this user may make one, a cgroup
// (sbx-faults-PID), removed at the end.
class Scratch {
 public:
  Scratch();
  ~Scratch();
  const std::string& root() const { return root_; }
  const std::string& cgroup() const { return cgroup_; }

 private:
  std::string root_, cgroup_;
};

std::vector<FaultSetup> Setups(StartMode mode, const Scratch& scratch);

// Fast mode with a launcher process: the caller's clone starts the launcher, not the builder.
bool UsesLauncher(StartMode mode, const FaultSetup& setup);

inline constexpr FaultScope kScopes[] = {FaultScope::kCallerOnly, FaultScope::kHelpersOnly};

}  // namespace sbx::faults
