// Holds id_map_kernel_rules to the running kernel: many generated texts are written, each
// with one write(2), to /proc/PID/uid_map (or gid_map) of a child in a fresh user namespace,
// and the kernel's verdict (accept, or the errno) and the extents it installed must equal the
// validator's. Needs root in the initial user namespace; skips otherwise.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "sandbox/base/escape.h"
#include "sandbox/rules/id_map_kernel_rules.h"
#include "testing/file_read.h"

namespace sbx {
namespace {

using ::sbx::testing::ReadWholeFile;

std::string ReadAll(int fd) { return ::sbx::testing::ReadToEnd(fd).value_or(""); }

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

// A child that unshared its user namespace and waits until destroyed.
class NsChild {
 public:
  static std::unique_ptr<NsChild> Start(std::string* why) {
    int ready[2], hold[2];
    if (pipe2(ready, O_CLOEXEC) != 0) return Fail(why, "pipe2");
    if (pipe2(hold, O_CLOEXEC) != 0) return Fail(why, "pipe2");
    pid_t pid = fork();
    if (pid < 0) return Fail(why, "fork");
    if (pid == 0) {
      close(ready[0]);
      close(hold[1]);
      char status = unshare(CLONE_NEWUSER) == 0 ? 'y' : 'n';
      if (write(ready[1], &status, 1) != 1) _exit(1);
      char c;
      (void)!read(hold[0], &c, 1);  // returns at EOF, when the test closes its end
      _exit(0);
    }
    close(ready[1]);
    close(hold[0]);
    auto child = std::unique_ptr<NsChild>(new NsChild(pid, hold[1]));
    char status = 0;
    ssize_t n = read(ready[0], &status, 1);
    close(ready[0]);
    if (n != 1 || status != 'y') return Fail(why, "unshare(CLONE_NEWUSER) in the child");
    return child;
  }

  ~NsChild() {
    close(hold_);
    int status;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }

  std::string Proc(const char* file) const { return "/proc/" + std::to_string(pid_) + "/" + file; }

 private:
  NsChild(pid_t pid, int hold) : pid_(pid), hold_(hold) {}
  static std::unique_ptr<NsChild> Fail(std::string* why, const char* step) {
    *why = std::string(step) + ": " + std::strerror(errno);
    return nullptr;
  }
  pid_t pid_;
  int hold_;
};

// Writes `bytes` in one write(2); 0 on success, else errno.
int WriteOnce(const std::string& path, const std::string& bytes) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -errno;  // negative: the open failed, not the write
  ssize_t n = write(fd, bytes.data(), bytes.size());
  int err = n < 0 ? errno : 0;
  close(fd);
  if (n >= 0 && static_cast<size_t>(n) != bytes.size()) return -1000;  // short write
  return err;
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

// Why the environment cannot run this test, or "".
std::string CannotRunReason() {
  if (geteuid() != 0) return "needs root (euid 0) in the initial user namespace";
  std::optional<std::string> self = ReadWholeFile("/proc/self/uid_map");
  if (!self) return "cannot read /proc/self/uid_map";
  IdMap map = ParseProcMap(*self);
  if (map != IdMap{{0, 0, 4294967295u}}) {
    return "not in the initial user namespace (uid_map is '" + Escape(*self) + "')";
  }
  std::string why;
  if (!NsChild::Start(&why)) return "cannot create a user namespace as root: " + why;
  return "";
}

// Random texts mixing the shapes the kernel's parser has to judge.
class TextGen {
 public:
  explicit TextGen(uint32_t seed) : rng_(seed) {}

