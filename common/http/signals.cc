#include "common/http/signals.h"

#include <cerrno>
#include <csignal>

#include <pthread.h>

namespace abhra::http {
namespace {

sigset_t TerminationSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  BlockTerminationSignals();
  sigset_t set = TerminationSet();
  for (;;) {
    int sig = 0;
    int rc = sigwait(&set, &sig);
    if (rc == 0) return sig;
    if (rc != EINTR) return SIGTERM;  // cannot happen with a valid set; treat as a stop
  }
}

}  // namespace abhra::http
