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

// Parses the line the parent read from the pipe. Accepts only "[1-9][0-9]*\n" whose value
// is a valid pid: 1 to PID_MAX_LIMIT - 1 (2^22 - 1; pids are below pid_max <= PID_MAX_LIMIT).
// On rejection returns nullopt and sets *why to a short reason.
std::optional<pid_t> ParsePidLine(std::string_view bytes, std::string* why);

}  // namespace sbx
