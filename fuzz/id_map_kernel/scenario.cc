#include "fuzz/id_map_kernel/scenario.h"

namespace sbx::fuzz {
namespace {

using testing::kMaxSteps;
using testing::Scenario;
using testing::Step;
using testing::WriterKind;

WriterKind WriterFor(unsigned char c) {
  switch (c) {
    case 'r':
      return WriterKind::kRoot;
    case 'o':
      return WriterKind::kOwnerOutside;
    case 'i':
      return WriterKind::kOwnerInside;
    case 'c':
      return WriterKind::kCaplessRootOutside;
    case 'C':
      return WriterKind::kCaplessRootInside;
    default:
      return static_cast<WriterKind>(c % testing::kWriterKinds);
  }
}

UsernsFile FileFor(unsigned char c) {
  switch (c) {
    case 'u':
      return UsernsFile::kUidMap;
    case 'g':
      return UsernsFile::kGidMap;
    case 's':
      return UsernsFile::kSetgroups;
    default:
      return static_cast<UsernsFile>(c % 3);
  }
}

struct IdPair {
  uint32_t uid, gid;
};
// Ordinary ids, uid and gid apart (a mix-up shows), the largest valid id, and gid 0 (which,
// unlike uid 0, an unprivileged owner may map).
constexpr IdPair kOwnerIds[] = {
    {1000, 1000}, {54321, 54322}, {4294967294u, 4294967294u}, {1000, 0}};

}  // namespace

Scenario ParseScenario(std::string_view input) {
  Scenario scenario;
  if (!input.empty()) scenario.writer.kind = WriterFor(static_cast<unsigned char>(input[0]));
  IdPair ids = kOwnerIds[input.size() > 1 ? static_cast<unsigned char>(input[1]) % 4 : 0];
  switch (scenario.writer.kind) {
    case WriterKind::kOwnerOutside:
    case WriterKind::kOwnerInside:
      scenario.writer.uid = ids.uid;
      scenario.writer.gid = ids.gid;
      break;
    default:
      break;  // root, with or without capabilities: ids 0
  }
  if (input.size() <= 2) return scenario;
  std::string_view rest = input.substr(2);
  while (scenario.step_count < kMaxSteps) {
    size_t end = rest.find(kStepSeparator);
    std::string_view record = rest.substr(0, end);
    Step& step = scenario.steps[scenario.step_count++];
    if (!record.empty()) {
      step.file = FileFor(static_cast<unsigned char>(record[0]));
      step.bytes = record.substr(1);
    }
    if (end == std::string_view::npos) break;
    rest = rest.substr(end + kStepSeparator.size());
  }
  return scenario;
}

MapWriter ModelWriter(const testing::Writer& writer) {
  MapWriter model;
  model.privileged = writer.kind == WriterKind::kRoot;
  model.euid = writer.uid;
  model.egid = writer.gid;
  return model;
}

}  // namespace sbx::fuzz
