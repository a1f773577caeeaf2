// Fuzzes the helper's pid line parser (spec 6, 8) against an independent statement of its
// contract: accepted exactly when the bytes are one canonical decimal pid in 1..2^22 ended
// by '\n', and then FormatPidLine gives the same bytes back.
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz/print_input.h"
#include "sandbox/rules/pid_line.h"

namespace {

// The parser's documented range (pid_line.h): 1..PID_MAX_LIMIT - 1.
constexpr int64_t kMaxPid = (int64_t{1} << 22) - 1;

[[noreturn]] void Fail(const char* property, std::string_view input) {
  std::fprintf(stderr, "pid_line property violated: %s; ", property);
  sbx::fuzz::PrintInput(input);
  __builtin_trap();
}

// The contract, written without looking at the parser: digits, no leading zero, in range,
// then exactly one '\n' as the last byte.
std::optional<int64_t> ExpectedPid(std::string_view bytes) {
  if (bytes.size() < 2 || bytes.back() != '\n') return std::nullopt;
  std::string_view digits = bytes.substr(0, bytes.size() - 1);
  if (digits.size() > 7 || digits[0] == '0') return std::nullopt;  // 2^22 has 7 digits
  int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value < 1 || value > kMaxPid) return std::nullopt;
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);

  std::string why;
  std::optional<pid_t> parsed = sbx::ParsePidLine(input, &why);
  std::optional<int64_t> expected = ExpectedPid(input);
  if (parsed.has_value() != expected.has_value()) {
    Fail(parsed ? "accepted a line outside the contract" : "rejected a valid pid line", input);
  }
  if (parsed) {
    if (*parsed != *expected) Fail("parsed value differs from the decimal token", input);
    if (sbx::FormatPidLine(*parsed) != input) Fail("FormatPidLine does not round-trip", input);
  } else if (why.empty()) {
    Fail("rejection without a reason", input);
  }
  // A null reason pointer is allowed and must not change the verdict.
  if (sbx::ParsePidLine(input, nullptr) != parsed) Fail("verdict depends on why", input);

  // Whatever pid the input spells in its first bytes must survive Format then Parse when it
  // is in range, and be rejected otherwise (what the helper writes is what the parent reads).
  pid_t pid = 0;
  std::memcpy(&pid, data, size < sizeof(pid) ? size : sizeof(pid));
  std::optional<pid_t> back = sbx::ParsePidLine(sbx::FormatPidLine(pid), nullptr);
  bool in_range = pid >= 1 && pid <= kMaxPid;
  if (in_range != back.has_value()) Fail("Format/Parse disagree on the pid range", input);
  if (back && *back != pid) Fail("Format/Parse changed the pid", input);
  return 0;
}
