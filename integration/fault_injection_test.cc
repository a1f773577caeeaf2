// Fault injection that sees everything (issue 25): every seam call of a start is failed in
// turn, in the caller and in the processes it makes, and the outcome is held to a table.
// A call either surfaces (the start fails with the errno given and the step that call
// belongs to) or is listed, with its reason, as one that may fail harmlessly; a call the
// table does not know fails the test. Errnos that the code treats apart are injected where
// they drive a branch: clone3's fallback to clone, newuidmap, the namespace fds from /proc,
// EINTR's retry, spec 12's refusal to retry, the etc files' rename without flags; and a
// second fault hits the cleanup after the first. Runs as root and rootless. The harness is
// fault_injection.h, the tables the outcomes are held to fault_injection_tables.h.
#include "integration/fault_injection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "integration/fault_injection_tables.h"
#include "sandbox/start/start_child.h"

namespace sbx::faults {
namespace {

// A numbered call without what varies between runs (pids, pipe inodes): "caller read
// pipe:[N] #3".
std::string Shape(const std::string& call) {
  const size_t mark = call.rfind(" #");
  return std::regex_replace(call.substr(0, mark), std::regex("[0-9]+"), "N") + call.substr(mark);
}

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
          // than the clean run's moves every later call: fail the call where it is now. A
          // call moved later is missing from a run the fault ended early: a new clean run
          // then says where it is.
          for (int retry = 0;
               retry < 3 && (run.trace.size() <= at || Shape(run.trace[at]) != Shape(clean[i]));
               ++retry) {
            auto find = [&](const std::vector<std::string>& trace) {
              return std::find_if(
                         trace.begin(), trace.end(),
                         [&](const std::string& c) { return Shape(c) == Shape(clean[i]); }) -
                     trace.begin();
            };
            std::vector<std::string> where = run.trace;
            if (static_cast<size_t>(find(where)) == where.size()) {
              where = Start(setup.config, setup.slave, scope, 1000, kAnyErrno).trace;
            }
            const size_t moved = static_cast<size_t>(find(where));
            if (moved == where.size()) break;
            at = moved;
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
}  // namespace sbx::faults
