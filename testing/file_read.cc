#include "testing/file_read.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace sbx::testing {

std::optional<std::string> ReadToEnd(int fd) {
  std::string out;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;
    if (n == 0) return out;
    out.append(buffer, static_cast<size_t>(n));
  }
}

std::optional<std::string> ReadWholeFile(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::optional<std::string> text = ReadToEnd(fd);
  close(fd);
  return text;
}

}  // namespace sbx::testing
