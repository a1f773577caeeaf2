// The fixture of the start_child_test suite (integration/BUILD.bazel): StartChild in each
// mode, with no fd and no child left behind by any case. Its cases are split by concept
// over start_child_*test.cc; start_child_test.cc instantiates them.
#pragma once

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "sandbox/start/start_child.h"
#include "testing/util.h"

namespace sbx {

class StartChildTest : public ::testing::TestWithParam<StartMode> {
 protected:
  void SetUp() override {
    const std::string why = testing::UserNamespaceUnavailableReason();
    if (!why.empty()) GTEST_SKIP() << why;
    fds_before_ = testing::OpenFds();
  }
  void TearDown() override {
    if (IsSkipped()) return;
    EXPECT_EQ(testing::OpenFds(), fds_before_) << "fds leaked";
    EXPECT_TRUE(testing::NoChildrenLeft()) << "a child was left behind";
  }
  StartConfig Config() const { return StartConfig{.mode = GetParam()}; }

 private:
  std::set<int> fds_before_;
};

// Only the lix mode has a helper that sends a pid line.
class LixHelperTest : public StartChildTest {};

}  // namespace sbx
