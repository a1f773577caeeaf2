#include "sandbox/base/read_to_end.h"

#include <unistd.h>

#include <cerrno>

namespace sbx {

std::string ReadToEnd(int fd) {
  std::string text;
  char buf[4096];
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace sbx
