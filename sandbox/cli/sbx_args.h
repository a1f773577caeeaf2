// The `sbx` command line (README.md, docs/spec.md): files, check-map and run. Parsing only:
// nothing here starts a process, touches a file or exits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sandbox/rules/start_config.h"

namespace sbx {

// `sbx files`: the plan `sbx run` would carry out for this configuration, printed.
struct FilesCommand {
  StartConfig config;  // no command: the builder's id switch is planned, nothing runs
};

struct CheckMapCommand {
  bool unprivileged = false;  // written by a non-root owner instead of root
  uint32_t euid = 0;          // the unprivileged writer's effective uid
};

struct RunCommand {
  RunConfig config;  // config.start.command: CMD..., never empty
  bool timing = false;
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
