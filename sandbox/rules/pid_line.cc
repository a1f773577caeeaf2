#include "sandbox/rules/pid_line.h"

#include <cstdint>

namespace sbx {
namespace {
// The largest pid a 64-bit kernel hands out: PID_MAX_LIMIT (include/linux/threads.h) - 1.
constexpr int64_t kMaxPid = 4 * 1024 * 1024 - 1;
}  // namespace

std::string FormatPidLine(pid_t pid) { return std::to_string(pid) + "\n"; }

std::optional<pid_t> ParsePidLine(std::string_view bytes, std::string* why) {
  auto fail = [why](const char* reason) -> std::optional<pid_t> {
    if (why) *why = reason;
    return std::nullopt;
  };
  if (bytes.empty()) return fail("helper sent no pid (EOF)");
  if (bytes.back() != '\n') return fail("pid line does not end with a newline");
  std::string_view digits = bytes.substr(0, bytes.size() - 1);
  if (digits.empty()) return fail("pid line is empty");
  if (digits.front() == '0') return fail("pid has a leading zero or is zero");
  int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return fail("pid line holds something other than one decimal number");
    value = value * 10 + (c - '0');
    if (value > kMaxPid) return fail("pid is out of range");
  }
  return static_cast<pid_t>(value);
}

}  // namespace sbx
