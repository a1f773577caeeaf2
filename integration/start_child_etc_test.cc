// The etc files StartChild writes in a sandbox root: rejected input writes none, and a
// symlink planted in their place is replaced, never followed. Cases of the start_child_test
// suite (start_child_fixture.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "integration/start_child_fixture.h"
#include "sandbox/base/sys_error.h"
#include "sandbox/start/start_child.h"
#include "testing/scratch_dir.h"
#include "testing/util.h"

namespace sbx {
namespace {

using ::testing::HasSubstr;
using testing::ReadFile;

// Rejected input produces neither a process nor a file (spec 26).
TEST_P(StartChildTest, InvalidBuildDirStartsNothing) {
  char root[] = "/tmp/sbx-root-XXXXXX";
  ASSERT_NE(mkdtemp(root), nullptr);
  const std::string etc = std::string(root) + "/etc";
  ASSERT_EQ(mkdir(etc.c_str(), 0755), 0);
  StartConfig config = Config();
  config.sandbox_root = root;
  config.build_dir = "/build:evil";
  EXPECT_THROW(StartChild(config, nullptr, [] { return 0; }), SysError);
  EXPECT_NE(access((etc + "/passwd").c_str(), F_OK), 0) << "a rejected input wrote passwd";
  EXPECT_TRUE(testing::ScratchDir::RemoveAll(root));
}

// The generated files replace, and never follow, a symlink planted in the root (guide:
// never follow a symlink you did not create).
TEST_P(StartChildTest, PlantedSymlinkIsReplacedNotFollowed) {
  char root[] = "/tmp/sbx-root-XXXXXX";
  ASSERT_NE(mkdtemp(root), nullptr);
  const std::string etc = std::string(root) + "/etc", victim = std::string(root) + "/victim";
  ASSERT_EQ(mkdir(etc.c_str(), 0755), 0);
  { std::ofstream(victim) << "untouched"; }
  ASSERT_EQ(symlink(victim.c_str(), (etc + "/passwd").c_str()), 0);
  StartConfig config = Config();
  config.sandbox_root = root;
  EXPECT_EQ(StartChild(config, nullptr, [] { return 0; }).Wait(), 0);
  EXPECT_EQ(ReadFile(victim), "untouched");
  EXPECT_THAT(ReadFile(etc + "/passwd"), HasSubstr("nixbld:x:1000:100:"));
  struct stat st;
  ASSERT_EQ(lstat((etc + "/passwd").c_str(), &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_TRUE(testing::ScratchDir::RemoveAll(root));
}

}  // namespace
}  // namespace sbx
