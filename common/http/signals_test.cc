#include "common/http/signals.h"

#include <csignal>

#include <gtest/gtest.h>

namespace abhra::http {
namespace {

TEST(SignalsTest, PendingTerminationSignalIsReturned) {
  BlockTerminationSignals();
  ASSERT_EQ(raise(SIGTERM), 0);  // stays pending: blocked in this thread
  EXPECT_EQ(WaitForTerminationSignal(), SIGTERM);
  ASSERT_EQ(raise(SIGINT), 0);
  EXPECT_EQ(WaitForTerminationSignal(), SIGINT);
}

}  // namespace
}  // namespace abhra::http
