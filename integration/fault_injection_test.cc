// Fault injection that sees everything (issue 25): every seam call of a start is failed in
// turn, in the caller and in the processes it makes, and the outcome is held to a table.
// A call either surfaces (the start fails with the errno given and the step that call
// belongs to) or is listed, with its reason, as one that may fail harmlessly; a call the
// table does not know fails the test. Errnos that the code treats apart are injected where
// they drive a branch: clone3's fallback to clone, newuidmap, the namespace fds from /proc,
// EINTR's retry, spec 12's refusal to retry, the etc files' rename without flags; and a
// second fault hits the cleanup after the first. Runs as root and rootless.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "sandbox/base/sys_error.h"
#include "sandbox/base/syscalls.h"
#include "sandbox/base/unique_fd.h"
#include "sandbox/start/pidfd_namespace.h"
#include "sandbox/start/start_child.h"
#include "testing/util.h"

namespace sbx {
namespace {

using sys::FaultScope;
using testing::NoChildrenLeft;
using testing::ReadAvailable;
using testing::ReadFile;

constexpr int kAnyErrno = ENOTRECOVERABLE;  // an errno no branch of the start expects

// A start's outcome: it fails with the injected errno and a step matching `step`, or (step
// empty) it succeeds, for the reason given, and the builder runs.
struct Outcome {
  std::string step;
  std::string harmless_because;
};

Outcome Fails(std::string step) { return {std::move(step), ""}; }
Outcome Harmless(std::string why) { return {"", std::move(why)}; }

// One seam call, as sys::CallTrace() names it, with "#K" for its K-th time.
struct Rule {
  std::string call;  // regex over "ENTRY #K"
  Outcome outcome;
};

// What a fault with kAnyErrno in each call must do. `launcher`: fast mode with a launcher
// process (then the caller's clone starts the launcher, not the builder).
std::vector<Rule> Rules(StartMode mode, bool launcher) {
  const bool lix = mode == StartMode::kLix;
  // The lix helper's errors come back through its pipe, within the parent's context.
  const std::string helper =
      lix ? "^unable to start build process: helper exited with status 1: " : "^";
  return {
      {"^caller pipe2 #1$", Fails("^creating the release pipe$")},
      {"^caller pipe2 #2$", Fails("^creating the sendPid pipe$")},
      {"^caller fork #1$", Fails("^forking the helper$")},
      {"^helper prctl 1 #1$", Fails(helper + "setting the helper's death signal$")},
      {"^(caller|helper) setgroups #1$", Fails(helper + "setgroups failed$")},
      {"^caller clone #1$", Fails(launcher ? "^starting the launcher$" : "^cloning the builder$")},
      {"^helper clone #1$", Fails(helper + "cloning the builder$")},
      {"^(caller|helper) clone3 #1$", Fails("^clone3 of the builder$")},
      {"^helper write pipe:\\S+ \\d+\\| #1$", Fails(helper + "sending the builder's pid$")},
      {"^caller waitpid #1$",
       Fails(lix ? "^waiting for the helper$" : "^waiting for the launcher$")},
      {"^caller read pipe:\\S+ #\\d+$", Fails("^reading the builder's pid from the helper$")},
      {"^caller (openat|write) /proc/\\d+/uid_map\\b.*$", Fails("^writing uid_map \"")},
      {"^caller (openat|write) /proc/\\d+/setgroups\\b.*$", Fails("^writing setgroups \"")},
      {"^caller (openat|write) /proc/\\d+/gid_map\\b.*$", Fails("^writing gid_map \"")},
      {"^caller pidfd_open #1$", Fails("^opening a pidfd of the builder$")},
      {"^caller ioctl " + std::to_string(kPidfdGetMountNamespace) + " #1$",
       Fails("^getting sandbox mount namespace$")},
      {"^caller ioctl " + std::to_string(kPidfdGetUserNamespace) + " #\\d$",
       Fails("^getting sandbox user namespace$")},
      // Kernels before 6.11 (no namespace ioctls on a pidfd): the /proc/PID/ns files.
      {"^caller openat /proc/\\d+/ns/mnt #\\d+$", Fails("^getting sandbox mount namespace$")},
      {"^caller openat /proc/\\d+/ns/user #\\d+$", Fails("^getting sandbox user namespace$")},
      {"^caller write pipe:\\S+ 1\\| #\\d$", Fails("^releasing the child")},
      {"^caller openat /\\S+/sbx-faults-root-\\w+ #\\d+$",
       Fails("^opening the sandbox root for /\\S+/etc$")},
      {"^caller openat2? etc #\\d+$", Fails("^opening /\\S+/etc \\(must be a directory")},
      {"^caller openat2? \\.(passwd|group)\\.sbx-\\d+ #\\d$", Fails("^creating /\\S+/etc/\\.")},
      {"^caller write /\\S+/etc/\\.(passwd|group)\\.sbx-\\d+ .* #\\d$",
       Fails("^writing /\\S+/etc/\\.")},
      {"^caller renameat2 1 \\.passwd\\.sbx-\\d+ passwd #\\d$",
       Fails("^renaming /\\S+/etc/\\.passwd\\.sbx-\\d+ to passwd$")},
      {"^caller renameat2 1 \\.group\\.sbx-\\d+ group #\\d$",
       Fails("^renaming /\\S+/etc/\\.group\\.sbx-\\d+ to group$")},
      {"^caller openat /\\S+/sbx-faults-\\d+ #\\d+$", Fails("^opening cgroup ")},
      {"^caller (openat|write) /\\S+/cgroup\\.procs\\b.*$",
       Fails("^writing \\d+ to \\S+/cgroup.procs$")},
  };
}

// The calls of a trace, each with "#K" for the K-th time its process made that syscall.
std::vector<std::string> Numbered(const std::vector<std::string>& trace) {
  std::map<std::string, int> seen;
  std::vector<std::string> out;
  for (const std::string& entry : trace) {
    const std::string who = entry.substr(0, entry.find(' ', entry.find(' ') + 1));
    out.push_back(entry + " #" + std::to_string(++seen[who]));
  }
  return out;
}

// A numbered call without what varies between runs (pids, pipe inodes): "caller read
// pipe:[N] #3".
std::string Shape(const std::string& call) {
  const size_t mark = call.rfind(" #");
  return std::regex_replace(call.substr(0, mark), std::regex("[0-9]+"), "N") + call.substr(mark);
}

const Rule* RuleFor(const std::vector<Rule>& rules, const std::string& call) {
  for (const Rule& rule : rules) {
    if (std::regex_search(call, std::regex(rule.call))) return &rule;
  }
  return nullptr;
}

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
                 int error, int also = 0, int also_error = 0) {
    int marker[2];
    EXPECT_EQ(pipe2(marker, O_CLOEXEC), 0);
    UniqueFd marker_read(marker[0]), marker_write(marker[1]);
    if (!config.sandbox_root.empty()) {
      for (const char* name : {"/etc/passwd", "/etc/group"}) {
        unlink((config.sandbox_root + name).c_str());
      }
    }
    StartRun run;
    sys::FailNthCall(nth, error, scope);
    if (also) sys::AlsoFailNthCall(also, also_error);
    try {
      Child child = StartChild(
          config, slave, [fd = marker[1]]() -> int { return write(fd, "ran", 3) == 3 ? 0 : 1; });
      run.trace = Numbered(sys::CallTrace());
      sys::FailNthCall(0, 0);
      run.clone_path = child.clone_path();
      run.pidfd = child.pidfd();
      EXPECT_EQ(child.Wait(), 0);
    } catch (const SysError& e) {
      run.trace = Numbered(sys::CallTrace());
      sys::FailNthCall(0, 0);
      run.failed = true;
      run.error = e;
    }
    marker_write.reset();
    run.user_code = ReadAvailable(marker_read.get());
    EXPECT_TRUE(NoChildrenLeft()) << "a process was left behind";
    if (config.cgroup) EXPECT_EQ(ReadFile(*config.cgroup + "/cgroup.procs"), "");
    return run;
  }
};

