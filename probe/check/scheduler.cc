#include "probe/check/scheduler.h"

#include <algorithm>

#include "common/base/logging.h"
#include "common/labels/hash.h"
#include "probe/check/dns_check.h"
#include "probe/check/http_check.h"
#include "probe/check/tcp_check.h"

namespace abhra::probe {

namespace {
void GlobalInitOnce() {
  static const bool done = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  (void)done;
}
}  // namespace

std::unique_ptr<CurlCheck> MakeBuiltinCheck(const Target& target) {
  switch (target.kind) {
    case TargetKind::kHttp:
    case TargetKind::kHealth: return std::make_unique<HttpCheck>(target);
    case TargetKind::kTcp: return std::make_unique<TcpCheck>(target);
    case TargetKind::kDns: return std::make_unique<DnsCheck>(target);
    default: return nullptr;
  }
}

int64_t PhaseOffsetMs(int64_t interval_ms, std::string_view target_name) {
  if (interval_ms <= 0) return 0;
  return static_cast<int64_t>(HashString(target_name) % static_cast<uint64_t>(interval_ms));
}

int64_t NextDueMs(int64_t now_ms, int64_t interval_ms, std::string_view target_name) {
  int64_t offset = PhaseOffsetMs(interval_ms, target_name);
  int64_t since = ((now_ms - offset) % interval_ms + interval_ms) % interval_ms;
  return since == 0 ? now_ms : now_ms - since + interval_ms;
}

struct Scheduler::TargetState {
  Target target;
  int64_t next_due_ms = 0;
  bool in_flight = false;
  bool removed = false;
  int once_index = -1;  // >= 0 while part of RunOnce
};

struct Scheduler::Attempt {
  std::shared_ptr<TargetState> state;
  std::unique_ptr<CurlCheck> check;
  CURL* easy = nullptr;
  int attempt_no = 0;          // 0 for the first attempt
  int64_t first_start_ms = 0;  // wall clock
  int64_t start_ns = 0;        // monotonic, this attempt
  SocketCheck* socket = nullptr;  // set for checks that are not libcurl transfers
  int64_t deadline_ns = 0;        // monotonic; socket checks only
};

struct Scheduler::Due {
  int64_t due_ms;
  std::shared_ptr<TargetState> state;
  bool operator>(const Due& o) const { return due_ms > o.due_ms; }
};

Scheduler::Scheduler(const Clock& clock, CheckFactory factory, ResultCallback on_result)
    : clock_(clock), factory_(std::move(factory)), on_result_(std::move(on_result)) {
  GlobalInitOnce();
  multi_ = curl_multi_init();
  // Thousands of transfers each on their own connection.
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, 16L);
}

Scheduler::~Scheduler() {
  for (Attempt* a : socket_attempts_) delete a;
  // Attempts still in flight are owned through CURLOPT_PRIVATE; free them with their handles.
  for (CURL* easy : in_flight_handles_) {
    Attempt* raw = nullptr;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
    curl_multi_remove_handle(multi_, easy);
    delete raw;
    curl_easy_cleanup(easy);
  }
  for (CURL* e : idle_easy_) curl_easy_cleanup(e);
  curl_multi_cleanup(multi_);
}

void Scheduler::SetTargets(std::vector<Target> targets) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending_targets_ = std::move(targets);
  }
  curl_multi_wakeup(multi_);
}

void Scheduler::Stop() {
  stop_.store(true);
  curl_multi_wakeup(multi_);
}

CURL* Scheduler::TakeEasy() {
  if (idle_easy_.empty()) return curl_easy_init();
  CURL* e = idle_easy_.back();
  idle_easy_.pop_back();
  return e;
}

void Scheduler::ReturnEasy(CURL* easy) {
  curl_easy_reset(easy);
  if (idle_easy_.size() < 256) {
    idle_easy_.push_back(easy);
  } else {
    curl_easy_cleanup(easy);
  }
}

