// The `sbx` binary (README.md, docs/spec.md): files, check-map and run.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <variant>
#include <vector>

#include "sandbox/base/sys_error.h"
#include "sandbox/cli/sbx_args.h"
#include "sandbox/rules/exit_codes.h"
#include "sandbox/rules/id_map.h"
#include "sandbox/rules/id_map_kernel_rules.h"
#include "sandbox/rules/start_plan.h"
#include "sandbox/run/leftover_guard.h"
#include "sandbox/run/sandbox.h"

namespace sbx {
namespace {

constexpr int kFilesInvalidInput = 2;
constexpr int kCheckMapRejected = 1;
constexpr int kCheckMapUsage = 2;

void PrintError(const std::string& message) {
  std::string line = "sbx: error: " + message + "\n";
  std::fwrite(line.data(), 1, line.size(), stderr);
}

// Writes all of `text` to stdout; false when stdout fails (e.g. a closed pipe).
bool WriteStdout(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) return false;
  return std::fflush(stdout) == 0;
}

int Files(const FilesCommand& command) {
  // The plan `sbx run` carries out, for this host's caller; whether user namespaces work
  // here does not matter to what would be written.
  HostFacts host{.user_namespaces_work = true, .uid = getuid(), .gid = getgid()};
  std::optional<StartPlan> plan;
  try {
    plan = PlanStart(command.config, host);
  } catch (const SysError& e) {
    PrintError(e.what());
    return kFilesInvalidInput;
  }
  // Build everything first so nothing reaches stdout on error.
  std::string out;
  for (const ProcWrite& write : plan->identity.writes) {
    // These files have no trailing newline; one is added here to end the section.
    out += std::string("# ") + UsernsFileName(write.file) + "\n" + write.content + "\n";
  }
  out += "# passwd\n" + plan->etc_files.passwd;
  out += "# group\n" + plan->etc_files.group;
  if (!WriteStdout(out)) {
    PrintError(std::string("writing stdout: ") + std::strerror(errno));
    return kFilesInvalidInput;
  }
  return 0;
}

int CheckMap(const CheckMapCommand& command) {
  // The kernel takes less than a page in one write; reading one byte more than that is
  // enough to decide, whatever the length of stdin (/dev/zero included).
  std::string bytes;
  char buffer[kKernelPageSize + 1];
  while (bytes.size() <= kKernelPageSize) {
    ssize_t n = read(STDIN_FILENO, buffer, sizeof buffer - bytes.size());
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      PrintError(std::string("check-map: reading stdin: ") + std::strerror(errno));
      return kCheckMapUsage;
    }
    bytes.append(buffer, static_cast<size_t>(n));
  }
  MapWriter writer;
  writer.privileged = !command.unprivileged;
  writer.euid = command.euid;
  MapVerdict verdict = CheckMapWrite(bytes, MapKind::kUid, writer);
  if (!verdict.accepted) {
    std::string line = "sbx: check-map: " + verdict.reason + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
    return kCheckMapRejected;
  }
  std::string out;
  for (const IdExtent& extent : verdict.extents) out += FormatIdExtent(extent) + "\n";
  if (!WriteStdout(out)) {
    PrintError(std::string("writing stdout: ") + std::strerror(errno));
    return kCheckMapUsage;
  }
  return 0;
}

// SBX_FORCE_FALLBACK=clone,mount,root: take the older kernels' paths where the kernel has
// the newer ones (clone() and cgroup.procs instead of clone3; a remount of each mount
// instead of mount_setattr), and an unprivileged caller's root (a directory, not a private
// tmpfs), so that tests cover both on any kernel.
bool FallbackForced(const char* name) {
  const char* list = std::getenv("SBX_FORCE_FALLBACK");
  if (!list) return false;
  const std::string padded = "," + std::string(list) + ",";
  return padded.find("," + std::string(name) + ",") != std::string::npos;
}

int Run(RunCommand command) {
  command.config.start.force_clone_fallback = FallbackForced("clone");
  command.config.force_remount = FallbackForced("mount");
  command.config.force_directory_root = FallbackForced("root");
  command.config.exits_after_run = true;
  auto print_timings = [&command](const StartedRun& started) {
    if (command.timing) std::fprintf(stderr, "%s\n", TimingsJson(started).c_str());
  };
  int status = kExitSetupFailed;
  try {
    const RunResult result = RunInSandbox(command.config, print_timings);
    if (result.builder_error) PrintError(result.builder_error->what());
    status = result.exit_code;
  } catch (const SysError& e) {
    PrintError(e.what());
  }
  // The leftover guard shares our fd table and ends just after us (leftover_guard.h): our
  // stdio closed now, whoever reads our output sees its end when we exit, not when it does.
  std::fflush(nullptr);
  for (int fd = 0; fd <= 2; ++fd) close(fd);
  return status;
}

int Main(const std::vector<std::string>& args) {
  ParsedArgs parsed = ParseSbxArgs(args);
  if (!parsed.command) {
    PrintError(parsed.error);
    return UsageErrorExitCode(parsed);
  }
  const SbxCommand& command = *parsed.command;
  if (const auto* help = std::get_if<HelpRequest>(&command)) {
    return WriteStdout(help->text) ? 0 : kFilesInvalidInput;
  }
  if (const auto* version = std::get_if<VersionRequest>(&command)) {
    return WriteStdout(version->text) ? 0 : kFilesInvalidInput;
  }
  if (const auto* files = std::get_if<FilesCommand>(&command)) return Files(*files);
  if (const auto* check = std::get_if<CheckMapCommand>(&command)) return CheckMap(*check);
  return Run(std::get<RunCommand>(command));
}

}  // namespace
}  // namespace sbx

int main(int argc, char** argv) {
  // What a leftover guard execs after sbx was killed (leftover_guard.h); not a user command.
  if (std::optional<int> status = sbx::LeftoverCleanupRequested(argc, argv)) return *status;
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  try {
    return sbx::Main(args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sbx: error: %s\n", e.what());
    return args.empty() || args[0] != "run" ? 2 : 125;
  }
}