std::string Show(const StartRun& run) {
  std::string text = run.failed ? std::string("failed: ") + run.error.what() : "succeeded";
  for (const std::string& call : run.trace) text += "\n  " + call;
  return text;
}

// Checks a run against an outcome for the call that failed with `error`.
void Expect(const StartRun& run, const Outcome& outcome, int error, const std::string& call) {
  SCOPED_TRACE(call + " failing with " + strerrorname_np(error) + ": " + Show(run));
  if (outcome.step.empty()) {
    EXPECT_FALSE(run.failed) << "listed as harmless: " << outcome.harmless_because;
    EXPECT_EQ(run.user_code, "ran");
    return;
  }
  ASSERT_TRUE(run.failed) << "a failure that should surface was swallowed";
  EXPECT_TRUE(std::regex_search(run.error.step(), std::regex(outcome.step)))
      << "step \"" << run.error.step() << "\", expected /" << outcome.step << "/";
  EXPECT_EQ(run.error.error(), error) << run.error.what();
  EXPECT_EQ(run.user_code, "") << "user code ran after a failed start";
}

// The configurations a mode is faulted in: with a slave to open or not (in fast mode that
// brings in the launcher), and with a root and a cgroup (fast: clone3 into the cgroup, and
// the clone fallback).
struct FaultSetup {
  std::string name;
  StartConfig config;
  OpenSlave slave;
};

