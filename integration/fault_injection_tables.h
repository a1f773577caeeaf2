// What each seam call of a start must do when it fails, for the fault_injection_test
// cases: the table of outcomes of a fault with kAnyErrno in each call, and the errnos that
// the code treats apart, each with the branch it drives.
#pragma once

#include <string>
#include <vector>

#include "integration/fault_injection.h"
#include "sandbox/start/start_child.h"

namespace sbx::faults {

// One seam call, as sys::CallTrace() names it, with "#K" for its K-th time.
struct Rule {
  std::string call;  // regex over "ENTRY #K"
  Outcome outcome;
};

// What a fault with kAnyErrno in each call must do. `launcher`: fast mode with a launcher
// process (then the caller's clone starts the launcher, not the builder).
std::vector<Rule> Rules(StartMode mode, bool launcher);

// The rule of `call`, or nullptr when the table does not know it.
const Rule* RuleFor(const std::vector<Rule>& rules, const std::string& call);

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

// The variants of a mode, for a configuration; `launcher` as for Rules.
std::vector<Variant> Variants(StartMode mode, const StartConfig& config, bool launcher);

}  // namespace sbx::faults
