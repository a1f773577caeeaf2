// The helper's pid line (spec 6, 8): the helper writes the builder's pid as "%d\n" to the
// sendPid pipe; the parent accepts exactly one decimal token, in pid range, ended by '\n'.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace sbx {

// Formats a pid exactly as the helper writes it.
std::string FormatPidLine(pid_t pid);

// Parses the bytes the parent read from the pipe (up to EOF). Accepts only
// "[1-9][0-9]*\n" whose value is a valid pid (1..2^22, the kernel's PID_MAX_LIMIT).
// On rejection returns nullopt and sets *why to a short reason.
std::optional<pid_t> ParsePidLine(std::string_view bytes, std::string* why);

}  // namespace sbx
