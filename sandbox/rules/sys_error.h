// The error every failing step of the sandbox start throws: the step, what it acted on, and
// the errno the kernel gave (0 when the failure was not a syscall's).
#pragma once

#include <cstring>
#include <stdexcept>
#include <string>

namespace sbx {

class SysError : public std::runtime_error {
 public:
  SysError(std::string step, int error)
      : std::runtime_error(error ? step + ": " + std::strerror(error) : step),
        step_(std::move(step)),
        errno_(error) {}

  const std::string& step() const { return step_; }
  int error() const { return errno_; }

 private:
  std::string step_;
  int errno_;
};

}  // namespace sbx