class Scratch {
 public:
  Scratch() {
    char root[] = "/tmp/sbx-faults-root-XXXXXX";
    if (mkdtemp(root) == nullptr) return;
    root_ = root;
    mkdir((root_ + "/etc").c_str(), 0755);
    const std::string base = testing::CgroupBase();
    if (!base.empty()) {
      cgroup_ = base + "/sbx-faults-" + std::to_string(getpid());
      if (mkdir(cgroup_.c_str(), 0755) != 0) cgroup_.clear();
    }
  }
  ~Scratch() {
    if (!cgroup_.empty()) rmdir(cgroup_.c_str());
    if (!root_.empty()) (void)!system(("rm -rf " + root_).c_str());
  }
  const std::string& root() const { return root_; }
  const std::string& cgroup() const { return cgroup_; }

 private:
  std::string root_, cgroup_;
};

std::vector<FaultSetup> Setups(StartMode mode, const Scratch& scratch) {
  std::vector<FaultSetup> setups;
  setups.push_back({"plain", StartConfig{.mode = mode}, nullptr});
  setups.push_back({"slave", StartConfig{.mode = mode}, [] {}});
  for (bool fallback : {false, true}) {
    StartConfig config{.mode = mode};
    config.sandbox_root = scratch.root();
    if (!scratch.cgroup().empty()) config.cgroup = scratch.cgroup();
    config.force_clone_fallback = fallback;
    setups.push_back({fallback ? "root, fallback" : "root", config, nullptr});
  }
  return setups;
}

bool UsesLauncher(StartMode mode, const FaultSetup& setup) {
  return mode == StartMode::kFast && (setup.slave || getgroups(0, nullptr) > 0);
}

constexpr FaultScope kScopes[] = {FaultScope::kCallerOnly, FaultScope::kHelpersOnly};

// 1. Every call, kAnyErrno: surfaces with its step, or is harmless by the table.
TEST_P(FaultInjectionTest, EachCallSurfacesWithItsStepOrIsListedAsHarmless) {
  Scratch scratch;
  for (const FaultSetup& setup : Setups(GetParam(), scratch)) {
    const std::vector<Rule> rules = Rules(GetParam(), UsesLauncher(GetParam(), setup));
    for (FaultScope scope : kScopes) {
      SCOPED_TRACE(setup.name + (scope == FaultScope::kCallerOnly ? ", caller" : ", helpers"));
      for (int nth = 1; nth < 100; ++nth) {
        const StartRun run = Start(setup.config, setup.slave, scope, nth, kAnyErrno);
        if (static_cast<int>(run.trace.size()) < nth) {
          EXPECT_FALSE(run.failed) << Show(run);
          break;  // every call was failed once
        }
        const std::string& call = run.trace[nth - 1];
        const Rule* rule = RuleFor(rules, call);
        ASSERT_NE(rule, nullptr) << "a seam call the table does not know: " << call << "\n"
                                 << Show(run);
        Expect(run, rule->outcome, kAnyErrno, call);
      }
    }
  }
}

// An errno that drives a branch of its own, in the calls matching `call`: the outcome,
// the call made next (`next`, the path taken; "" for any) and calls never made after it
// (`never_after`: spec 12's no retry).
struct Variant {
  std::string call;
  int error;
  Outcome outcome;
  std::string next;
  std::string never_after;
};

