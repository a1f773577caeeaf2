// A scratch directory for a test: made under $TEST_TMPDIR (else /tmp), removed with all it
// holds when it goes out of scope by the library's RemoveTree (sandbox/root/remove_tree.h),
// which follows no symlink and crosses no mount, so that a test that plants a link to an
// "outside" dir cannot make the cleanup reach it.
#pragma once

#include <map>
#include <string>

namespace sbx::testing {

class ScratchDir {
 public:
  // PREFIX-XXXXXX; path() is "" when it could not be made.
  explicit ScratchDir(const std::string& prefix = "sbx-test");
  ~ScratchDir() { RemoveAll(path_); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }

  // Removes path and everything below it the same way (nothing when it is not there); true
  // when nothing is left.
  static bool RemoveAll(const std::string& path);

 private:
  std::string path_;
};

// Every entry beneath dir, recursively, by relative path ("etc/passwd"): "dir",
// "file:CONTENT", "link:TARGET" or "other"; symlinks are listed, not followed. A dir that
// cannot be opened gives one entry "(cannot open)", so that it never reads as empty.
std::map<std::string, std::string> TreeOf(const std::string& dir);

}  // namespace sbx::testing
