// Fuzzes the `sbx` argument parser (sandbox/cli/sbx_args.h). The input is an argument vector,
// arguments separated by NUL as in /proc/PID/cmdline. Properties: the parser is
// deterministic; every rejection is one clear line ("sbx: error: " + it is what users see)
// with the right exit code; every accepted command is self-consistent, reflects the values
// given, and survives being written back as canonical arguments and parsed again.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fuzz/print_input.h"
#include "sandbox/cli/sbx_args.h"

namespace {

using sbx::CheckMapCommand;
using sbx::FilesCommand;
using sbx::HelpRequest;
using sbx::RunCommand;
using sbx::VersionRequest;

std::vector<std::string> SplitArgs(std::string_view input) {
  std::vector<std::string> args;
  if (input.empty()) return args;
  size_t start = 0;
  for (;;) {
    size_t nul = input.find('\0', start);
    args.emplace_back(input.substr(start, nul - start));
    if (nul == std::string_view::npos) break;
    start = nul + 1;
  }
  return args;
}

[[noreturn]] void Fail(const char* property, const std::vector<std::string>& args,
                       const sbx::ParsedArgs& parsed) {
  std::fprintf(stderr, "sbx_args property violated: %s\nargs:", property);
  for (const std::string& arg : args) {
    std::fputc(' ', stderr);
    sbx::fuzz::PrintQuoted(arg);
  }
  std::fprintf(stderr, "\ncommand_name: \"%s\" error: \"%s\"\n", parsed.command_name.c_str(),
               parsed.error.c_str());
  __builtin_trap();
}

std::string Num(std::optional<uint32_t> value) { return std::to_string(value.value_or(0)); }

// Canonical arguments for an accepted command; text values inline ("--opt=VALUE") since a
// separate value may not start with "--".
std::vector<std::string> Canonical(const sbx::SbxCommand& command) {
  std::vector<std::string> args;
  auto build_user = [&args](const std::optional<sbx::BuildUser>& user) {
    if (!user) return;
    args.insert(args.end(), {"--build-uid", Num(user->uid), "--build-gid", Num(user->gid),
                             "--uid-count=" + Num(user->count)});
  };
  if (const auto* files = std::get_if<FilesCommand>(&command)) {
    args.push_back("files");
    build_user(files->config.build_user);
    if (!files->config.use_user_namespace) args.push_back("--no-user-namespace");
    args.push_back("--build-dir=" + files->config.build_dir);
  } else if (const auto* check = std::get_if<CheckMapCommand>(&command)) {
    args.push_back("check-map");
    if (check->unprivileged)
      args.insert(args.end(), {"--unprivileged", "--euid", Num(check->euid)});
  } else if (const auto* run = std::get_if<RunCommand>(&command)) {
    args.push_back("run");
    const sbx::StartConfig& start = run->config.start;
    args.push_back(start.mode == sbx::StartMode::kLix ? "--mode=lix" : "--mode=fast");
    build_user(start.build_user);
    if (!start.private_network) args.push_back("--share-network");
    if (!start.use_user_namespace) args.push_back("--no-user-namespace");
    args.push_back("--build-dir=" + start.build_dir);
    if (start.build_dir_tmpfs) args.push_back("--build-dir-tmpfs");
    if (!start.kvm) args.push_back("--no-kvm");
    if (start.cgroup) args.push_back("--cgroup=" + *start.cgroup);
    if (run->config.root) args.push_back("--root=" + *run->config.root);
    if (run->timing) args.push_back("--timing");
    args.push_back("--");
    args.insert(args.end(), start.command.begin(), start.command.end());
  }
  return args;
}

bool Same(const sbx::SbxCommand& a, const sbx::SbxCommand& b) {
  if (a.index() != b.index()) return false;
  if (const auto* x = std::get_if<HelpRequest>(&a)) return x->text == std::get<HelpRequest>(b).text;
  if (const auto* x = std::get_if<VersionRequest>(&a)) {
    return x->text == std::get<VersionRequest>(b).text;
  }
  if (const auto* x = std::get_if<FilesCommand>(&a)) {
    const auto& y = std::get<FilesCommand>(b);
    return x->config.build_user == y.config.build_user &&
           x->config.use_user_namespace == y.config.use_user_namespace &&
           x->config.build_dir == y.config.build_dir;
  }
  if (const auto* x = std::get_if<CheckMapCommand>(&a)) {
    const auto& y = std::get<CheckMapCommand>(b);
    return x->unprivileged == y.unprivileged && x->euid == y.euid;
  }
  const auto& x = std::get<RunCommand>(a);
  const auto& y = std::get<RunCommand>(b);
  const sbx::StartConfig& u = x.config.start;
  const sbx::StartConfig& v = y.config.start;
  return u.mode == v.mode && u.build_user == v.build_user &&
         u.private_network == v.private_network && u.use_user_namespace == v.use_user_namespace &&
         u.build_dir == v.build_dir && u.build_dir_tmpfs == v.build_dir_tmpfs && u.kvm == v.kvm &&
         u.cgroup == v.cgroup && x.config.root == y.config.root && x.timing == y.timing &&
         u.command == v.command;
}

// The arguments before "--" (the options a user wrote).
std::vector<std::string> OptionPart(const std::vector<std::string>& args) {
  std::vector<std::string> part;
  for (size_t i = 1; i < args.size() && args[i] != "--"; ++i) part.push_back(args[i]);
  return part;
}

// Value given for --NAME (inline or as the next argument), if any.
std::optional<std::string> Given(const std::vector<std::string>& options, std::string_view name) {
  std::string flag = "--" + std::string(name);
  for (size_t i = 0; i < options.size(); ++i) {
    if (options[i].starts_with(flag + "=")) return options[i].substr(flag.size() + 1);
    if (options[i] == flag && i + 1 < options.size()) return options[i + 1];
  }
  return std::nullopt;
}

bool Present(const std::vector<std::string>& options, std::string_view flag) {
  for (const std::string& option : options) {
    if (option == flag) return true;
  }
  return false;
}

// A number option must hold the value the user wrote (decimal, leading zeros allowed).
bool Reflects(const std::vector<std::string>& options, std::string_view name,
              std::optional<uint32_t> value) {
  std::optional<std::string> text = Given(options, name);
  if (text.has_value() != value.has_value()) return false;
  if (!text) return true;
  uint64_t parsed = 0;
  for (char c : *text) {
    if (c < '0' || c > '9') return false;
    parsed = parsed * 10 + static_cast<uint64_t>(c - '0');
    if (parsed > 0xFFFFFFFFu) return false;
  }
  return !text->empty() && parsed == *value;
}

void CheckBuildUser(const std::vector<std::string>& args, const sbx::ParsedArgs& parsed,
                    const std::optional<sbx::BuildUser>& user) {
  std::vector<std::string> options = OptionPart(args);
  if (user && user->count == 0) Fail("uid count of zero", args, parsed);
  const std::optional<uint32_t> uid = user ? std::optional(user->uid) : std::nullopt;
  const std::optional<uint32_t> gid = user ? std::optional(user->gid) : std::nullopt;
  const std::optional<uint32_t> count = user ? std::optional(user->count) : std::nullopt;
  // Spec 21, restated: slot N's ids start at 0x34000000 + N*65536; all 65536 with uid-range.
  if (std::optional<std::string> slot = Given(options, "auto-build-user")) {
    const uint64_t first = 0x34000000ull + std::stoull(*slot) * 65536;
    const bool range = Present(options, "--uid-range");
    if (Given(options, "build-uid") || Given(options, "build-gid") || Given(options, "uid-count") ||
        uid != first || gid != first || count != (range ? 65536u : 1u) ||
        first + (range ? 65536 : 1) > 0xFFFFFFFFull) {
      Fail("auto build user differs from its slot", args, parsed);
    }
    return;
  }
  // Without --uid-count a build user owns one id.
  const bool count_given = Given(options, "uid-count").has_value();
  if (!Reflects(options, "build-uid", uid) || !Reflects(options, "build-gid", gid) ||
      !Reflects(options, "uid-count", count_given ? count : std::nullopt) ||
      (!count_given && user && user->count != 1)) {
    Fail("build user differs from the arguments", args, parsed);
  }
}

void CheckAccepted(const std::vector<std::string>& args, const sbx::ParsedArgs& parsed) {
  const sbx::SbxCommand& command = *parsed.command;
  std::vector<std::string> options = OptionPart(args);
  if (const auto* help = std::get_if<HelpRequest>(&command)) {
    if (!help->text.starts_with("usage: sbx")) Fail("help text is not a usage text", args, parsed);
    return;
  }
  if (const auto* version = std::get_if<VersionRequest>(&command)) {
    if (args.size() != 1 || !version->text.starts_with("sbx ")) Fail("version", args, parsed);
    return;
  }
  if (parsed.command_name != args[0]) Fail("command name differs from argv[1]", args, parsed);
  if (const auto* files = std::get_if<FilesCommand>(&command)) {
    CheckBuildUser(args, parsed, files->config.build_user);
    if (files->config.use_user_namespace == Present(options, "--no-user-namespace")) {
      Fail("--no-user-namespace not reflected", args, parsed);
    }
    if (files->config.build_dir != Given(options, "build-dir").value_or("/build")) {
      Fail("build dir differs from the arguments", args, parsed);
    }
  } else if (const auto* check = std::get_if<CheckMapCommand>(&command)) {
    if (check->unprivileged != Present(options, "--unprivileged")) {
      Fail("--unprivileged not reflected", args, parsed);
    }
    if (!Reflects(options, "euid",
                  check->unprivileged ? std::optional<uint32_t>(check->euid) : std::nullopt)) {
      Fail("euid differs from the arguments", args, parsed);
    }
  } else if (const auto* run = std::get_if<RunCommand>(&command)) {
    const sbx::StartConfig& start = run->config.start;
    const std::vector<std::string>& argv = start.command;
    CheckBuildUser(args, parsed, start.build_user);
    if (argv.empty()) Fail("run accepted without a command", args, parsed);
    size_t dashes = options.size() + 1;
    if (dashes >= args.size() || args[dashes] != "--" ||
        !std::equal(argv.begin(), argv.end(), args.begin() + dashes + 1, args.end()) ||
        argv.size() != args.size() - dashes - 1) {
      Fail("run's command is not exactly the words after '--'", args, parsed);
    }
    if (start.private_network == Present(options, "--share-network") ||
        run->timing != Present(options, "--timing") ||
        start.use_user_namespace == Present(options, "--no-user-namespace") ||
        start.build_dir_tmpfs != Present(options, "--build-dir-tmpfs") ||
        start.kvm == Present(options, "--no-kvm") || start.cgroup != Given(options, "cgroup") ||
        run->config.root != Given(options, "root") ||
        start.build_dir != Given(options, "build-dir").value_or("/build")) {
      Fail("run's options differ from the arguments", args, parsed);
    }
  }
  std::vector<std::string> canonical = Canonical(command);
  sbx::ParsedArgs again = sbx::ParseSbxArgs(canonical);
  if (!again.command || !Same(*again.command, command)) {
    Fail("canonical arguments do not parse to the same command", canonical, again);
  }
}

void CheckRejected(const std::vector<std::string>& args, const sbx::ParsedArgs& parsed) {
  const std::string& error = parsed.error;
  if (error.empty()) Fail("rejected without a message", args, parsed);
  // Printed after "sbx: error: " as one line of a terminal.
  if (error.find('\n') != std::string::npos || error.find('\r') != std::string::npos) {
    Fail("error message is not one line", args, parsed);
  }
  unsigned char first = static_cast<unsigned char>(error[0]);
  if (!(std::islower(first) || first == '-' || first == '\'') || error.starts_with("sbx")) {
    Fail("error message does not start with a lower-case word or the option", args, parsed);
  }
  const std::string& name = parsed.command_name;
  bool known = !args.empty() && (args[0] == "files" || args[0] == "check-map" || args[0] == "run");
  if (name != (known ? args[0] : "")) Fail("command_name is not the command given", args, parsed);
  if (sbx::UsageErrorExitCode(parsed) != (name == "run" ? 125 : 2)) {
    Fail("usage error exit code", args, parsed);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<std::string> args =
      SplitArgs(std::string_view(reinterpret_cast<const char*>(data), size));
  sbx::ParsedArgs parsed = sbx::ParseSbxArgs(args);
  sbx::ParsedArgs again = sbx::ParseSbxArgs(args);
  if (parsed.error != again.error || parsed.command_name != again.command_name ||
      parsed.command.has_value() != again.command.has_value() ||
      (parsed.command && !Same(*parsed.command, *again.command))) {
    Fail("parsing is not deterministic", args, parsed);
  }
  if (parsed.command.has_value() == !parsed.error.empty()) {
    Fail("exactly one of command and error must be set", args, parsed);
  }
  if (parsed.command) {
    CheckAccepted(args, parsed);
  } else {
    CheckRejected(args, parsed);
  }
  return 0;
}
