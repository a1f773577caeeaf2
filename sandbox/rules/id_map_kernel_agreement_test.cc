// Holds id_map_kernel_rules to the running kernel: many generated texts (id_map_text_gen.h)
// are written, each with one write(2), to uid_map (or gid_map) of a fresh user namespace
// (testing/userns_writes.h, the id_map_kernel fuzzer's kernel side too), and the kernel's
// verdict (accept, or the errno) and the extents it installed must equal the validator's.
// Needs root in the initial user namespace; skips otherwise.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>

#include "sandbox/base/escape.h"
#include "sandbox/rules/id_map_kernel_rules.h"
#include "sandbox/rules/id_map_text_gen.h"
#include "testing/userns_writes.h"

namespace sbx {
namespace {

using ::sbx::testing::KernelOutcome;
using ::sbx::testing::Scenario;
using ::sbx::testing::Writer;
using ::sbx::testing::WriterKind;

// The kernel prints each extent as "%10u %10u %10u\n".
IdMap ParseProcMap(const std::string& text) {
  IdMap map;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    unsigned inside, outside, count;
    if (std::sscanf(line.c_str(), "%u %u %u", &inside, &outside, &count) == 3) {
      map.push_back({inside, outside, count});
    } else {
      ADD_FAILURE() << "unparsable line in a proc map: '" << line << "'";
    }
    pos = end + 1;
  }
  return map;
}

// The text as one line, cut short: a failure names the input without flooding the log.
std::string Escape(const std::string& text) {
  std::string out = EscapeBytes(text);
  if (out.size() > 300) out = out.substr(0, 300) + "...(" + std::to_string(text.size()) + " bytes)";
  return out;
}

struct KernelVerdict {
  bool accepted = false;
  int error_number = 0;
  IdMap extents;     // as read back
  std::string text;  // the map file's text, as read back
};

std::string Describe(bool accepted, int error_number, const IdMap& extents) {
  if (!accepted) return std::string("rejected errno ") + std::to_string(error_number);
  return "accepted [" + FormatIdMap(extents) + "]";
}

struct Tally {
  int accepted = 0;
  int rejected = 0;
  int failures = 0;
};

void Compare(const std::string& what, const std::string& text, const MapVerdict& mine,
             const KernelVerdict& kernel, Tally* tally) {
  (kernel.accepted ? tally->accepted : tally->rejected)++;
  // The rules keep input order; KernelListOrder and KernelMapText say how the kernel lists
  // the map, which must match the file byte for byte.
  bool same = mine.accepted == kernel.accepted &&
              (mine.accepted ? KernelListOrder(mine.extents) == kernel.extents &&
                                   KernelMapText(mine.extents) == kernel.text
                             : mine.error_number == kernel.error_number);
  if (!same && ++tally->failures <= 25) {
    ADD_FAILURE() << what << " text \"" << Escape(text) << "\"\n  kernel:    "
                  << Describe(kernel.accepted, kernel.error_number, kernel.extents)
                  << "\n  validator: " << Describe(mine.accepted, mine.error_number, mine.extents)
                  << (mine.accepted ? "" : " (" + mine.reason + ")");
  }
}

// The kernel's verdict on `text` written to the map of `kind` of a fresh namespace by
// `writer`, after "deny" to its setgroups when asked; nullopt (a failure) when the harness
// could not set that up.
std::optional<KernelVerdict> OnKernel(const Writer& writer, MapKind kind, bool deny_setgroups,
                                      const std::string& text) {
  const UsernsFile file = kind == MapKind::kUid ? UsernsFile::kUidMap : UsernsFile::kGidMap;
  Scenario scenario;
  scenario.writer = writer;
  if (deny_setgroups) scenario.steps[scenario.step_count++] = {UsernsFile::kSetgroups, "deny"};
  scenario.steps[scenario.step_count++] = {file, text};
  const KernelOutcome outcome = testing::RunOnKernel(scenario);
  if (!outcome.setup_error.empty()) {
    ADD_FAILURE() << outcome.setup_error;
    return std::nullopt;
  }
  if (deny_setgroups && outcome.step_errno[0] != 0) {
    ADD_FAILURE() << "writing deny to setgroups: " << std::strerror(outcome.step_errno[0]);
    return std::nullopt;
  }
  KernelVerdict verdict;
  verdict.error_number = outcome.step_errno[scenario.step_count - 1];
  verdict.accepted = verdict.error_number == 0;
  if (verdict.accepted) {
    verdict.text = outcome.files[static_cast<int>(file)];
    verdict.extents = ParseProcMap(verdict.text);
  }
  return verdict;
}

// Root of the initial namespace writes each text to the map of a fresh namespace.
void RunPrivileged(MapKind kind, bool deny_setgroups, uint32_t seed, int texts, Tally* tally) {
  TextGen gen(seed);
  const char* file = kind == MapKind::kUid ? "uid_map" : "gid_map";
  MapWriter writer;  // root of the initial namespace
  writer.setgroups_denied = deny_setgroups;
  for (int i = 0; i < texts; ++i) {
    std::string text = gen.Next();
    std::optional<KernelVerdict> kernel = OnKernel(Writer{}, kind, deny_setgroups, text);
    if (!kernel) return;
    Compare(file, text, CheckMapWrite(text, kind, writer), *kernel, tally);
  }
}

// SBX_AGREEMENT_SEED and SBX_AGREEMENT_TEXTS let a long run explore further than CI does.
uint32_t EnvOr(const char* name, uint32_t fallback) {
  const char* value = std::getenv(name);
  return value ? static_cast<uint32_t>(std::strtoul(value, nullptr, 10)) : fallback;
}

class KernelAgreementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Root's namespace decides a skip; where another writer may make none, its cases fail.
    std::string reason = testing::KernelUnavailableReason({WriterKind::kRoot});
    if (!reason.empty()) GTEST_SKIP() << reason;
  }
};

