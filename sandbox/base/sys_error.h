// The one error of the sandbox start: either an input was refused before anything was done
// (no errno), or a step failed with the errno the kernel gave. It names the step and what
// the step acted on. Across a process boundary (the lix helper's pipe, the builder's error
// pipe) it travels as Encode()'s text and comes back whole with Decode().
#pragma once

#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sbx {

class SysError : public std::runtime_error {
 public:
  // A step failed with `error` (an errno; 0 when no syscall's failure is behind it).
  SysError(std::string step, int error)
      : std::runtime_error(error ? step + ": " + std::strerror(error) : step),
        step_(std::move(step)),
        errno_(error) {}

  // An input refused before anything was done.
  static SysError Refused(std::string why) { return SysError(std::move(why), 0); }

  const std::string& step() const { return step_; }
  int error() const { return errno_; }
  bool refused() const { return errno_ == 0; }

  // The same error with `context` before its step ("CONTEXT: STEP").
  SysError Within(const std::string& context) const {
    return SysError(context + ": " + step_, errno_);
  }

  // "ERRNO STEP", for a pipe or a buffer shared with another process.
  std::string Encode() const { return std::to_string(errno_) + " " + step_; }
  // Encode()'s text back; text in any other form is a step without an errno.
  static SysError Decode(std::string_view text) {
    const size_t space = text.find(' ');
    int error = 0;
    for (size_t i = 0; space != std::string_view::npos && i < space; ++i) {
      if (text[i] < '0' || text[i] > '9' || error > 100000) return SysError(std::string(text), 0);
      error = error * 10 + (text[i] - '0');
    }
    if (space == std::string_view::npos || space == 0) return SysError(std::string(text), 0);
    return SysError(std::string(text.substr(space + 1)), error);
  }

 private:
  std::string step_;
  int errno_;
};

}  // namespace sbx
