#include "testing/scratch_dir.h"

#include <ftw.h>
#include <unistd.h>

#include <cstdlib>

namespace sbx::testing {
namespace {

int RemoveEntry(const char* path, const struct stat*, int type, struct FTW*) {
  (type == FTW_DP ? rmdir : unlink)(path);
  return 0;
}

}  // namespace

ScratchDir::ScratchDir(const std::string& prefix) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  if (mkdtemp(tmpl.data())) path_ = tmpl;
}

void ScratchDir::RemoveAll(const std::string& path) {
  if (!path.empty() && access(path.c_str(), F_OK) == 0) {
    nftw(path.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  }
}

}  // namespace sbx::testing
