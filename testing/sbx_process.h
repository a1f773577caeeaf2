// Runs the built `sbx` binary (a data dependency of the test) and collects what it printed,
// for the tests that check its command-line contract.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sbx::testing {

struct Outcome {
  int exit_code = -1;  // 128+N for signal N
  std::string out;
  std::string err;
};

// Everything read from fd until EOF.
std::string ReadAll(int fd);

// $TEST_SRCDIR/$TEST_WORKSPACE/PATH: a data dependency of the test.
std::string RunfilePath(const std::string& path);

// RunfilePath("sandbox/sbx").
std::string SbxPath();

// What sbx's child does before exec, for a test that runs sbx under a restriction of its
// own (a seccomp filter, a user-namespace limit); false when it could not, and sbx does not
// run: the outcome's exit code is then kChildSetupFailed.
using InChild = std::function<bool()>;
inline constexpr int kChildSetupFailed = 99;

// Runs sbx with `args`, feeding `input` on stdin; as uid/gid `as` when given (needs root),
// after `in_child` when given. The binary is opened here and run with fexecve, so another
// uid needs no access to the runfiles tree.
Outcome Sbx(const std::vector<std::string>& args, const std::string& input = "",
            std::optional<std::pair<uid_t, gid_t>> as = std::nullopt,
            const InChild& in_child = nullptr);

// The same with the binary already open (e.g. before a chroot that hides its path).
Outcome SbxFromFd(int binary_fd, const std::vector<std::string>& args,
                  const std::string& input = "",
                  std::optional<std::pair<uid_t, gid_t>> as = std::nullopt,
                  const InChild& in_child = nullptr);

}  // namespace sbx::testing
