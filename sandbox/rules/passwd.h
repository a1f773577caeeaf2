// The sandbox's /etc/passwd and /etc/group (spec 24-26), byte for byte as the seed writes
// them, plus the validation the seed lacks: a home that would corrupt passwd is refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sbx {

inline constexpr std::string_view kDefaultBuildDir = "/build";

struct EtcFiles {
  std::string passwd;  // three lines, each ending in '\n'
  std::string group;   // three lines, each ending in '\n'
};

inline constexpr size_t kMaxBuildDirLength = 1024;

// A build dir (the nixbld and root home) must be absolute, at most kMaxBuildDirLength
// bytes, hold no ':', newline or other control character (bytes below 0x20 and 0x7F), no
// empty, "." or ".." component, and be neither / nor in a directory the sandbox root provides
// (root_layout.h). Returns false with *error naming the field. `sbx files` and `sbx run` both use
// it.
bool ValidateBuildDir(std::string_view build_dir, std::string* error);

// passwd and group for the given sandbox ids and home. nullopt (and nothing produced) with
// *error set when the build dir is invalid.
std::optional<EtcFiles> GenerateEtcFiles(uint32_t sandbox_uid, uint32_t sandbox_gid,
                                         std::string_view build_dir, std::string* error);

}  // namespace sbx