  size_t Uniform(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  bool Chance(int percent) { return static_cast<int>(Uniform(100)) < percent; }
  uint32_t U32() { return static_cast<uint32_t>(rng_()); }

  std::string Space() {
    if (clean_) return " ";
    static const char* const kGood[] = {" ", "  ", "\t", " \t ", "\v", "\f", "\r", "\xa0"};
    static const char* const kOdd[] = {"\x85", "\x1c", "\x1f", "\xc2\xa0", ""};
    if (Chance(8)) return kOdd[Uniform(std::size(kOdd))];
    if (Chance(60)) return " ";
    return kGood[Uniform(std::size(kGood))];
  }

  uint32_t Id() {
    static const uint32_t kEdges[] = {0,           1,           100,         1000,
                                      65534,       65535,       65536,       2147483647u,
                                      2147483648u, 4294967294u, 4294967295u, 872415232u};
    switch (Uniform(4)) {
      case 0:
        return kEdges[Uniform(std::size(kEdges))];
      case 1:
        return U32();
      default:
        return static_cast<uint32_t>(Uniform(200000));
    }
  }

  uint32_t Count(uint32_t first) {
    switch (Uniform(8)) {
      case 0:
        return 0;
      case 1:
        return 65536;
      case 2:
        return 4294967295u - first;  // last valid id exactly
      case 3:
        return 4294967295u - first + 1;  // one too far (wraps to 2^32 when first is 0)
      case 4:
        return U32();
      default:
        return 1 + static_cast<uint32_t>(Uniform(1000));
    }
  }

  // Decimal text of `value`, decorated the ways the kernel's parser must cope with.
  std::string Number(uint32_t value) {
    std::string digits = std::to_string(value);
    if (clean_) return digits;
    int roll = static_cast<int>(Uniform(100));
    if (roll < 8) return std::string(1 + Uniform(6), '0') + digits;  // leading zeros
    if (roll < 12) {  // the same value modulo 2^32, written bigger
      uint64_t k = 1 + Uniform(1000000);
      return std::to_string(uint64_t{value} + (k << 32));
    }
    if (roll < 15) {  // past 2^64: random long digit strings
      std::string big = std::to_string(1 + Uniform(9));
      for (size_t i = 0, n = 19 + Uniform(30); i < n; ++i)
        big += static_cast<char>('0' + Uniform(10));
      return big;
    }
    if (roll < 17) return "+" + digits;
    if (roll < 19) return "-" + digits;
    if (roll < 20) return "0x" + digits;
    return digits;
  }

  std::string Line(const IdExtent& e) {
    std::string line;
    if (!clean_ && Chance(10)) line += Space();
    line += Number(e.inside) + Space() + Number(e.outside) + Space() + Number(e.count);
    if (!clean_ && Chance(10)) line += Space();
    return line;
  }

  // Non-overlapping extents, inside and outside ranges each in increasing order, outside
  // optionally shuffled relative to inside.
  IdMap Extents(size_t n, bool compact) {
    IdMap map;
    uint64_t inside = compact ? Uniform(50) : Uniform(100000);
    uint64_t outside = compact ? Uniform(50) : Uniform(100000);
    for (size_t i = 0; i < n; ++i) {
      uint32_t count = compact ? 1 : 1 + static_cast<uint32_t>(Uniform(Chance(20) ? 100000 : 10));
      map.push_back({static_cast<uint32_t>(inside), static_cast<uint32_t>(outside), count});
      inside += count + (compact ? 0 : Uniform(3));
      outside += count + (compact ? 0 : Uniform(3));
    }
    if (Chance(50) && n > 1) {  // break the pairing: inside order differs from outside order
      for (size_t i = n - 1; i > 0; --i) {
        size_t j = Uniform(i + 1);
        std::swap(map[i].inside, map[j].inside);
        std::swap(map[i].count, map[j].count);
      }
      // Counts moved with inside ids; recompute outsides so they stay disjoint.
      uint64_t next = compact ? 0 : Uniform(1000);
      for (IdExtent& e : map) {
        e.outside = static_cast<uint32_t>(next);
        next += e.count + Uniform(2);
      }
    }
    if (Chance(30) && n > 1) std::shuffle(map.begin(), map.end(), rng_);  // input order != sorted
    return map;
  }

  std::string Join(const IdMap& map) {
    std::string text;
    const char* eol = !clean_ && Chance(10) ? "\r\n" : "\n";
    for (size_t i = 0; i < map.size(); ++i) {
      if (i > 0) text += eol;
      text += Line(map[i]);
    }
    int end = static_cast<int>(Uniform(100));
    if (end < 55) {
      text += "\n";
    } else if (end < 60) {
      text += "\n\n";
    } else if (end < 63) {
      text += "\n \n";
    } else if (end < 65) {
      text += std::string("\n\0junk", 6);
    }
    return text;
  }

  std::string Mutate(std::string text) {
    static const char kBytes[] = {'\0', 'x',    '+',    '-',    ' ',    '\t', '\n', '\v', '\f',
                                  '\r', '\xa0', '\x85', '\x1c', '\xff', '#',  '0',  '9',  ':'};
    for (size_t round = 0, n = 1 + Uniform(3); round < n; ++round) {
      size_t at = text.empty() ? 0 : Uniform(text.size() + 1);
      switch (Uniform(3)) {
        case 0:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(at),
                      kBytes[Uniform(sizeof kBytes)]);
          break;
        case 1:
          if (at < text.size()) text.erase(at, 1);
          break;
        default:
          if (at < text.size()) text[at] = kBytes[Uniform(sizeof kBytes)];
      }
    }
    return text;
  }

