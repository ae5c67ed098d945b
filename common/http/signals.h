// Waiting for SIGTERM / SIGINT, so main() can shut down gracefully.
#pragma once

namespace abhra::http {

// Blocks SIGINT and SIGTERM in the calling thread. Threads created afterwards inherit the
// mask, so call this first thing in main(), before any thread starts; then the signals stay
// pending until WaitForTerminationSignal() takes them instead of killing the process.
void BlockTerminationSignals();

// Waits until SIGINT or SIGTERM is delivered and returns its number.
// REQUIRES: BlockTerminationSignals() ran before any other thread of the process started.
int WaitForTerminationSignal();

}  // namespace abhra::http
