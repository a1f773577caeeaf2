// The `sbx` command line (README.md, docs/spec.md): files, check-map and run. Parsing only:
// nothing here starts a process, touches a file or exits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sandbox/rules/passwd.h"
#include "sandbox/rules/start_mode.h"

namespace sbx {

// How `sbx run` starts the child: as the seed (Lix) does, or the faster variant.

struct FilesCommand {
  std::optional<uint32_t> build_uid;  // set together with build_gid
  std::optional<uint32_t> build_gid;
  std::optional<uint32_t> uid_count;  // only with a build user; >= 1
  bool use_user_namespace = true;
  std::string build_dir{kDefaultBuildDir};
};

struct CheckMapCommand {
  bool unprivileged = false;  // written by a non-root owner instead of root
  uint32_t euid = 0;          // the unprivileged writer's effective uid
};

struct RunCommand {
  StartMode mode = StartMode::kLix;
  std::optional<uint32_t> build_uid;  // set together with build_gid
  std::optional<uint32_t> build_gid;
  std::optional<uint32_t> uid_count;  // only with a build user; >= 1
  bool share_network = false;
  bool use_user_namespace = true;
  std::string build_dir{kDefaultBuildDir};
  bool build_dir_tmpfs = false;
  bool kvm = true;
  std::optional<std::string> cgroup;  // directory of a cgroup to place the child in
  std::optional<std::string> root;    // directory to use as the sandbox root
  bool timing = false;
  std::vector<std::string> argv;  // CMD..., never empty
};

// --help, -h or `help [COMMAND]`: print `text` on stdout, exit 0.
struct HelpRequest {
  std::string text;
};

// --version or `version`: print `text` ("sbx VERSION\n") on stdout, exit 0.
struct VersionRequest {
  std::string text;
};

using SbxCommand =
    std::variant<HelpRequest, VersionRequest, FilesCommand, CheckMapCommand, RunCommand>;

struct ParsedArgs {
  std::optional<SbxCommand> command;  // empty on error
  std::string error;                  // on error: one line, without the "sbx: error: " prefix
  std::string command_name;           // "files", "check-map", "run" or "" when unknown
};

// `args` are the arguments after argv[0].
ParsedArgs ParseSbxArgs(const std::vector<std::string>& args);

// Exit status for a usage error: 125 for run (errors before CMD starts), else 2.
int UsageErrorExitCode(const ParsedArgs& parsed);

std::string SbxUsage();
// Help for one command; empty for an unknown command.
std::string SbxCommandHelp(std::string_view command);

}  // namespace sbx
