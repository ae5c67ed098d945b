// The seam between the scheduler and one kind of check: the scheduler owns the libcurl multi
// handle and easy handles; a CurlCheck configures an easy handle for one attempt and turns the
// finished transfer into a CheckResult. One object per attempt; used from one thread.
#pragma once

#include <curl/curl.h>

#include "common/base/status.h"
#include "probe/check/check_result.h"

namespace abhra::probe {

class CurlCheck {
 public:
  virtual ~CurlCheck() = default;
  // Sets options on a fresh (reset) easy handle. The handle's CURLOPT_PRIVATE belongs to the
  // scheduler. A non-OK Status fails the attempt without a transfer (reason "config").
  virtual Status Prepare(CURL* easy) = 0;
  // Called once the transfer is done (code is its CURLcode), before the handle is reset.
  virtual CheckResult Finish(CURL* easy, CURLcode code) = 0;
};

}  // namespace abhra::probe
