// How a sandboxed command's end is reported, as env(1) and chroot(1) report theirs.
#pragma once

namespace sbx {

// Exit statuses of a builder that never reached its command, as env(1) and chroot(1) use
// them: the sandbox could not be set up; the command was found but could not be run; the
// command was not found.
inline constexpr int kExitSetupFailed = 125;
inline constexpr int kExitCannotExecute = 126;
inline constexpr int kExitNotFound = 127;

}  // namespace sbx
