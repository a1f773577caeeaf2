#include "sandbox/rules/passwd.h"

#include <cstdio>

#include "sandbox/rules/root_layout.h"

namespace sbx {
namespace {

bool Fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

std::string Hex(unsigned char c) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "0x%02X", c);
  return buffer;
}

// The top-level names of the sandbox root's own directories (root_layout.h).
// Whether `first` (a build dir's first component) is a top-level directory the sandbox
// provides. No list is built: this runs for every build dir the fuzzer tries.
bool IsReservedTopDir(std::string_view first) {
  for (std::string_view dir : kSystemDirs) {
    if (first == dir.substr(1)) return true;
  }
  for (std::string_view dir : kMountPointDirs) {
    if (first == dir.substr(0, dir.find('/'))) return true;
  }
  return false;
}

}  // namespace

bool ValidateBuildDir(std::string_view build_dir, std::string* error) {
  const std::string field = "build dir (passwd home)";
  if (build_dir.empty()) return Fail(error, field + " is empty");
  if (build_dir.front() != '/') {
    return Fail(error, field + " \"" + std::string(build_dir) + "\" is not an absolute path");
  }
  if (build_dir.size() > kMaxBuildDirLength) {
    return Fail(error, field + " is " + std::to_string(build_dir.size()) + " bytes long (at most " +
                           std::to_string(kMaxBuildDirLength) + ")");
  }
  for (size_t i = 0; i < build_dir.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(build_dir[i]);
    // ':' separates passwd fields and '\n' entries; other control bytes confuse readers.
    if (c == ':') {
      return Fail(error, field + " \"" + std::string(build_dir) +
                             "\" contains ':', the passwd field separator");
    }
    if (c == '\n') return Fail(error, field + " contains a newline at byte " + std::to_string(i));
    if (c < 0x20 || c == 0x7F) {
      return Fail(
          error, field + " contains control character " + Hex(c) + " at byte " + std::to_string(i));
    }
  }
  // A directory of its own, beneath the sandbox's /, reached without "." or "..", and not
  // one the sandbox provides itself.
  std::string_view first;
  for (size_t start = 1; start <= build_dir.size();) {
    size_t end = build_dir.find('/', start);
    if (end == std::string_view::npos) end = build_dir.size();
    std::string_view part = build_dir.substr(start, end - start);
    if (part.empty() && end != build_dir.size()) {
      return Fail(error, field + " \"" + std::string(build_dir) + "\" has an empty component");
    }
    if (part == "." || part == "..") {
      return Fail(error, field + " \"" + std::string(build_dir) + "\" has a \"" +
                             std::string(part) + "\" component");
    }
    if (first.empty()) first = part;
    start = end + 1;
  }
  if (first.empty()) return Fail(error, field + " is / itself");
  if (IsReservedTopDir(first)) {
    return Fail(error, field + " \"" + std::string(build_dir) + "\" lies in /" +
                           std::string(first) + ", which the sandbox provides");
  }
  return true;
}

std::optional<EtcFiles> GenerateEtcFiles(uint32_t sandbox_uid, uint32_t sandbox_gid,
                                         std::string_view build_dir, std::string* error) {
  if (!ValidateBuildDir(build_dir, error)) return std::nullopt;
  // std::to_string of uint32_t prints unsigned decimal, so ids above 2^31 stay positive.
  const std::string uid = std::to_string(sandbox_uid);
  const std::string gid = std::to_string(sandbox_gid);
  const std::string home(build_dir);
  EtcFiles files;
  files.passwd = "root:x:0:0:Nix build user:" + home + ":/noshell\n" +  //
                 "nixbld:x:" + uid + ":" + gid + ":Nix build user:" + home + ":/noshell\n" +
                 "nobody:x:65534:65534:Nobody:/:/noshell\n";
  files.group = "root:x:0:\nnixbld:!:" + gid + ":\nnogroup:x:65534:\n";
  return files;
}

}  // namespace sbx
