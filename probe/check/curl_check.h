// The seam between the scheduler and one kind of check: the scheduler owns the libcurl multi
// handle and easy handles; a CurlCheck configures an easy handle for one attempt and turns the
// finished transfer into a CheckResult. One object per attempt; used from one thread.
#pragma once

#include <curl/curl.h>

#include "common/base/status.h"
#include "probe/check/check_result.h"

namespace abhra::probe {

class SocketCheck;

class CurlCheck {
 public:
  virtual ~CurlCheck() = default;
  // A check that is not a libcurl transfer (DNS over UDP) returns its SocketCheck here; the
  // scheduler then polls that socket instead and never calls Prepare() or Finish().
  virtual SocketCheck* AsSocketCheck() { return nullptr; }
  // Sets options on a fresh (reset) easy handle. The handle's CURLOPT_PRIVATE belongs to the
  // scheduler. A non-OK Status fails the attempt without a transfer (reason "config").
  virtual Status Prepare(CURL* easy) = 0;
  // Called once the transfer is done (code is its CURLcode), before the handle is reset.
  virtual CheckResult Finish(CURL* easy, CURLcode code) = 0;
};

// A check on its own non-blocking socket, polled by the scheduler on the same thread as the
// libcurl transfers. One object per attempt.
class SocketCheck {
 public:
  virtual ~SocketCheck() = default;
  // Opens the socket and sends the request. A non-OK Status fails the attempt.
  virtual Status Start() = 0;
  virtual int fd() const = 0;
  // The socket is readable: consume what arrived. True when the check has its answer.
  virtual bool OnReadable() = 0;
  // Called once, when OnReadable() returned true or the timeout passed (timed_out).
  virtual CheckResult Finish(bool timed_out) = 0;
};

}  // namespace abhra::probe
