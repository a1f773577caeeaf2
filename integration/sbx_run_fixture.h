// The fixture of the sbx_run_test suite (integration/BUILD.bazel): `sbx run` in each mode,
// running a shell script. Its cases are split by concept over sbx_run_*test.cc;
// sbx_run_test.cc instantiates them.
#pragma once

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "testing/sbx_process.h"
#include "testing/util.h"

namespace sbx {

class SbxRunTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    const std::string why = testing::UserNamespaceUnavailableReason();
    if (!why.empty()) GTEST_SKIP() << why;
  }

 public:
  // sbx run --mode MODE OPTIONS -- sh -c SCRIPT
  testing::Outcome Run(const std::string& script, std::vector<std::string> options = {}) {
    std::vector<std::string> args = {"run", "--mode", GetParam()};
    args.insert(args.end(), options.begin(), options.end());
    for (const char* word : {"--", "/bin/sh", "-c"}) args.push_back(word);
    args.push_back(script);
    return testing::Sbx(args);
  }

 protected:
  // A build user of 65536 ids this process may map, as options; none where there is none.
  std::vector<std::string> UidRangeOptions() {
    std::optional<BuildUser> user = testing::MappableBuildUser(65536);
    if (!user) return {};
    return {"--build-uid", std::to_string(user->uid),
            "--build-gid", std::to_string(user->gid),
            "--uid-count", "65536"};
  }
};

}  // namespace sbx
