#include "sandbox/cli/sbx_args.h"

#include <set>

#include "sandbox/base/escape.h"
#include "sandbox/rules/identity.h"

namespace sbx {
namespace {

// sbx's version: raise it when the command line's contract or the sandbox it starts changes.
constexpr std::string_view kVersion = "0.1.0";

constexpr std::string_view kFilesHelp =
    "usage: sbx files [--build-uid U --build-gid G [--uid-count N]\n"
    "                  | --auto-build-user SLOT [--uid-range]] [--no-user-namespace]\n"
    "                 [--build-dir PATH]\n"
    "Prints the files the sandbox start would write, each as a header line then the exact\n"
    "content, in write order: # uid_map, # setgroups, # gid_map, # passwd, # group.\n"
    "A section that would not be written is left out. The id-map and setgroups files have\n"
    "no trailing newline; a '\\n' is printed after them to end the section.\n"
    "Without a build user the caller's real uid/gid are used. Invalid input: exit 2.\n"
    "  --auto-build-user SLOT  Nix's auto-allocate-uids: the build user of slot SLOT\n"
    "                 (uid = gid = 872415232 + SLOT*65536); --uid-range gives it all 65536\n"
    "                 ids of the slot (Nix's uid-range feature), else one\n";

constexpr std::string_view kCheckMapHelp =
    "usage: sbx check-map [--unprivileged --euid N]\n"
    "Reads a uid_map text from stdin and decides as the running kernel would for one write\n"
    "of those bytes to /proc/PID/uid_map of a fresh user namespace, written by root of the\n"
    "initial namespace or, with --unprivileged, by the namespace's owner with effective uid N\n"
    "and no capabilities. Accepted: exit 0 and one line INSIDE OUTSIDE COUNT per extent.\n"
    "Rejected: exit 1 and 'sbx: check-map: REASON' on stderr. Usage errors: exit 2.\n";

constexpr std::string_view kRunHelp =
    "usage: sbx run [--mode lix|fast] [--build-uid U --build-gid G [--uid-count N]\n"
    "                | --auto-build-user SLOT [--uid-range]] [--share-network]\n"
    "               [--no-user-namespace] [--build-dir PATH] [--build-dir-tmpfs]\n"
    "               [--no-kvm] [--cgroup DIR] [--root DIR] [--timing] -- CMD...\n"
    "Runs CMD in the sandbox and exits with its status (128+N for signal N); 125 when the\n"
    "sandbox could not be set up, 126 when CMD cannot be executed, 127 when it is not found.\n"
    "The builder gets fds 0-2 only, no new privileges, Nix's seccomp filter (no setuid or\n"
    "setgid files, no xattrs), read-only nosuid nodev host binds all the way down, Nix's\n"
    "environment (NIX_STORE, NIX_BUILD_CORES, ...) and a build dir of its own, mode 0700:\n"
    "as Nix's, a new directory beneath $TMPDIR (else /tmp), bound nosuid nodev, removed\n"
    "afterwards whatever the builder left in it. Nothing else is written outside the root;\n"
    "a root that is the host's / or holds its /etc is refused. SIGINT, SIGTERM and SIGHUP\n"
    "kill the builder, remove what sbx made and exit 128+N.\n"
    "  --mode lix     start as Lix does: a forked helper clones with CLONE_PARENT (default)\n"
    "  --mode fast    the same sandbox without copying the parent (vfork-style, clone3)\n"
    "  --auto-build-user SLOT  the build user of Nix's auto-allocate-uids slot SLOT;\n"
    "                 with --uid-range its 65536 ids (see 'sbx help files')\n"
    "  --share-network    keep the host's network (fixed-output builds); else only lo\n"
    "  --no-user-namespace  root with a build user only (neither root nor the caller):\n"
    "                 the builder runs as that user\n"
    "  --build-dir PATH   the build dir's path in the sandbox (default /build)\n"
    "  --build-dir-tmpfs  a tmpfs there instead of a host directory (in memory, not on\n"
    "                 disk); also what an unprivileged caller with a uid range gets\n"
    "  --no-kvm       no /dev/kvm; by default the host's is bound in where the caller may\n"
    "                 read and write it, as Nix's kvm system feature\n"
    "  --cgroup DIR   create the cgroup v2 DIR, start CMD in it, kill and remove it after\n"
    "  --root DIR     use DIR as the root (etc/ is written there); default: a fresh root\n"
    "                 with read-only /usr, /bin, /sbin, /lib, /lib64 from the host, on a\n"
    "                 tmpfs of its own where the caller may mount one, else in /dev/shm\n"
    "  --timing       print the start's phases in microseconds as one JSON line on stderr:\n"
    "                 setup, clone, prepare (the root's contents and the build dir: after\n"
    "                 the clone in fast mode), maps, files, nsfds, cgroup, release (and\n"
    "                 fast mode's handoff), clone_to_release and call_to_release,\n"
    "                 and \"paths\": the syscalls the kernel allowed (clone3 or clone,\n"
    "                 mount_setattr or remount) and the root (tmpfs, directory or given)\n"
    "Environment: SBX_FORCE_FALLBACK=clone,mount,root takes older kernels' paths (tests).\n";

enum class Arg { kNone, kNumber, kText };

struct OptionSpec {
  std::string_view name;
  Arg arg;
};

// Options each command accepts (without the leading "--").
const std::vector<OptionSpec>& OptionsOf(std::string_view command) {
  static const std::vector<OptionSpec> files = {
      {"build-uid", Arg::kNumber}, {"build-gid", Arg::kNumber},
      {"uid-count", Arg::kNumber}, {"auto-build-user", Arg::kNumber},
      {"uid-range", Arg::kNone},   {"no-user-namespace", Arg::kNone},
      {"build-dir", Arg::kText}};
  static const std::vector<OptionSpec> check_map = {{"unprivileged", Arg::kNone},
                                                    {"euid", Arg::kNumber}};
  static const std::vector<OptionSpec> run = {{"mode", Arg::kText},
                                              {"build-uid", Arg::kNumber},
                                              {"build-gid", Arg::kNumber},
                                              {"uid-count", Arg::kNumber},
                                              {"share-network", Arg::kNone},
                                              {"no-user-namespace", Arg::kNone},
                                              {"build-dir", Arg::kText},
                                              {"build-dir-tmpfs", Arg::kNone},
                                              {"no-kvm", Arg::kNone},
                                              {"cgroup", Arg::kText},
                                              {"root", Arg::kText},
                                              {"timing", Arg::kNone},
                                              {"auto-build-user", Arg::kNumber},
                                              {"uid-range", Arg::kNone}};
  if (command == "files") return files;
  if (command == "check-map") return check_map;
  return run;
}

// Unsigned decimal in [0, 2^32-1]: digits only, no sign, no base prefix.
bool ParseU32(std::string_view text, uint32_t* out, std::string* why) {
  if (text.empty()) {
    *why = "is empty";
    return false;
  }
  if (text.front() == '-') {
    *why = "is negative";
    return false;
  }
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      *why = "is not an unsigned decimal number";
      return false;
    }
    value = value * 10 + static_cast<uint64_t>(c - '0');
    if (value > 0xFFFFFFFFull) {
      *why = "is out of range (0..4294967295)";
      return false;
    }
  }
  *out = static_cast<uint32_t>(value);
  return true;
}

