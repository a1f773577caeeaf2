// SIGINT, SIGTERM and SIGHUP end a run the way a finished one ends: the builder is killed,
// what was made is removed, and the run reports 128+N. Process-wide: one run at a time
// holds them.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <iterator>

namespace sbx {

class TerminatingSignals {
 public:
  // Installs the handlers (no SA_RESTART: a wait returns EINTR).
  TerminatingSignals();
  // Puts the previous handlers back.
  ~TerminatingSignals();
  TerminatingSignals(const TerminatingSignals&) = delete;
  TerminatingSignals& operator=(const TerminatingSignals&) = delete;

  // The builder is started: a signal from now on kills it; one that came during the start
  // kills it now.
  static void Started(pid_t builder);
  // The signal that came, or 0.
  static int received();

 private:
  static constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
  struct sigaction old_[std::size(kSignals)];
};

}  // namespace sbx
