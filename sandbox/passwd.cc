#include "sandbox/passwd.h"

#include <cstdio>

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

}  // namespace

bool ValidateBuildDir(std::string_view build_dir, std::string* error) {
  const std::string field = "build dir (passwd home)";
  if (build_dir.empty()) return Fail(error, field + " is empty");
  if (build_dir.front() != '/') {
    return Fail(error, field + " \"" + std::string(build_dir) + "\" is not an absolute path");
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
