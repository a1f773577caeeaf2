// Background churn of network namespaces: a thread that creates a fresh network namespace in
// a loop, dropping the previous one each time. Tearing a namespace down runs in the kernel's
// cleanup_net work, which holds locks that creating one (CLONE_NEWNET) also needs, as on a
// busy build machine where other builds end while ours starts.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

namespace sbx_bench {

class NetnsChurn {
 public:
  // Starts churning at once.
  NetnsChurn();
  // Stops and joins the thread; its last namespace goes with it.
  ~NetnsChurn();
  NetnsChurn(const NetnsChurn&) = delete;
  NetnsChurn& operator=(const NetnsChurn&) = delete;

  // Namespaces created so far.
  uint64_t created() const { return created_.load(); }
  // Empty, or why the churn stopped early (e.g. unshare failed).
  std::string error() const;

 private:
  void Loop();

  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> created_{0};
  std::atomic<int> errno_{0};
  std::thread thread_;
};

}  // namespace sbx_bench