  std::string Next() {
    // A clean text has single spaces and plain numbers, so that the rule under test (limits,
    // overlaps, wraps) is the only thing that can reject it.
    clean_ = Chance(35);
    switch (Uniform(12)) {
      case 0:
      case 1:
      case 2: {  // well-formed-ish, few extents
        IdMap map;
        size_t n = 1 + Uniform(Chance(50) ? 2 : 8);
        if (Chance(60)) {
          map = Extents(n, false);
        } else {
          for (size_t i = 0; i < n; ++i) {
            uint32_t first = Id();
            map.push_back({first, Id(), Count(first)});
          }
        }
        return Join(map);
      }
      case 3: {  // an overlap on one side
        IdMap map = Extents(2 + Uniform(5), false);
        size_t a = Uniform(map.size()), b = Uniform(map.size());
        if (a != b) {
          if (Chance(50)) {
            map[b].inside = map[a].inside + static_cast<uint32_t>(Uniform(map[a].count));
          } else {
            map[b].outside = map[a].outside + static_cast<uint32_t>(Uniform(map[a].count));
          }
        }
        return Join(map);
      }
      case 4: {  // around the extent limit
        static const size_t kSizes[] = {5, 6, 339, 340, 341, 345};
        return Join(Extents(kSizes[Uniform(std::size(kSizes))], true));
      }
      case 5: {  // around the page size
        IdMap map = Extents(1 + Uniform(3), false);
        std::string tail = Join(map);
        size_t target = 4093 + Uniform(6);  // 4093..4098 bytes
        std::string pad = Chance(50)
                              ? std::string(target > tail.size() ? target - tail.size() : 0, ' ')
                              : std::string(target > tail.size() ? target - tail.size() : 0, '0');
        return pad + tail;
      }
      case 6:
      case 7:
      case 8:
      case 9:  // mutations of plausible maps
        return Mutate(Join(Extents(1 + Uniform(6), Chance(30))));
      case 10: {  // u32 edges alone
        uint32_t first = Chance(50) ? 4294967295u - static_cast<uint32_t>(Uniform(3)) : Id();
        uint32_t lower = Chance(50) ? 4294967295u - static_cast<uint32_t>(Uniform(3)) : Id();
        uint32_t count = static_cast<uint32_t>(Uniform(3));
        if (Chance(50))
          count = 4294967295u - std::max(first, lower) + static_cast<uint32_t>(Uniform(2));
        return Join({{first, lower, count}});
      }
      default: {  // short oddities
        static const char* const kOdd[] = {"",          "\n",       " ",         "0",
                                           "0 0",       "0 0 1",    "0 0 1 2",   "\n0 0 1",
                                           "0 0 1\n\n", " 0 0 1 ",  "0\t0\t1\n", "0 0 1\n1 1 1",
                                           "00 00 01",  "0 0 01\r", "0,0,1"};
        std::string text = kOdd[Uniform(std::size(kOdd))];
        if (Chance(20)) text = Mutate(text);
        return text;
      }
    }
  }

