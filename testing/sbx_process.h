// Runs the built `sbx` binary (a data dependency of the test) and collects what it printed,
// for the tests that check its command-line contract.
#pragma once

#include <sys/types.h>

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

// Runs sbx with `args`, feeding `input` on stdin; as uid/gid `as` when given (needs root).
// The binary is opened here and run with fexecve, so another uid needs no access to the
// runfiles tree.
Outcome Sbx(const std::vector<std::string>& args, const std::string& input = "",
            std::optional<std::pair<uid_t, gid_t>> as = std::nullopt);

// The same with the binary already open (e.g. before a chroot that hides its path).
Outcome SbxFromFd(int binary_fd, const std::vector<std::string>& args,
                  const std::string& input = "",
                  std::optional<std::pair<uid_t, gid_t>> as = std::nullopt);

}  // namespace sbx::testing