// One option occurrence: name (without "--") and its value if it takes one.
struct Option {
  std::string name;
  std::string value;
};

struct Scan {
  std::vector<Option> options;
  std::vector<std::string> after_dashes;  // words after "--"
  bool saw_dashes = false;
  bool help = false;
  std::string error;
};

Scan ScanOptions(std::string_view command, const std::vector<std::string>& args) {
  Scan scan;
  const std::vector<OptionSpec>& specs = OptionsOf(command);
  std::set<std::string> seen;
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      if (command != "run") {
        scan.error = "'--' is not used by " + std::string(command);
        return scan;
      }
      scan.saw_dashes = true;
      scan.after_dashes.assign(args.begin() + static_cast<std::ptrdiff_t>(i) + 1, args.end());
      return scan;
    }
    if (arg == "-h" || arg == "--help") {
      scan.help = true;
      continue;
    }
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) {
      scan.error = "unexpected argument '" + arg + "' for " + std::string(command) +
                   (command == "run" ? " (put the command after '--')" : "");
      return scan;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& candidate : specs) {
      if (candidate.name == name) spec = &candidate;
    }
    if (spec == nullptr) {
      scan.error = "unknown option '--" + name + "' for " + std::string(command);
      return scan;
    }
    if (!seen.insert(name).second) {
      scan.error = "option --" + name + " given more than once";
      return scan;
    }
    Option option{name, ""};
    if (spec->arg == Arg::kNone) {
      if (inline_value) {
        scan.error = "option --" + name + " takes no value";
        return scan;
      }
    } else if (inline_value) {
      option.value = *inline_value;
    } else if (i + 1 < args.size() && args[i + 1].compare(0, 2, "--") != 0) {
      option.value = args[++i];
    } else {
      scan.error = "option --" + name + " needs a value";
      return scan;
    }
    if (spec->arg == Arg::kNumber) {
      uint32_t unused;
      std::string why;
      if (!ParseU32(option.value, &unused, &why)) {
        scan.error = "--" + name + " '" + option.value + "' " + why;
        return scan;
      }
    } else if (spec->arg == Arg::kText && option.value.empty()) {
      scan.error = "option --" + name + " needs a non-empty value";
      return scan;
    }
    scan.options.push_back(std::move(option));
  }
  return scan;
}

