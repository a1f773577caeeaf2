// Run as a builder (static: a given root needs nothing else): calls setxattr on a path that
// does not exist and prints the errno's message. The kernel would say ENOENT; Nix's seccomp
// filter refuses the call itself with ENOTSUP, whatever the file system supports. Lets a
// test see the filter's answer without a tool (python3, setfattr) in the sandbox.
#include <sys/xattr.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

int main() {
  if (setxattr("/no-such-file", "user.x", "1", 1, 0) == 0) {
    std::puts("allowed");
  } else {
    std::printf("%s\n", std::strerror(errno));
  }
  return 0;
}
