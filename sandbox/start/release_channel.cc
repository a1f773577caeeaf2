#include "sandbox/start/release_channel.h"

#include <fcntl.h>
#include <sys/syscall.h>

#include <cerrno>

#include "sandbox/base/raw_syscall.h"
#include "sandbox/base/sys_error.h"
#include "sandbox/base/syscalls.h"

namespace sbx {

ReleaseChannel ReleaseChannel::Open() {
  int fds[2];
  if (sys::Pipe2(fds, O_CLOEXEC) < 0) throw SysError("creating the release pipe", errno);
  ReleaseChannel channel;
  channel.read_.reset(fds[0]);
  channel.write_.reset(fds[1]);
  return channel;
}

void ReleaseChannel::Release() {
  ssize_t n = sys::Write(write_.get(), "1\n", 2);
  int error = errno;
  write_.reset();
  if (n != 2) throw SysError("releasing the child (write to release pipe)", n < 0 ? error : EIO);
}

void ReleaseChannel::Abort() noexcept {
  if (write_) (void)!sys::Write(write_.get(), "0\n", 2);
  write_.reset();
}

ReleaseChannel::Verdict ReleaseChannel::AwaitRelease(int read_fd, int write_fd) {
  raw::Syscall3(SYS_close, write_fd, 0, 0);
  char line[2];
  size_t got = 0;
  while (got < sizeof line) {
    long n = raw::Syscall3(SYS_read, read_fd, reinterpret_cast<long>(line + got), 1);
    if (n == -EINTR) continue;
    if (n <= 0) return Verdict::kBroken;  // EOF: the parent died
    if (line[got++] == '\n') break;
  }
  if (got != 2 || line[1] != '\n') return Verdict::kBroken;
  if (line[0] == '1') return Verdict::kGo;
  return line[0] == '0' ? Verdict::kAborted : Verdict::kBroken;
}

}  // namespace sbx