std::vector<Variant> Variants(StartMode mode, const StartConfig& config, bool launcher) {
  const bool lix = mode == StartMode::kLix;
  const std::string helper =
      lix ? "^unable to start build process: helper exited with status 1: " : "^";
  // The builder's clone(): the lix helper's, the launcher's, else the caller's fallback.
  const std::string builder_clone = lix || launcher ? "^helper clone #1$" : "^caller clone #1$";
  std::vector<Variant> v;
  for (int error : {ENOSYS, E2BIG, EINVAL}) {
    v.push_back({"^(caller|helper) clone3 #1$", error,
                 Harmless("clone3 or CLONE_INTO_CGROUP unknown to the kernel: clone()"),
                 "^(caller|helper) clone #1$", ""});
  }
  // Spec 12: reported with the errno, no retry (clone3's EINVAL is its fallback above).
  v.push_back(
      {"^(caller|helper) clone3 #1$", ENOSPC, Fails("^clone3 of the builder$"), "", " clone"});
  for (int error : {EINVAL, ENOSPC}) {
    v.push_back({builder_clone, error, Fails(helper + "cloning the builder$"), "", " clone"});
  }
  v.push_back({"^(caller|helper) setgroups #1$", EPERM,
               PlanStart(config).require_drop_supplementary_groups
                   ? Fails(helper + "setgroups failed\\. Set the require-drop-supplementary")
                   : Harmless("spec 10: EPERM is fatal only when the drop is required"),
               "", ""});
  for (const char* map : {"uid_map", "gid_map"}) {
    const std::string call = std::string("^caller write /proc/\\d+/") + map + " ";
    if (geteuid() == 0) {
      v.push_back(
          {call, EPERM, Fails(std::string("^writing ") + map + " \"[^\"]*\"$"), "", "waitpid"});
    } else {
      v.push_back({call, EPERM, Harmless("denied to us: newuidmap/newgidmap write it"),
                   "^caller waitpid", ""});
    }
  }
  for (int error : {ENOTTY, EINVAL}) {
    v.push_back({"^caller ioctl " + std::to_string(kPidfdGetMountNamespace) + " #1$", error,
                 Harmless("a pidfd without namespace ioctls (before 6.11): /proc/PID/ns"),
                 "^caller openat /proc/\\d+/ns/mnt", ""});
  }
  v.push_back({"^caller pidfd_open #1$", ENOSYS,
               Harmless("no pidfd_open (before 5.3): a Child without a pidfd"), "", ""});
  // EINTR where the call blocks or may be cut short: retried, the same call next.
  v.push_back({"^caller waitpid #1$", EINTR, Harmless("an interrupted wait: retried"),
               "^caller waitpid #2$", ""});
  if (lix) {  // the pid line
    v.push_back({"^caller read pipe:\\S+ #1$", EINTR, Harmless("an interrupted read: retried"),
                 "^caller read pipe:\\S+ #2$", ""});
    v.push_back({"^helper write pipe:\\S+ \\d+\\| #1$", EINTR,
                 Harmless("an interrupted write of the pid line: retried"),
                 "^helper write pipe:\\S+ \\d+\\| #2$", ""});
  }
  v.push_back({"^caller write /\\S+/etc/\\.passwd\\.sbx-", EINTR,
               Harmless("an interrupted write of passwd: retried"),
               "^caller write /\\S+/etc/\\.passwd\\.sbx-", ""});
  // A kernel without openat2 (before 5.6): etc and the staged files, one component at a time.
  v.push_back({"^caller openat2 etc #\\d+$", ENOSYS,
               Harmless("no openat2 (before 5.6): etc opened component by component"),
               "^caller openat etc #\\d+$", ""});
  v.push_back({"^caller openat2 \\.passwd\\.sbx-\\d+ #\\d$", ENOSYS,
               Harmless("no openat2 (before 5.6): the staged passwd created by openat"),
               "^caller openat \\.passwd\\.sbx-\\d+ #\\d$", ""});
  v.push_back({"^caller renameat2 1 \\.passwd\\.sbx-\\d+ passwd", EINVAL,
               Harmless("a file system without rename flags: the old passwd linked, then a plain "
                        "rename"),
               "^caller linkat passwd ", ""});
  return v;
}

