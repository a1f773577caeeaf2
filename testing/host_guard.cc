// Linked into every integration suite (integration/integration.bzl): the run fails if the
// machine's /etc/passwd, /etc/group, /etc/hosts or the entries of / changed while its tests
// ran. Destructive cases run against a fake host; this catches one that did not.
#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "testing/file_read.h"

namespace sbx::testing {
namespace {

// The files' bytes and the names and inodes of /, as one comparable text.
std::string HostSnapshot() {
  std::string snapshot;
  for (const char* file : {"/etc/passwd", "/etc/group", "/etc/hosts"}) {
    snapshot += std::string(file) + ":\n" + ReadWholeFile(file).value_or("(unreadable)") + "\n";
  }
  std::vector<std::string> entries;
  if (DIR* root = opendir("/")) {
    while (const dirent* entry = readdir(root)) {
      entries.push_back(std::string(entry->d_name) + " " + std::to_string(entry->d_ino));
    }
    closedir(root);
  }
  std::sort(entries.begin(), entries.end());
  for (const std::string& entry : entries) snapshot += "/ " + entry + "\n";
  return snapshot;
}

class HostGuard : public ::testing::Environment {
 public:
  void SetUp() override { before_ = HostSnapshot(); }
  void TearDown() override {
    EXPECT_EQ(HostSnapshot(), before_)
        << "a test changed the machine's /etc/passwd, /etc/group, /etc/hosts or /";
  }

 private:
  std::string before_;
};

[[maybe_unused]] ::testing::Environment* const kHostGuard =
    ::testing::AddGlobalTestEnvironment(new HostGuard);

}  // namespace
}  // namespace sbx::testing
