// RemoveTree (remove_tree.cc), which removes a fresh sandbox root, without privileges:
// it neither follows symlinks nor crosses mounts. Cases of the sandbox_root_test target
// (sandbox_root_fixture.h).
#include "sandbox/root/remove_tree.h"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "sandbox/root/sandbox_root_fixture.h"
#include "testing/scratch_dir.h"

namespace sbx::root_test {
namespace {

// RemoveTree removes the tree, not what its symlinks point at.
TEST_F(SandboxRootTest, RemoveTreeDoesNotFollowSymlinks) {
  const std::string tree = root_ + "/tree";
  ASSERT_EQ(mkdir(tree.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((tree + "/sub").c_str(), 0755), 0);
  std::ofstream(tree + "/sub/file") << "x";
  ASSERT_EQ(symlink(outside_.c_str(), (tree + "/dir-link").c_str()), 0);
  ASSERT_EQ(symlink((outside_ + "/target").c_str(), (tree + "/sub/file-link").c_str()), 0);
  RemoveTree(tree);
  EXPECT_NE(access(tree.c_str(), F_OK), 0) << "the tree is still there";
  EXPECT_EQ(testing::TreeOf(outside_), OutsideAsCreated());
  // A tree that is itself a symlink: the link goes, not what it points at.
  ASSERT_EQ(symlink(outside_.c_str(), tree.c_str()), 0);
  RemoveTree(tree);
  EXPECT_NE(access(tree.c_str(), F_OK), 0) << "the link is still there";
  EXPECT_EQ(testing::TreeOf(outside_), OutsideAsCreated());
}

// RemoveTree does not cross into a mount below the tree: the mounted file system's files
// stay, and so do those of a bind mount from the same file system (same device). In a child
// with a private mount namespace (root, or a user namespace).
TEST_F(SandboxRootTest, RemoveTreeDoesNotCrossMounts) {
  const std::string tree = root_ + "/tree", mnt = tree + "/mnt", bound = tree + "/bound";
  ASSERT_EQ(mkdir(tree.c_str(), 0755), 0);
  ASSERT_EQ(mkdir(mnt.c_str(), 0755), 0);
  ASSERT_EQ(mkdir(bound.c_str(), 0755), 0);
  std::ofstream(tree + "/beside") << "x";
  const int code = ExitCodeOf([&] {
    if (!EnterPrivateMountNamespace()) return 11;
    if (mount("tmpfs", mnt.c_str(), "tmpfs", 0, nullptr) != 0) return 12;
    if (mount(outside_.c_str(), bound.c_str(), nullptr, MS_BIND, nullptr) != 0) return 12;
    std::ofstream(mnt + "/in-mount") << "kept";
    if (access((mnt + "/in-mount").c_str(), F_OK) != 0) return 13;
    RemoveTree(tree);
    if (access((tree + "/beside").c_str(), F_OK) == 0) return 2;  // not removed at all
    if (access((outside_ + "/target").c_str(), F_OK) != 0) return 3;
    return access((mnt + "/in-mount").c_str(), F_OK) == 0 ? 0 : 1;
  });
  if (code == 11 || code == 12) {
    GTEST_SKIP() << "cannot mount a tmpfs in a private mount namespace here (neither root nor "
                    "user namespaces)";
  }
  EXPECT_EQ(code, 0) << "1: a file in the mount below the tree was removed, 2: the tree's own "
                        "file was not, 3: a file in the bind mount below the tree was removed, "
                        "13: setup";
}

}  // namespace
}  // namespace sbx::root_test
