#include "testing/scratch_dir.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "sandbox/root/remove_tree.h"
#include "testing/file_read.h"

namespace sbx::testing {
namespace {

void AddTree(const std::string& dir, const std::string& prefix,
             std::map<std::string, std::string>& entries) {
  DIR* d = opendir(dir.c_str());
  if (!d) {
    entries[prefix + "(cannot open)"] = std::strerror(errno);
    return;
  }
  while (const dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = dir + "/" + name, rel = prefix + name;
    struct stat st;
    if (lstat(path.c_str(), &st) != 0) continue;
    if (S_ISLNK(st.st_mode)) {
      char target[4096];
      const ssize_t n = readlink(path.c_str(), target, sizeof target);
      entries[rel] = "link:" + std::string(target, n > 0 ? n : 0);
    } else if (S_ISDIR(st.st_mode)) {
      entries[rel] = "dir";
      AddTree(path, rel + "/", entries);
    } else if (S_ISREG(st.st_mode)) {
      entries[rel] = "file:" + ReadWholeFile(path).value_or("(unreadable)");
    } else {
      entries[rel] = "other";
    }
  }
  closedir(d);
}

}  // namespace

std::map<std::string, std::string> TreeOf(const std::string& dir) {
  std::map<std::string, std::string> entries;
  AddTree(dir, "", entries);
  return entries;
}

ScratchDir::ScratchDir(const std::string& prefix) {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  if (mkdtemp(tmpl.data())) path_ = tmpl;
}

bool ScratchDir::RemoveAll(const std::string& path) { return path.empty() || RemoveTree(path); }

}  // namespace sbx::testing
