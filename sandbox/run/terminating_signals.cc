#include "sandbox/run/terminating_signals.h"

namespace sbx {
namespace {

volatile sig_atomic_t g_signal = 0;
volatile pid_t g_builder = -1;  // set once started; -1 in every forked copy made before

void OnTerminatingSignal(int sig) {
  g_signal = sig;
  if (g_builder > 0) kill(g_builder, SIGKILL);
}

}  // namespace

TerminatingSignals::TerminatingSignals() {
  g_signal = 0;
  struct sigaction action {};
  action.sa_handler = OnTerminatingSignal;
  sigemptyset(&action.sa_mask);
  for (size_t i = 0; i < std::size(kSignals); ++i) sigaction(kSignals[i], &action, &old_[i]);
}

TerminatingSignals::~TerminatingSignals() {
  g_builder = -1;
  for (size_t i = 0; i < std::size(kSignals); ++i) sigaction(kSignals[i], &old_[i], nullptr);
}

void TerminatingSignals::Started(pid_t builder) {
  g_builder = builder;
  if (g_signal) kill(builder, SIGKILL);
}

int TerminatingSignals::received() { return g_signal; }

}  // namespace sbx