void Scheduler::ApplyPendingTargets() {
  std::optional<std::vector<Target>> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending.swap(pending_targets_);
  }
  if (!pending) return;
  int64_t now = clock_.NowMillis();
  std::vector<std::shared_ptr<TargetState>> next;
  for (Target& t : *pending) {
    auto state = std::make_shared<TargetState>();
    auto old = std::find_if(targets_.begin(), targets_.end(), [&](const auto& s) {
      return s->target.name == t.name && s->target.interval_ms == t.interval_ms;
    });
    state->next_due_ms = old != targets_.end() ? (*old)->next_due_ms
                                               : NextDueMs(now, t.interval_ms, t.name);
    state->target = std::move(t);
    next.push_back(std::move(state));
  }
  for (auto& s : targets_) s->removed = true;
  targets_ = std::move(next);
  queue_.clear();
  for (auto& s : targets_) queue_.push_back({s->next_due_ms, s});
  std::make_heap(queue_.begin(), queue_.end(), std::greater<>());
}

void Scheduler::StartAttempt(const std::shared_ptr<TargetState>& state, int attempt_no,
                             int64_t first_start_ms) {
  auto attempt = std::make_unique<Attempt>();
  attempt->state = state;
  attempt->attempt_no = attempt_no;
  attempt->first_start_ms = first_start_ms;
  attempt->start_ns = clock_.MonotonicNanos();
  attempt->check = factory_(state->target);
  state->in_flight = true;
  if (attempt->check == nullptr) {
    TargetResult r{state->target.name, first_start_ms, attempt_no + 1, {}};
    r.result.Fail(reason::kConfig, fmt::format("no check for target kind {}",
                                               TargetKindName(state->target.kind)));
    Deliver(state, std::move(r));
    return;
  }
  if (SocketCheck* socket = attempt->check->AsSocketCheck()) {
    attempt->socket = socket;
    attempt->deadline_ns = attempt->start_ns + state->target.timeout_ms * 1'000'000;
    Status st = socket->Start();
    if (!st.ok()) {
      TargetResult r{state->target.name, first_start_ms, attempt_no + 1, {}};
      r.result.Fail(reason::kConnect, st.message());
      Deliver(state, std::move(r));
      return;
    }
    in_flight_.fetch_add(1);
    socket_attempts_.push_back(attempt.release());
    return;
  }
  attempt->easy = TakeEasy();
  Status st = attempt->check->Prepare(attempt->easy);
  if (!st.ok()) {
    TargetResult r{state->target.name, first_start_ms, attempt_no + 1, {}};
    r.result.Fail(reason::kConfig, st.message());
    ReturnEasy(attempt->easy);
    Deliver(state, std::move(r));
    return;
  }
  curl_easy_setopt(attempt->easy, CURLOPT_PRIVATE, attempt.get());
  curl_multi_add_handle(multi_, attempt->easy);
  in_flight_handles_.insert(attempt->easy);
  in_flight_.fetch_add(1);
  attempt.release();  // owned through CURLOPT_PRIVATE until OnDone
}

void Scheduler::OnDone(CURL* easy, CURLcode code) {
  Attempt* raw = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
  std::unique_ptr<Attempt> attempt(raw);
  CheckResult result = attempt->check->Finish(easy, code);
  curl_multi_remove_handle(multi_, easy);
  in_flight_handles_.erase(easy);
  attempt->check.reset();
  ReturnEasy(easy);
  Complete(std::move(attempt), std::move(result));
}

void Scheduler::Complete(std::unique_ptr<Attempt> attempt, CheckResult result) {
  result.duration_seconds =
      static_cast<double>(clock_.MonotonicNanos() - attempt->start_ns) / 1e9;
  attempt->check.reset();
  in_flight_.fetch_sub(1);
  std::shared_ptr<TargetState> state = attempt->state;
  const Target& t = state->target;
  if (!result.success && attempt->attempt_no < t.retries && !state->removed) {
    // Retry only while a whole attempt still fits before the next interval starts.
    int64_t now = clock_.NowMillis();
    if (now + t.timeout_ms <= attempt->first_start_ms + t.interval_ms) {
      LOG_DEBUG("check", "retrying", "target={} attempt={} reason={}", t.name,
                attempt->attempt_no + 1, result.failure_reason);
      StartAttempt(state, attempt->attempt_no + 1, attempt->first_start_ms);
      return;
    }
  }
  Deliver(state, TargetResult{t.name, attempt->first_start_ms, attempt->attempt_no + 1,
                              std::move(result)});
}

void Scheduler::Deliver(const std::shared_ptr<TargetState>& state, TargetResult result) {
  state->in_flight = false;
  checks_completed_.fetch_add(1);
  if (state->once_index >= 0 && once_results_ != nullptr) {
    (*once_results_)[state->once_index] = std::move(result);
    return;
  }
  if (state->removed || !on_result_) return;
  on_result_(state->target, std::move(result));
}

