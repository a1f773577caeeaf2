// Differential fuzzer: each input names a writer and a sequence of writes to uid_map, gid_map
// and setgroups of a fresh user namespace (scenario.h). The writes go to the running kernel
// (testing/userns_writes.h) and to id_map_kernel_rules' model of the namespace; every write's
// verdict and errno, and afterwards the text of all three files, must agree byte for byte. Without
// root or user namespaces it prints "SKIPPED: why" and exits 0 (the regression test reports that as
// a skip).
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz/id_map_kernel/scenario.h"
#include "fuzz/print_input.h"
#include "sandbox/rules/id_map_kernel_rules.h"
#include "testing/userns_writes.h"

namespace sbx::fuzz {
namespace {

using testing::KernelOutcome;
using testing::kWriterKinds;
using testing::Scenario;
using testing::Step;
using testing::WriterKind;
using testing::WriterName;

// Accepted and rejected writes per writer and file, printed at exit: the evidence that a run
// reached every writer and every file both ways.
uint64_t tally[kWriterKinds][3][2];

void PrintTally() {
  std::fprintf(stderr, "id_map_kernel: writes per writer and file (accepted/rejected):\n");
  for (int w = 0; w < kWriterKinds; ++w) {
    std::fprintf(stderr, "  %-21s", WriterName(static_cast<WriterKind>(w)));
    for (int f = 0; f < 3; ++f) {
      std::fprintf(stderr, " %s %llu/%llu", sbx::UsernsFileName(static_cast<sbx::UsernsFile>(f)),
                   static_cast<unsigned long long>(tally[w][f][0]),
                   static_cast<unsigned long long>(tally[w][f][1]));
    }
    std::fputc('\n', stderr);
  }
}

[[noreturn]] void Disagree(std::string_view input, const Scenario& scenario,
                           const std::string& what, const std::string& rules,
                           const std::string& kernel) {
  std::fprintf(stderr, "id_map_kernel: rules and kernel disagree: %s\n", what.c_str());
  std::fprintf(stderr, "writer: %s (euid %u, egid %u)\n", WriterName(scenario.writer.kind),
               scenario.writer.uid, scenario.writer.gid);
  for (size_t i = 0; i < scenario.step_count; ++i) {
    std::fprintf(stderr, "step %zu: %s <- ", i + 1, sbx::UsernsFileName(scenario.steps[i].file));
    PrintQuoted(scenario.steps[i].bytes);
    std::fputc('\n', stderr);
  }
  std::fprintf(stderr, "rules:  ");
  PrintQuoted(rules);
  std::fprintf(stderr, "\nkernel: ");
  PrintQuoted(kernel);
  std::fputc('\n', stderr);
  PrintInput(input);
  __builtin_trap();
}

std::string Outcome(int error_number, const std::string& reason = "") {
  if (error_number == 0) return "accepted";
  return std::string("rejected: ") + std::strerror(error_number) +
         (reason.empty() ? "" : " (" + reason + ")");
}

}  // namespace
}  // namespace sbx::fuzz

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  using sbx::testing::WriterKind;
  const std::string why = sbx::testing::KernelUnavailableReason(
      {WriterKind::kRoot, WriterKind::kOwnerOutside, WriterKind::kOwnerInside,
       WriterKind::kCaplessRootInside});
  if (!why.empty()) {
    std::printf("SKIPPED: id_map_kernel needs root in the initial user namespace: %s\n",
                why.c_str());
    std::fflush(stdout);
    std::exit(0);
  }
  std::atexit(sbx::fuzz::PrintTally);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sbx::fuzz;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  Scenario scenario = ParseScenario(input);
  KernelOutcome kernel = sbx::testing::RunOnKernel(scenario);
  if (!kernel.setup_error.empty()) {  // a harness problem, not a verdict
    std::fprintf(stderr, "id_map_kernel: %s\n", kernel.setup_error.c_str());
    std::abort();
  }

  sbx::UsernsFiles model;
  sbx::MapWriter writer = ModelWriter(scenario.writer);
  for (size_t i = 0; i < scenario.step_count; ++i) {
    const Step& step = scenario.steps[i];
    sbx::WriteVerdict verdict = sbx::ApplyUsernsWrite(model, step.file, step.bytes, writer);
    int rules_errno = verdict.accepted ? 0 : verdict.error_number;
    if (rules_errno != kernel.step_errno[i]) {
      Disagree(
          input, scenario,
          "verdict of step " + std::to_string(i + 1) + " (" + sbx::UsernsFileName(step.file) + ")",
          Outcome(rules_errno, verdict.reason), Outcome(kernel.step_errno[i]));
    }
    ++tally[static_cast<int>(scenario.writer.kind)][static_cast<int>(step.file)]
           [verdict.accepted ? 0 : 1];
  }
  for (sbx::UsernsFile file :
       {sbx::UsernsFile::kUidMap, sbx::UsernsFile::kGidMap, sbx::UsernsFile::kSetgroups}) {
    std::string expected = sbx::KernelFileText(model, file);
    const std::string& shown = kernel.files[static_cast<int>(file)];
    if (expected != shown) {
      Disagree(input, scenario, std::string("text of ") + sbx::UsernsFileName(file) + " afterwards",
               expected, shown);
    }
  }
  return 0;
}