 private:
  std::mt19937 rng_;
  bool clean_ = false;
};

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

// Root writes to a waiting child's map; a rejected write leaves the child reusable.
void RunPrivileged(MapKind kind, bool deny_setgroups, uint32_t seed, int texts, Tally* tally) {
  TextGen gen(seed);
  const char* file = kind == MapKind::kUid ? "uid_map" : "gid_map";
  MapWriter writer;  // root of the initial namespace
  writer.setgroups_denied = deny_setgroups;
  std::unique_ptr<NsChild> child;
  for (int i = 0; i < texts; ++i) {
    std::string text = gen.Next();
    if (!child) {
      std::string why;
      child = NsChild::Start(&why);
      ASSERT_TRUE(child) << why;
      if (deny_setgroups) ASSERT_EQ(WriteOnce(child->Proc("setgroups"), "deny"), 0);
    }
    KernelVerdict kernel;
    int result = WriteOnce(child->Proc(file), text);
    ASSERT_GE(result, 0) << "opening " << child->Proc(file) << " failed: " << -result;
    kernel.accepted = result == 0;
    kernel.error_number = result;
    if (kernel.accepted) {
      std::optional<std::string> back = ReadWholeFile(child->Proc(file));
      ASSERT_TRUE(back);
      kernel.extents = ParseProcMap(*back);
      kernel.text = *back;
      child.reset();  // a map is written once
    }
    Compare(file, text, CheckMapWrite(text, kind, writer), kernel, tally);
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
    std::string reason = CannotRunReason();
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
// writes its own map; each case runs in a fresh process.
struct UnprivilegedCase {
  MapKind kind;
  bool deny_setgroups;
  std::string text;
  // Stay uid 0 but drop every capability, instead of switching to kUnprivilegedId.
  bool root_without_caps = false;
};

constexpr uint32_t kUnprivilegedId = 54321;

KernelVerdict RunUnprivileged(const UnprivilegedCase& c) {
  KernelVerdict verdict;
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return verdict;
  }
  pid_t pid = fork();
  if (pid == 0) {
    close(report[0]);
    auto say = [&](const std::string& message) {
      (void)!write(report[1], message.data(), message.size());
      _exit(0);
    };
    if (c.root_without_caps) {
      __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
      __user_cap_data_struct none[2] = {};
      if (syscall(SYS_capset, &header, none) != 0) say("S capset");
    } else if (setgroups(0, nullptr) != 0 ||
               setresgid(kUnprivilegedId, kUnprivilegedId, kUnprivilegedId) != 0 ||
               setresuid(kUnprivilegedId, kUnprivilegedId, kUnprivilegedId) != 0) {
      say("S dropping privileges failed");
    }
    // Changing credentials made us non-dumpable, which would leave /proc/self owned by root.
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) say("S prctl");
    if (unshare(CLONE_NEWUSER) != 0) say(std::string("S unshare: ") + std::strerror(errno));
    if (c.deny_setgroups && WriteOnce("/proc/self/setgroups", "deny") != 0) say("S setgroups");
    const char* path = c.kind == MapKind::kUid ? "/proc/self/uid_map" : "/proc/self/gid_map";
    int result = WriteOnce(path, c.text);
    if (result < 0) say("S open map: " + std::to_string(-result));
    if (result > 0) say("E " + std::to_string(result));
    std::optional<std::string> back = ReadWholeFile(path);
    say("A " + back.value_or(""));
  }
  close(report[1]);
  std::string message = ReadAll(report[0]);
  close(report[0]);
  int status;
  waitpid(pid, &status, 0);
  if (message.rfind("A ", 0) == 0) {
    verdict.accepted = true;
    verdict.text = message.substr(2);
    verdict.extents = ParseProcMap(verdict.text);
  } else if (message.rfind("E ", 0) == 0) {
    verdict.error_number = std::stoi(message.substr(2));
  } else {
    ADD_FAILURE() << "unprivileged writer: " << message;
  }
  return verdict;
}

TEST_F(KernelAgreementTest, UnprivilegedOwner) {
  TextGen gen(4242);
  const std::string own = std::to_string(kUnprivilegedId);
  Tally tally;
  for (int i = 0; i < 160; ++i) {
    UnprivilegedCase c;
    c.kind = gen.Chance(50) ? MapKind::kUid : MapKind::kGid;
    c.deny_setgroups = gen.Chance(70);
    std::string inside = std::to_string(gen.Chance(50) ? 0 : gen.Uniform(70000));
    switch (gen.Uniform(6)) {
      case 0:
      case 1:  // the one allowed shape, own id
        c.text = inside + gen.Space() + gen.Number(kUnprivilegedId) + gen.Space() + gen.Number(1) +
                 (gen.Chance(50) ? "\n" : "");
        break;
      case 2:  // someone else's id, or root
        c.text = inside + " " + std::to_string(gen.Chance(30) ? 0 : gen.Id()) + " 1";
        break;
      case 3:  // own id but a range
        c.text = inside + " " + own + " " + std::to_string(2 + gen.Uniform(65536));
        break;
      case 4:  // own id plus another extent
        c.text = inside + " " + own + " 1\n" + std::to_string(100000 + gen.Uniform(10)) + " " +
                 std::to_string(gen.Id()) + " 1";
        break;
      default:  // malformed: EINVAL must win over EPERM
        c.text = gen.Mutate(inside + " " + own + " 1");
    }
    MapWriter writer;
    writer.privileged = false;
    writer.euid = kUnprivilegedId;
    writer.egid = kUnprivilegedId;
    writer.setgroups_denied = c.deny_setgroups;
    Compare(c.kind == MapKind::kUid ? "unprivileged uid_map" : "unprivileged gid_map", c.text,
            CheckMapWrite(c.text, c.kind, writer), RunUnprivileged(c), &tally);
  }
  EXPECT_GE(tally.accepted, 20);
  EXPECT_GE(tally.rejected, 50);
  EXPECT_EQ(tally.failures, 0);
}

}  // namespace
}  // namespace sbx

