// Fuzzes the identity rules (spec 19-22) and the /etc/passwd, /etc/group generator (spec
// 24-26) with structured input: whether there is a user namespace, who the build user is
// (none, explicit ids and count, or an auto-allocated slot), the caller's ids and the build
// dir. Accepted output must be exactly the spec's lines and must read back through glibc's
// fgetpwent_r/fgetgrent_r to exactly the fields given; every rejection must be explained by
// something the files or the kernel cannot represent. The plan (PlanStart), on a host where
// user namespaces work and on one where they do not, must be made of exactly these pieces,
// fall back as spec 3 says, and refuse exactly what they refuse.
#include <fuzzer/FuzzedDataProvider.h>
#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sandbox/base/sys_error.h"
#include "sandbox/rules/identity.h"
#include "sandbox/rules/passwd.h"
#include "sandbox/rules/start_plan.h"

namespace {

constexpr uint64_t kInvalidId = 4294967295;  // (uid_t)-1; the last usable id is one less

std::string Escaped(std::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out;
}

struct Case {
  sbx::IdentityInput input;
  std::string build_dir;
  std::string Describe() const {
    std::string s = "userns=" + std::to_string(input.use_user_namespace);
    if (input.build_user) {
      s += " build_user=" + std::to_string(input.build_user->uid) + "/" +
           std::to_string(input.build_user->gid) + " count " +
           std::to_string(input.build_user->count);
    }
    s += " caller=" + std::to_string(input.caller_uid) + "/" + std::to_string(input.caller_gid);
    return s + " build_dir=\"" + Escaped(build_dir) + "\"";
  }
};

[[noreturn]] void Fail(const char* property, const Case& c, const std::string& detail = "") {
  std::fprintf(stderr, "passwd_group property violated: %s\n%s\n%s\n", property,
               c.Describe().c_str(), Escaped(detail).c_str());
  __builtin_trap();
}

uint32_t PickId(FuzzedDataProvider& fdp) {
  static constexpr uint32_t kEdges[] = {
      0,     1,         100,        1000,        30000,       30001,       65534,      65535,
      65536, 872415232, 2147483647, 2147483648u, 4294901759u, 4294967294u, 4294967295u};
  return fdp.ConsumeBool() ? fdp.PickValueInArray(kEdges) : fdp.ConsumeIntegral<uint32_t>();
}

uint32_t PickCount(FuzzedDataProvider& fdp) {
  static constexpr uint32_t kCounts[] = {1, 1, 65536, 0, 2, 4294967295u};
  return fdp.ConsumeBool() ? fdp.PickValueInArray(kCounts) : fdp.ConsumeIntegral<uint32_t>();
}

bool FitsKernel(uint64_t first, uint64_t count) {
  return first != kInvalidId && first + count - 1 < kInvalidId;
}

void CheckAutoBuildUser(uint32_t slot, bool uid_range, const Case& c) {
  std::string error;
  std::optional<sbx::BuildUser> user = sbx::AutoBuildUser(slot, uid_range, &error);
  uint64_t uid = 872415232 + uint64_t{slot} * 65536;
  uint32_t count = uid_range ? 65536 : 1;
  if (user.has_value() != FitsKernel(uid, count)) Fail("auto build user range check", c, error);
  if (!user) {
    if (error.empty()) Fail("auto build user rejected without a reason", c);
    return;
  }
  if (user->uid != uid || user->gid != uid || user->count != count) {
    Fail("auto build user ids", c);
  }
}

// Spec 19-22, restated: which identity is expected, or nullopt when it must be refused.
std::optional<sbx::Identity> ExpectedIdentity(const sbx::IdentityInput& in) {
  sbx::Identity id;
  const std::optional<sbx::BuildUser>& user = in.build_user;
  id.host_uid = user ? user->uid : in.caller_uid;
  id.host_gid = user ? user->gid : in.caller_gid;
  id.count = user ? user->count : 1;
  if (id.count == 0) return std::nullopt;
  if (!in.use_user_namespace) {
    if (!user || id.count != 1) return std::nullopt;
    id.sandbox_uid = id.host_uid;
    id.sandbox_gid = id.host_gid;
    return id;
  }
  if (!FitsKernel(id.host_uid, id.count) || !FitsKernel(id.host_gid, id.count)) {
    return std::nullopt;
  }
  bool single = id.count == 1;
  id.sandbox_uid = single ? 1000 : 0;
  id.sandbox_gid = single ? 100 : 0;
  id.setgroups_denied = single;
  auto map = [&](uint32_t inside, uint32_t outside) {
    return std::to_string(inside) + " " + std::to_string(outside) + " " + std::to_string(id.count);
  };
  id.writes.reserve(3);
  id.writes.push_back({sbx::UsernsFile::kUidMap, map(id.sandbox_uid, id.host_uid)});
  if (single) id.writes.push_back({sbx::UsernsFile::kSetgroups, "deny"});
  id.writes.push_back({sbx::UsernsFile::kGidMap, map(id.sandbox_gid, id.host_gid)});
  return id;
}

// The build-dir rule of docs/spec.md ("What sbx run guarantees"), written apart from
// passwd.cc so that the two can disagree.
bool Representable(std::string_view dir) {
  if (dir.empty() || dir.front() != '/' || dir.size() > 1024) return false;
  for (unsigned char c : dir) {
    if (c == ':' || c < 0x20 || c == 0x7f) return false;
  }
  std::vector<std::string_view> parts;
  for (size_t at = 1; at <= dir.size();) {
    size_t end = std::min(dir.find('/', at), dir.size());
    parts.push_back(dir.substr(at, end - at));
    at = end + 1;
  }
  if (!parts.empty() && parts.back().empty()) parts.pop_back();  // one trailing '/'
  if (parts.empty()) return false;                               // "/" itself
  for (std::string_view part : parts) {
    if (part.empty() || part == "." || part == "..") return false;
  }
  for (std::string_view reserved : {"etc", "proc", "dev", "usr", "bin", "sbin", "lib", "lib64"}) {
    if (parts.front() == reserved) return false;
  }
  return true;
}

// What glibc read back, as views into its buffer: compared in place, so that reading back
// copies nothing (this fuzzer's cost is mostly ASan's allocator).
struct PwFields {
  std::string_view name, passwd, gecos, dir, shell;
  uint32_t uid, gid;
  bool operator==(const PwFields&) const = default;
};

struct GrFields {
  std::string_view name, passwd;
  uint32_t gid;
  size_t members;
  bool operator==(const GrFields&) const = default;
};

// `text` as a stream for glibc's readers. The stream's buffer and the readers' scratch space
// are kept from input to input: the 8 KiB stdio buffer fmemopen allocated (twice per input,
// each filled and quarantined by ASan) was this fuzzer's largest cost.
FILE* OpenText(const std::string& text) {
  static char stream_buffer[BUFSIZ];
  FILE* file = fmemopen(const_cast<char*>(text.data()), text.size(), "r");
  if (file) std::setvbuf(file, stream_buffer, _IOFBF, sizeof stream_buffer);
  return file;
}

std::vector<char>& Scratch(size_t size) {
  static std::vector<char> scratch;
  scratch.resize(size);
  return scratch;
}

// Whether `text`, read by glibc's `read_entry` (fgetpwent_r or fgetgrent_r, the way NSS
// "files" reads /etc/passwd and /etc/group), yields exactly `want`, each entry as `fields`
// sees it.
template <typename Entry, typename Fields, size_t N>
bool ReadsAs(const std::string& text, int (*read_entry)(FILE*, Entry*, char*, size_t, Entry**),
             Fields (*fields)(const Entry&), const Fields (&want)[N]) {
  FILE* file = OpenText(text);
  if (!file) return false;
  std::vector<char>& buffer = Scratch(text.size() + 256);
  Entry entry;
  Entry* result = nullptr;
  size_t n = 0;
  bool same = true;
  while (read_entry(file, &entry, buffer.data(), buffer.size(), &result) == 0 && result) {
    same = same && n < N && fields(entry) == want[n];
    ++n;
  }
  std::fclose(file);
  return same && n == N;
}

PwFields PwFieldsOf(const passwd& entry) {
  return {entry.pw_name,  entry.pw_passwd, entry.pw_gecos, entry.pw_dir,
          entry.pw_shell, entry.pw_uid,    entry.pw_gid};
}

GrFields GrFieldsOf(const group& entry) {
  size_t members = 0;
  while (entry.gr_mem && entry.gr_mem[members]) ++members;
  return {entry.gr_name, entry.gr_passwd, entry.gr_gid, members};
}

void CheckEtcFiles(uint32_t uid, uint32_t gid, const Case& c) {
  std::string error;
  std::optional<sbx::EtcFiles> files = sbx::GenerateEtcFiles(uid, gid, c.build_dir, &error);
  if (files.has_value() != Representable(c.build_dir)) {
    Fail(files ? "accepted an unrepresentable build dir" : "rejected a representable build dir", c,
         error);
  }
  if (!files) {
    if (error.find("build dir") == std::string::npos) Fail("rejection does not name the field", c);
    return;
  }
  const std::string& home = c.build_dir;
  const std::string u = std::to_string(uid), g = std::to_string(gid);
  // Spec 24, line for line.
  std::string passwd;
  passwd.reserve(160 + 2 * home.size());
  for (std::string_view part :
       {std::string_view("root:x:0:0:Nix build user:"), std::string_view(home),
        std::string_view(":/noshell\nnixbld:x:"), std::string_view(u), std::string_view(":"),
        std::string_view(g), std::string_view(":Nix build user:"), std::string_view(home),
        std::string_view(":/noshell\nnobody:x:65534:65534:Nobody:/:/noshell\n")}) {
    passwd.append(part);
  }
  std::string group = "root:x:0:\nnixbld:!:" + g + ":\nnogroup:x:65534:\n";
  if (files->passwd != passwd) Fail("passwd differs from the spec's lines", c, files->passwd);
  if (files->group != group) Fail("group differs from the spec's lines", c, files->group);

  const PwFields want_pw[] = {{"root", "x", "Nix build user", home, "/noshell", 0, 0},
                              {"nixbld", "x", "Nix build user", home, "/noshell", uid, gid},
                              {"nobody", "x", "Nobody", "/", "/noshell", 65534, 65534}};
  if (!ReadsAs(files->passwd, fgetpwent_r, PwFieldsOf, want_pw)) {
    Fail("glibc reads passwd back differently", c, files->passwd);
  }
  const GrFields want_gr[] = {
      {"root", "x", 0, 0}, {"nixbld", "!", gid, 0}, {"nogroup", "x", 65534, 0}};
  if (!ReadsAs(files->group, fgetgrent_r, GrFieldsOf, want_gr))
    Fail("glibc reads group back differently", c);
}

// The plan for this case on a host where user namespaces work or not. Spec 3, restated:
// without them, root with a build user goes on without one; anyone else is refused.
void CheckPlan(const Case& c, bool userns_work) {
  sbx::StartConfig config;
  config.use_user_namespace = c.input.use_user_namespace;
  config.build_user = c.input.build_user;
  config.build_dir = c.build_dir;
  const sbx::HostFacts host{.user_namespaces_work = userns_work,
                            .user_namespaces_error = "no user namespaces (fuzzed host)",
                            .uid = c.input.caller_uid,
                            .gid = c.input.caller_gid};
  bool use_userns = c.input.use_user_namespace;
  if (use_userns && !userns_work) {
    if (!c.input.build_user || c.input.caller_uid != 0) {
      try {
        sbx::PlanStart(config, host);
      } catch (const sbx::SysError& e) {
        if (e.error() != 0) Fail("spec 3 refusal carries an errno", c, e.what());
        return;
      }
      Fail("spec 3: planned without user namespaces nor a fallback", c);
    }
    use_userns = false;
  }
  sbx::IdentityInput input = c.input;
  input.use_user_namespace = use_userns;
  std::string error;
  const std::optional<sbx::Identity> id = sbx::ComputeIdentity(input, &error);
  const std::optional<sbx::EtcFiles> files =
      id ? sbx::GenerateEtcFiles(id->sandbox_uid, id->sandbox_gid, c.build_dir, &error)
         : std::nullopt;
  std::optional<sbx::StartPlan> plan;
  try {
    plan = sbx::PlanStart(config, host);
  } catch (const sbx::SysError& e) {
    if (files) Fail("the plan refused what its pieces accept", c, e.what());
    if (e.error() != 0) Fail("a refused plan carries an errno", c, e.what());
    return;
  }
  if (!files) Fail("the plan accepted what its pieces refuse", c, error);
  if (plan->use_user_namespace != use_userns) Fail("the plan's user namespace", c);
  if (((plan->clone_flags & CLONE_NEWUSER) != 0) != use_userns) Fail("clone flags", c);
  if (plan->identity.writes != id->writes || plan->identity.sandbox_uid != id->sandbox_uid ||
      plan->identity.sandbox_gid != id->sandbox_gid) {
    Fail("the plan's identity is not the rules'", c);
  }
  if (plan->etc_files.passwd != files->passwd || plan->etc_files.group != files->group) {
    Fail("the plan's etc files are not the generator's", c);
  }
  const sbx::BuilderSteps& steps = plan->builder;
  if (steps.uid != id->sandbox_uid || steps.gid != id->sandbox_gid ||
      steps.build_dir != c.build_dir ||
      steps.build_dir_tmpfs_options != "mode=0700,uid=" + std::to_string(id->sandbox_uid) +
                                           ",gid=" + std::to_string(id->sandbox_gid) ||
      std::find(steps.environment.begin(), steps.environment.end(),
                "NIX_BUILD_TOP=" + c.build_dir) == steps.environment.end()) {
    Fail("the builder's steps do not follow the identity and build dir", c);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider fdp(data, size);
  Case c;
  c.input.use_user_namespace = fdp.ConsumeBool();
  c.input.caller_uid = PickId(fdp);
  c.input.caller_gid = PickId(fdp);
  std::optional<std::pair<uint32_t, bool>> auto_slot;
  switch (fdp.ConsumeIntegralInRange(0, 2)) {
    case 0:
      break;  // no build user: the caller's own ids
    case 1:
      c.input.build_user = sbx::BuildUser{PickId(fdp), PickId(fdp), PickCount(fdp)};
      break;
    case 2: {
      // Slots near the end of the id space matter most; the first few are the common case.
      uint32_t slot = fdp.ConsumeBool() ? fdp.ConsumeIntegralInRange<uint32_t>(0, 8)
                                        : fdp.ConsumeIntegralInRange<uint32_t>(0, 65535);
      auto_slot = {slot, fdp.ConsumeBool()};
      break;
    }
  }
  c.build_dir =
      fdp.ConsumeBool() ? std::string(sbx::kDefaultBuildDir) : fdp.ConsumeRemainingBytesAsString();

  if (auto_slot) {
    CheckAutoBuildUser(auto_slot->first, auto_slot->second, c);
    std::optional<sbx::BuildUser> user =
        sbx::AutoBuildUser(auto_slot->first, auto_slot->second, nullptr);
    if (!user) return 0;
    c.input.build_user = user;
  }

  std::string error;
  std::optional<sbx::Identity> id = sbx::ComputeIdentity(c.input, &error);
  // SBX_FUZZ_VERBOSE=1 shows how an input decodes (for writing seeds, reading crashes).
  static const bool verbose = std::getenv("SBX_FUZZ_VERBOSE") != nullptr;
  if (verbose) {
    std::string dir_error;
    sbx::ValidateBuildDir(c.build_dir, &dir_error);
    std::fprintf(stderr, "  %s\n  identity: %s; build dir: %s\n", c.Describe().c_str(),
                 id ? "accepted" : error.c_str(), dir_error.empty() ? "ok" : dir_error.c_str());
  }
  std::optional<sbx::Identity> want = ExpectedIdentity(c.input);
  if (id.has_value() != want.has_value()) {
    Fail(id ? "identity accepted what cannot be mapped" : "identity refused a valid input", c,
         error);
  }
  CheckPlan(c, /*userns_work=*/true);
  CheckPlan(c, /*userns_work=*/false);
  if (!id) {
    if (error.empty()) Fail("identity refused without a reason", c);
    return 0;
  }
  if (id->sandbox_uid != want->sandbox_uid || id->sandbox_gid != want->sandbox_gid ||
      id->host_uid != want->host_uid || id->host_gid != want->host_gid ||
      id->count != want->count || id->setgroups_denied != want->setgroups_denied) {
    Fail("identity ids differ from spec 19-21", c);
  }
  if (id->writes != want->writes) Fail("map writes differ from spec 22", c);
  CheckEtcFiles(id->sandbox_uid, id->sandbox_gid, c);
  return 0;
}
