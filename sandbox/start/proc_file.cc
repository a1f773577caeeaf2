#include "sandbox/start/proc_file.h"

#include <fcntl.h>

#include <string>

#include "sandbox/base/syscalls.h"

namespace sbx {

UniqueFd OpenProcFile(pid_t pid, const char* name, int flags) {
  const std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  return UniqueFd(sys::OpenAt(AT_FDCWD, path.c_str(), flags | O_CLOEXEC));
}

}  // namespace sbx