void Scheduler::DriveTransfers() {
  int running = 0;
  curl_multi_perform(multi_, &running);
  CURLMsg* msg;
  int left = 0;
  while ((msg = curl_multi_info_read(multi_, &left)) != nullptr) {
    if (msg->msg == CURLMSG_DONE) OnDone(msg->easy_handle, msg->data.result);
  }
}

void Scheduler::Poll(int64_t wait_ms) {
  std::vector<curl_waitfd> fds;
  fds.reserve(socket_attempts_.size());
  int64_t now_ns = clock_.MonotonicNanos();
  for (Attempt* a : socket_attempts_) {
    fds.push_back({a->socket->fd(), CURL_WAIT_POLLIN, 0});
    wait_ms = std::min<int64_t>(wait_ms, std::max<int64_t>(0, (a->deadline_ns - now_ns) / 1'000'000 + 1));
  }
  curl_multi_poll(multi_, fds.empty() ? nullptr : fds.data(), static_cast<unsigned>(fds.size()),
                  static_cast<int>(wait_ms), nullptr);
  if (socket_attempts_.empty()) return;
  // Finish socket checks that got their answer or ran out of time. fds[i] belongs to
  // socket_attempts_[i] (nothing was added in between).
  now_ns = clock_.MonotonicNanos();
  std::vector<Attempt*> still;
  std::vector<std::pair<Attempt*, bool>> done;  // attempt, timed out
  for (size_t i = 0; i < socket_attempts_.size(); ++i) {
    Attempt* a = socket_attempts_[i];
    if ((fds[i].revents & CURL_WAIT_POLLIN) != 0 && a->socket->OnReadable()) {
      done.emplace_back(a, false);
    } else if (now_ns >= a->deadline_ns) {
      done.emplace_back(a, true);
    } else {
      still.push_back(a);
    }
  }
  socket_attempts_ = std::move(still);
  for (auto [a, timed_out] : done) {
    std::unique_ptr<Attempt> attempt(a);
    CheckResult result = attempt->socket->Finish(timed_out);
    Complete(std::move(attempt), std::move(result));
  }
}

void Scheduler::Run() {
  while (!stop_.load()) {
    ApplyPendingTargets();
    int64_t now = clock_.NowMillis();
    while (!queue_.empty() && queue_.front().due_ms <= now) {
      std::pop_heap(queue_.begin(), queue_.end(), std::greater<>());
      Due due = std::move(queue_.back());
      queue_.pop_back();
      TargetState& s = *due.state;
      if (s.removed) continue;
      // The next slot at the target's phase after now (skipping slots missed while busy).
      s.next_due_ms = due.due_ms + s.target.interval_ms;
      if (s.next_due_ms <= now) s.next_due_ms = NextDueMs(now + 1, s.target.interval_ms, s.target.name);
      queue_.push_back({s.next_due_ms, due.state});
      std::push_heap(queue_.begin(), queue_.end(), std::greater<>());
      if (s.in_flight) {
        LOG_WARN("check", "check still running at its next slot; skipped", "target={}",
                 s.target.name);
        continue;
      }
      StartAttempt(due.state, 0, now);
    }
    DriveTransfers();
    int64_t wait_ms = 1000;
    if (!queue_.empty()) wait_ms = std::clamp<int64_t>(queue_.front().due_ms - clock_.NowMillis(), 0, 1000);
    Poll(wait_ms);
  }
}

std::vector<TargetResult> Scheduler::RunOnce(const std::vector<Target>& targets) {
  std::vector<TargetResult> results(targets.size());
  once_results_ = &results;
  std::vector<std::shared_ptr<TargetState>> states;
  int64_t now = clock_.NowMillis();
  for (size_t i = 0; i < targets.size(); ++i) {
    auto s = std::make_shared<TargetState>();
    s->target = targets[i];
    s->once_index = static_cast<int>(i);
    states.push_back(s);
    StartAttempt(s, 0, now);
  }
  auto busy = [&] {
    return std::any_of(states.begin(), states.end(), [](const auto& s) { return s->in_flight; });
  };
  while (busy()) {
    DriveTransfers();
    if (!busy()) break;
    Poll(100);
  }
  once_results_ = nullptr;
  return results;
}

}  // namespace abhra::probe