namespace sbx {
namespace {

// uid 0 without capabilities: mapping parent uid 0 needs CAP_SETFCAP, gid 0 does not.
TEST_F(KernelAgreementTest, RootWithoutCapabilities) {
  const UnprivilegedCase cases[] = {
      {MapKind::kUid, false, "0 0 1", true},   {MapKind::kUid, true, "5 0 1", true},
      {MapKind::kUid, false, "0 1 1", true},   {MapKind::kUid, false, "0 0 2", true},
      {MapKind::kGid, true, "0 0 1", true},    {MapKind::kGid, false, "0 0 1", true},
      {MapKind::kGid, true, "7 0 1\n", true},  {MapKind::kGid, true, "0 0 1\n1 1 1", true},
      {MapKind::kUid, false, "0 0 1 x", true},
  };
  Tally tally;
  for (const UnprivilegedCase& c : cases) {
    MapWriter writer;
    writer.privileged = false;
    writer.setgroups_denied = c.deny_setgroups;  // euid = egid = 0
    Compare("capability-less root", c.text, CheckMapWrite(c.text, c.kind, writer),
            RunUnprivileged(c), &tally);
  }
  EXPECT_GE(tally.accepted, 2);
  EXPECT_EQ(tally.failures, 0);
}

// Spec 23's one-shot rules, which sit outside the validator (it judges a fresh namespace):
// a map is written once, and setgroups is frozen once gid_map is written.
TEST_F(KernelAgreementTest, MapsAreWrittenOnce) {
  std::string why;
  std::unique_ptr<NsChild> child = NsChild::Start(&why);
  ASSERT_TRUE(child) << why;
  EXPECT_EQ(WriteOnce(child->Proc("uid_map"), "0 0 1"), 0);
  EXPECT_EQ(WriteOnce(child->Proc("uid_map"), "0 0 1"), EPERM);
  EXPECT_EQ(WriteOnce(child->Proc("uid_map"), "1 1 1"), EPERM);
  EXPECT_EQ(WriteOnce(child->Proc("gid_map"), "0 0 1"), 0);
  EXPECT_EQ(WriteOnce(child->Proc("gid_map"), "1 1 1"), EPERM);
  EXPECT_EQ(WriteOnce(child->Proc("setgroups"), "deny"), EPERM);
  EXPECT_EQ(ReadWholeFile(child->Proc("setgroups")), "allow\n");
}

}  // namespace
}  // namespace sbx
