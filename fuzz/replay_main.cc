// Replay driver: the main() of a fuzz target in normal (non --config=fuzz) builds. Runs
// LLVMFuzzerTestOneInput once per file named on the command line (directories are walked),
// so corpora and crash reproducers become plain regression inputs. Arguments starting with
// '-' are libFuzzer flags and are ignored, so one command line works with both engines.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "testing/file_read.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Optional, as in libFuzzer.
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

// Files to replay, in a stable order so failures reproduce the same way.
bool CollectInputs(const std::string& arg, std::vector<fs::path>* inputs) {
  std::error_code ec;
  if (fs::is_directory(arg, ec)) {
    std::vector<fs::path> found;
    for (const auto& entry : fs::recursive_directory_iterator(arg, ec)) {
      if (entry.is_regular_file()) found.push_back(entry.path());
    }
    if (ec) return false;
    std::sort(found.begin(), found.end());
    inputs->insert(inputs->end(), found.begin(), found.end());
    return true;
  }
  if (fs::is_regular_file(arg, ec)) {
    inputs->push_back(arg);
    return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.starts_with("-")) continue;
    if (!CollectInputs(arg, &inputs)) {
      std::fprintf(stderr, "replay: cannot read %s\n", arg.c_str());
      return 2;
    }
  }
  for (const fs::path& path : inputs) {
    std::optional<std::string> bytes = sbx::testing::ReadWholeFile(path);
    if (!bytes) {
      std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
      return 2;
    }
    std::fprintf(stderr, "Running: %s (%zu bytes)\n", path.c_str(), bytes->size());
    // An exactly-sized heap copy, so ASan sees reads past the end as it would in libFuzzer.
    std::unique_ptr<uint8_t[]> copy(new uint8_t[bytes->size()]);
    std::copy(bytes->begin(), bytes->end(), copy.get());
    LLVMFuzzerTestOneInput(copy.get(), bytes->size());
  }
  std::fprintf(stderr, "replay: executed %zu inputs\n", inputs.size());
  return 0;
}