TEST_F(KernelAgreementTest, PrivilegedUidMap) {
  Tally tally;
  RunPrivileged(MapKind::kUid, false, EnvOr("SBX_AGREEMENT_SEED", 20261128),
                static_cast<int>(EnvOr("SBX_AGREEMENT_TEXTS", 600)), &tally);
  // The generator must exercise both outcomes, or the comparison proves little.
  EXPECT_GE(tally.accepted, 100);
  EXPECT_GE(tally.rejected, 100);
  EXPECT_EQ(tally.failures, 0);
  std::printf("uid_map: %d accepted, %d rejected by the kernel\n", tally.accepted, tally.rejected);
}

TEST_F(KernelAgreementTest, PrivilegedGidMapAfterSetgroupsDeny) {
  Tally tally;
  RunPrivileged(MapKind::kGid, true, 7, 200, &tally);
  EXPECT_GE(tally.accepted, 30);
  EXPECT_GE(tally.rejected, 30);
  EXPECT_EQ(tally.failures, 0);
}

TEST_F(KernelAgreementTest, PrivilegedGidMapWithSetgroupsAllowed) {
  Tally tally;
  RunPrivileged(MapKind::kGid, false, 99, 100, &tally);
  EXPECT_GE(tally.accepted, 10);
  EXPECT_EQ(tally.failures, 0);
}

// An unprivileged owner (uid/gid 54321, no capabilities) unshares its own user namespace and
// writes its own map; each case in a fresh namespace.
constexpr uint32_t kUnprivilegedId = 54321;

