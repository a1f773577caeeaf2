// A sandbox root per thread for the benchmarks: the start writes etc/passwd and etc/group
// there, and threads starting at once must not share those files.
#pragma once

#include <string>

namespace sbx_bench {

class ScratchRoot {
 public:
  ScratchRoot();  // /tmp/sbx-bench-root-XXXXXX with an empty etc/; throws std::system_error
  ~ScratchRoot();
  ScratchRoot(const ScratchRoot&) = delete;
  ScratchRoot& operator=(const ScratchRoot&) = delete;

  // Each build gets a fresh chroot, so the files never exist yet. Left in place, they would
  // be replaced by rename, which ext4 (auto_da_alloc) turns into a flush to disk.
  void Clear();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace sbx_bench