// 2. The errno-driven branches, each in every call it applies to; each variant must have
// been driven at least once.
TEST_P(FaultInjectionTest, ErrnosDriveTheirBranches) {
  Scratch scratch;
  std::map<std::string, int> driven;
  for (const FaultSetup& setup : Setups(GetParam(), scratch)) {
    const bool launcher = UsesLauncher(GetParam(), setup);
    for (FaultScope scope : kScopes) {
      SCOPED_TRACE(setup.name + (scope == FaultScope::kCallerOnly ? ", caller" : ", helpers"));
      const std::vector<std::string> clean =
          Start(setup.config, setup.slave, scope, 1000, kAnyErrno).trace;
      for (const Variant& variant : Variants(GetParam(), setup.config, launcher)) {
        // By call kind, not regex: the builder's clone is the helper's or the caller's.
        const std::string name =
            (variant.call.find(" clone #") != std::string::npos ? "the builder's clone()"
                                                                : variant.call) +
            " " + strerrorname_np(variant.error);
        driven.emplace(name, 0);
        for (size_t i = 0; i < clean.size(); ++i) {
          if (!std::regex_search(clean[i], std::regex(variant.call))) continue;
          ++driven[name];
          size_t at = i;  // where the call is in this run's trace
          StartRun run =
              Start(setup.config, setup.slave, scope, static_cast<int>(at) + 1, variant.error);
          // The pid line is read a byte at a time, so a pid with another number of digits
          // than the clean run's moves every later call: fail the call where it is now.
          for (int retry = 0;
               retry < 3 && (run.trace.size() <= at || Shape(run.trace[at]) != Shape(clean[i]));
               ++retry) {
            const auto moved =
                std::find_if(run.trace.begin(), run.trace.end(),
                             [&](const std::string& c) { return Shape(c) == Shape(clean[i]); });
            if (moved == run.trace.end()) break;
            at = static_cast<size_t>(moved - run.trace.begin());
            run = Start(setup.config, setup.slave, scope, static_cast<int>(at) + 1, variant.error);
          }
          ASSERT_GT(run.trace.size(), at) << Show(run);
          ASSERT_TRUE(std::regex_search(run.trace[at], std::regex(variant.call))) << Show(run);
          Expect(run, variant.outcome, variant.error, run.trace[at]);
          if (!variant.next.empty()) {
            EXPECT_TRUE(run.trace.size() > at + 1 &&
                        std::regex_search(run.trace[at + 1], std::regex(variant.next)))
                << "expected next /" << variant.next << "/: " << Show(run);
          }
          for (size_t j = at + 1; !variant.never_after.empty() && j < run.trace.size(); ++j) {
            EXPECT_EQ(run.trace[j].find(variant.never_after), std::string::npos)
                << "made after the fault: " << Show(run);
          }
          if (variant.outcome.step.empty() && variant.call.find("clone3") != std::string::npos) {
            EXPECT_EQ(run.clone_path, "clone") << Show(run);
          }
          if (variant.call.find("pidfd_open") != std::string::npos) {
            EXPECT_EQ(run.pidfd, -1) << Show(run);
          }
        }
      }
    }
  }
  for (const auto& [name, times] : driven) {
    // clone3 exists only in fast mode; the builder's clone() there only in the fallback.
    if (GetParam() == StartMode::kLix && name.find("clone3") != std::string::npos) continue;
    EXPECT_GT(times, 0) << "never driven: " << name;
  }
}

// 3. A second fault in the call right after the first: the cleanup (the release pipe's
// abort, the etc files' rollback) fails too. The start still fails with the first step
// (or says that putting passwd back failed), the builder never runs, nothing is left.
TEST_P(FaultInjectionTest, ASecondFaultInTheCleanupChangesNothingOrIsReported) {
  Scratch scratch;
  int aborts = 0, rollbacks = 0;
  for (const FaultSetup& setup : Setups(GetParam(), scratch)) {
    const std::vector<Rule> rules = Rules(GetParam(), UsesLauncher(GetParam(), setup));
    SCOPED_TRACE(setup.name);
    for (int nth = 1; nth < 100; ++nth) {
      const StartRun run =
          Start(setup.config, setup.slave, FaultScope::kCallerOnly, nth, kAnyErrno, nth + 1, EIO);
      if (static_cast<int>(run.trace.size()) < nth) break;
      const Rule* rule = RuleFor(rules, run.trace[nth - 1]);
      ASSERT_NE(rule, nullptr) << Show(run);
      if (static_cast<int>(run.trace.size()) <= nth) continue;  // no call after the fault
      const std::string& second = run.trace[nth];
      if (std::regex_search(second, std::regex("^caller write pipe:\\S+ 0\\| "))) {
        ++aborts;  // harmless: EOF on the release pipe is a no-go too (spec 13-16)
      } else if (std::regex_search(second, std::regex("^caller (renameat2|unlinkat) .*passwd"))) {
        ++rollbacks;  // reported: the new passwd stays with the old group
        ASSERT_TRUE(run.failed) << Show(run);
        EXPECT_THAT(run.error.step(), ::testing::HasSubstr("/passwd back")) << Show(run);
        continue;
      }
      Expect(run, rule->outcome, kAnyErrno, run.trace[nth - 1] + ", then " + second);
    }
  }
  EXPECT_GT(aborts, 0) << "no second fault hit the release pipe's abort";
  EXPECT_GT(rollbacks, 0) << "no second fault hit the etc files' rollback";
}

INSTANTIATE_TEST_SUITE_P(Modes, FaultInjectionTest,
                         ::testing::Values(StartMode::kLix, StartMode::kFast),
                         [](const auto& info) {
                           return info.param == StartMode::kLix ? "lix" : "fast";
                         });

}  // namespace
}  // namespace sbx
