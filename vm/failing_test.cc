// Deliberately fails one case: failure_surfaces_test checks that a failure inside the VM
// reaches Bazel with the case names in the XML.

#include <gtest/gtest.h>

namespace {

TEST(FailingInVm, Passes) { EXPECT_EQ(1 + 1, 2); }

TEST(FailingInVm, Fails) { EXPECT_EQ(1 + 1, 3) << "this failure is deliberate"; }

}  // namespace