bool Has(const std::vector<Option>& options, std::string_view name) {
  for (const Option& option : options) {
    if (option.name == name) return true;
  }
  return false;
}

std::optional<std::string> ValueOf(const std::vector<Option>& options, std::string_view name) {
  for (const Option& option : options) {
    if (option.name == name) return option.value;
  }
  return std::nullopt;
}

uint32_t U32(const std::string& text) {
  uint32_t value = 0;
  std::string unused;
  ParseU32(text, &value, &unused);  // already validated by ScanOptions
  return value;
}

// The build-user options shared by files and run, as one value; returns an error or "".
std::string TakeBuildUser(const std::vector<Option>& options, std::optional<BuildUser>* user) {
  const bool uid_range = Has(options, "uid-range");
  if (std::optional<std::string> slot = ValueOf(options, "auto-build-user")) {
    for (const char* explicit_user : {"build-uid", "build-gid", "uid-count"}) {
      if (Has(options, explicit_user)) {
        return "--auto-build-user and --" + std::string(explicit_user) + " exclude each other";
      }
    }
    std::string error;
    *user = AutoBuildUser(U32(*slot), uid_range, &error);
    return *user ? "" : "--auto-build-user: " + error;
  }
  if (uid_range) return "--uid-range needs --auto-build-user";
  const std::optional<std::string> uid = ValueOf(options, "build-uid");
  const std::optional<std::string> gid = ValueOf(options, "build-gid");
  const std::optional<std::string> count = ValueOf(options, "uid-count");
  if (uid.has_value() != gid.has_value()) {
    return uid ? "--build-uid needs --build-gid" : "--build-gid needs --build-uid";
  }
  if (count && !uid) return "--uid-count needs --build-uid and --build-gid";
  if (count && U32(*count) == 0) return "--uid-count must be at least 1";
  if (uid) *user = BuildUser{.uid = U32(*uid), .gid = U32(*gid), .count = count ? U32(*count) : 1};
  return "";
}

ParsedArgs Error(std::string command, std::string_view message) {
  ParsedArgs parsed;
  parsed.command_name = std::move(command);
  parsed.error = EscapeBytes(message);  // one line, whatever the arguments held
  return parsed;
}

ParsedArgs Ok(std::string command, SbxCommand value) {
  ParsedArgs parsed;
  parsed.command_name = std::move(command);
  parsed.command = std::move(value);
  return parsed;
}

}  // namespace

