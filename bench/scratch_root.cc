#include "bench/scratch_root.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>

#include "sandbox/root/remove_tree.h"

namespace sbx_bench {

ScratchRoot::ScratchRoot() {
  char templ[] = "/tmp/sbx-bench-root-XXXXXX";
  if (mkdtemp(templ) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp sandbox root");
  }
  path_ = templ;
  if (mkdir((path_ + "/etc").c_str(), 0755) < 0) {
    throw std::system_error(errno, std::generic_category(), "mkdir " + path_ + "/etc");
  }
}

ScratchRoot::~ScratchRoot() { sbx::RemoveTree(path_); }

void ScratchRoot::Clear() {
  unlink((path_ + "/etc/passwd").c_str());
  unlink((path_ + "/etc/group").c_str());
}

}  // namespace sbx_bench
