// A command run in a sandbox, the whole of `sbx run` as a library call: plan (every refusal,
// before anything exists), prepare the root and the build dir, start, supervise (SIGINT,
// SIGTERM and SIGHUP end the run as a finished one ends; the cgroup; a guard that removes
// what was made should this process be SIGKILLed), wait, remove what was made.
//
// The benchmarks, the integration tests and the conformance adapter (through `sbx run`) run
// their commands through it, so that what they measure and judge is what users run.
//
// A process runs one sandbox at a time (the signal handlers and the guard are its own), and
// its main() must begin with LeftoverCleanupRequested (leftover_guard.h): the guard of a
// killed run execs this same program to remove what the run made.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>

#include "sandbox/base/sys_error.h"
#include "sandbox/rules/start_config.h"
#include "sandbox/start/phase_timings.h"

namespace sbx {

// Known right after the release, before the command's end.
struct StartedRun {
  pid_t builder = -1;
  PhaseTimings timings;
  const char* clone_path = "";      // "clone3" or "clone" (Child::clone_path)
  const char* read_only_path = "";  // "mount_setattr" or "remount" (SandboxRoot)
  const char* root_kind = "";       // "tmpfs", "directory" or "given" (SandboxRoot::kind)
  std::string root;                 // the sandbox root on the host; "" for a private tmpfs
  std::string build_dir;            // the host build dir's TOP; "" for a tmpfs one
};

// The phases in microseconds and the paths taken, as one JSON line (`sbx run --timing`).
std::string TimingsJson(const StartedRun& started);

struct RunResult {
  // As env(1) and chroot(1) give it: the command's exit status, 128+N for a signal N (the
  // command's, or one that ended the run), 125 when the sandbox could not be set up, 126
  // when the command could not be run, 127 when it was not found.
  int exit_code = 0;
  // Why the command never ran, when the builder failed after release (before exec).
  std::optional<SysError> builder_error;
};

// Runs config.start.command (not empty) in a sandbox. Throws SysError for whatever fails
// before the builder is released (nothing is left behind); `on_started` hears the start.
RunResult RunInSandbox(const RunConfig& config,
                       const std::function<void(const StartedRun&)>& on_started = nullptr);

}  // namespace sbx