std::string SbxUsage() {
  return "usage: sbx COMMAND [OPTIONS]\n"
         "commands:\n"
         "  files      print the uid_map, setgroups, gid_map, passwd and group the sandbox\n"
         "             start would write\n"
         "  check-map  decide as the running kernel would for a uid_map text on stdin\n"
         "  run        run a command in the sandbox\n"
         "  version    print sbx's version (also: sbx --version)\n"
         "'sbx help COMMAND' or 'sbx COMMAND --help' describes a command.\n";
}

std::string SbxCommandHelp(std::string_view command) {
  if (command == "files") return std::string(kFilesHelp);
  if (command == "check-map") return std::string(kCheckMapHelp);
  if (command == "run") return std::string(kRunHelp);
  return "";
}

int UsageErrorExitCode(const ParsedArgs& parsed) { return parsed.command_name == "run" ? 125 : 2; }

ParsedArgs ParseSbxArgs(const std::vector<std::string>& args) {
  if (args.empty()) return Error("", "no command given (try 'sbx --help')");
  const std::string& first = args[0];
  if (first == "-h" || first == "--help" || first == "help") {
    if (args.size() == 1) return Ok("", HelpRequest{SbxUsage()});
    if (args.size() > 2) return Error("", "help takes at most one command");
    std::string text = SbxCommandHelp(args[1]);
    if (text.empty()) return Error("", "unknown command '" + args[1] + "' (try 'sbx --help')");
    return Ok("", HelpRequest{text});
  }
  if (first == "--version" || first == "version") {
    if (args.size() > 1) return Error("", first + " takes no arguments");
    return Ok("", VersionRequest{"sbx " + std::string(kVersion) + "\n"});
  }
  if (first != "files" && first != "check-map" && first != "run") {
    return Error("", "unknown command '" + first + "' (try 'sbx --help')");
  }

  Scan scan = ScanOptions(first, args);
  if (!scan.error.empty()) return Error(first, scan.error);
  if (scan.help) return Ok(first, HelpRequest{SbxCommandHelp(first)});

  if (first == "files") {
    FilesCommand files;
    StartConfig& config = files.config;
    std::string error = TakeBuildUser(scan.options, &config.build_user);
    if (!error.empty()) return Error(first, error);
    config.use_user_namespace = !Has(scan.options, "no-user-namespace");
    if (auto dir = ValueOf(scan.options, "build-dir")) config.build_dir = *dir;
    config.builder_switches_ids = true;  // as in `sbx run`
    return Ok(first, files);
  }

  if (first == "check-map") {
    CheckMapCommand check;
    check.unprivileged = Has(scan.options, "unprivileged");
    std::optional<std::string> euid = ValueOf(scan.options, "euid");
    if (check.unprivileged && !euid) return Error(first, "--unprivileged needs --euid N");
    if (!check.unprivileged && euid) return Error(first, "--euid is only used with --unprivileged");
    if (euid) check.euid = U32(*euid);
    return Ok(first, check);
  }

  RunCommand run;
  StartConfig& config = run.config.start;
  std::string error = TakeBuildUser(scan.options, &config.build_user);
  if (!error.empty()) return Error(first, error);
  if (auto mode = ValueOf(scan.options, "mode")) {
    if (*mode == "lix") {
      config.mode = StartMode::kLix;
    } else if (*mode == "fast") {
      config.mode = StartMode::kFast;
    } else {
      return Error(first, "--mode '" + *mode + "' is not one of: lix, fast");
    }
  }
  config.private_network = !Has(scan.options, "share-network");
  config.use_user_namespace = !Has(scan.options, "no-user-namespace");
  if (auto dir = ValueOf(scan.options, "build-dir")) config.build_dir = *dir;
  config.build_dir_tmpfs = Has(scan.options, "build-dir-tmpfs");
  config.kvm = !Has(scan.options, "no-kvm");
  config.cgroup = ValueOf(scan.options, "cgroup");
  run.config.root = ValueOf(scan.options, "root");
  run.timing = Has(scan.options, "timing");
  if (!scan.saw_dashes) return Error(first, "run needs '-- CMD...'");
  if (scan.after_dashes.empty()) return Error(first, "run needs a command after '--'");
  config.command = std::move(scan.after_dashes);
  return Ok(first, run);
}

}  // namespace sbx