TEST_F(KernelAgreementTest, UnprivilegedOwner) {
  TextGen gen(4242);
  const std::string own = std::to_string(kUnprivilegedId);
  const Writer owner{WriterKind::kOwnerInside, kUnprivilegedId, kUnprivilegedId};
  Tally tally;
  for (int i = 0; i < 160; ++i) {
    const MapKind kind = gen.Chance(50) ? MapKind::kUid : MapKind::kGid;
    const bool deny_setgroups = gen.Chance(70);
    std::string inside = std::to_string(gen.Chance(50) ? 0 : gen.Uniform(70000));
    std::string text;
    switch (gen.Uniform(6)) {
      case 0:
      case 1:  // the one allowed shape, own id
        text = inside + gen.Space() + gen.Number(kUnprivilegedId) + gen.Space() + gen.Number(1) +
               (gen.Chance(50) ? "\n" : "");
        break;
      case 2:  // someone else's id, or root
        text = inside + " " + std::to_string(gen.Chance(30) ? 0 : gen.Id()) + " 1";
        break;
      case 3:  // own id but a range
        text = inside + " " + own + " " + std::to_string(2 + gen.Uniform(65536));
        break;
      case 4:  // own id plus another extent
        text = inside + " " + own + " 1\n" + std::to_string(100000 + gen.Uniform(10)) + " " +
               std::to_string(gen.Id()) + " 1";
        break;
      default:  // malformed: EINVAL must win over EPERM
        text = gen.Mutate(inside + " " + own + " 1");
    }
    MapWriter writer;
    writer.privileged = false;
    writer.euid = kUnprivilegedId;
    writer.egid = kUnprivilegedId;
    writer.setgroups_denied = deny_setgroups;
    std::optional<KernelVerdict> kernel = OnKernel(owner, kind, deny_setgroups, text);
    if (!kernel) return;
    Compare(kind == MapKind::kUid ? "unprivileged uid_map" : "unprivileged gid_map", text,
            CheckMapWrite(text, kind, writer), *kernel, &tally);
  }
  EXPECT_GE(tally.accepted, 20);
  EXPECT_GE(tally.rejected, 50);
  EXPECT_EQ(tally.failures, 0);
}

// uid 0 without capabilities, writing its own map from inside: mapping parent uid 0 needs
// CAP_SETFCAP, gid 0 does not.
TEST_F(KernelAgreementTest, RootWithoutCapabilities) {
  struct Case {
    MapKind kind;
    bool deny_setgroups;
    std::string text;
  };
  const Case cases[] = {
      {MapKind::kUid, false, "0 0 1"},   {MapKind::kUid, true, "5 0 1"},
      {MapKind::kUid, false, "0 1 1"},   {MapKind::kUid, false, "0 0 2"},
      {MapKind::kGid, true, "0 0 1"},    {MapKind::kGid, false, "0 0 1"},
      {MapKind::kGid, true, "7 0 1\n"},  {MapKind::kGid, true, "0 0 1\n1 1 1"},
      {MapKind::kUid, false, "0 0 1 x"},
  };
  const Writer capless{WriterKind::kCaplessRootInside};
  Tally tally;
  for (const Case& c : cases) {
    MapWriter writer;
    writer.privileged = false;
    writer.setgroups_denied = c.deny_setgroups;  // euid = egid = 0
    std::optional<KernelVerdict> kernel = OnKernel(capless, c.kind, c.deny_setgroups, c.text);
    if (!kernel) return;
    Compare("capability-less root", c.text, CheckMapWrite(c.text, c.kind, writer), *kernel, &tally);
  }
  EXPECT_GE(tally.accepted, 2);
  EXPECT_EQ(tally.failures, 0);
}

// Spec 23's one-shot rules, which sit outside the validator (it judges a fresh namespace):
// a map is written once, and setgroups is frozen once gid_map is written.
TEST_F(KernelAgreementTest, MapsAreWrittenOnce) {
  Scenario scenario;  // root writes, from the initial namespace
  const testing::Step steps[] = {
      {UsernsFile::kUidMap, "0 0 1"}, {UsernsFile::kUidMap, "0 0 1"},
      {UsernsFile::kUidMap, "1 1 1"}, {UsernsFile::kGidMap, "0 0 1"},
      {UsernsFile::kGidMap, "1 1 1"}, {UsernsFile::kSetgroups, "deny"},
  };
  for (const testing::Step& step : steps) scenario.steps[scenario.step_count++] = step;
  const KernelOutcome outcome = testing::RunOnKernel(scenario);
  ASSERT_EQ(outcome.setup_error, "");
  EXPECT_EQ(outcome.step_errno[0], 0);
  EXPECT_EQ(outcome.step_errno[1], EPERM);
  EXPECT_EQ(outcome.step_errno[2], EPERM);
  EXPECT_EQ(outcome.step_errno[3], 0);
  EXPECT_EQ(outcome.step_errno[4], EPERM);
  EXPECT_EQ(outcome.step_errno[5], EPERM);
  EXPECT_EQ(outcome.files[static_cast<int>(UsernsFile::kSetgroups)], "allow\n");
}

}  // namespace
}  // namespace sbx
