#include "bench/netns_churn.h"

#include <sched.h>

#include <cerrno>
#include <cstring>

namespace sbx_bench {

NetnsChurn::NetnsChurn() : thread_([this] { Loop(); }) {}

NetnsChurn::~NetnsChurn() {
  stop_.store(true);
  thread_.join();
}

std::string NetnsChurn::error() const {
  int e = errno_.load();
  return e == 0 ? "" : std::string("netns churn: unshare(CLONE_NEWNET): ") + std::strerror(e);
}

void NetnsChurn::Loop() {
  // unshare(CLONE_NEWNET) affects only this thread, so the benchmark's threads keep theirs.
  while (!stop_.load(std::memory_order_relaxed)) {
    if (unshare(CLONE_NEWNET) < 0) {
      errno_.store(errno);
      return;
    }
    created_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace sbx_bench
