#include "common/base/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace abhra {
namespace {

std::atomic<size_t> g_parallelism{0};  // 0 = not set: hardware threads

// One ParallelFor call. Pool threads may pick it up after it has finished; they then find
// no range left and only touch this shared state, never the caller's fn.
struct Loop {
  const std::function<void(size_t, size_t)>* fn = nullptr;
  size_t n = 0, grain = 1, ranges = 0;
  std::atomic<size_t> next{0};
  std::atomic<size_t> finished{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  std::condition_variable done;
  std::exception_ptr error;  // guarded by mu

  // Runs ranges until none is left. Returns after finishing the last one it took.
  void Work() {
    for (size_t r; (r = next.fetch_add(1, std::memory_order_relaxed)) < ranges;) {
      if (!failed.load(std::memory_order_relaxed)) {
        try {
          size_t b = r * grain;
          (*fn)(b, std::min(n, b + grain));
        } catch (...) {
          std::lock_guard<std::mutex> l(mu);
          if (!error) error = std::current_exception();
          failed = true;
        }
      }
      if (finished.fetch_add(1, std::memory_order_acq_rel) + 1 == ranges) {
        std::lock_guard<std::mutex> l(mu);
        done.notify_all();
      }
    }
  }
};

class Pool {
 public:
  explicit Pool(size_t threads) {
    for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_) t.join();
  }
  size_t size() const { return threads_.size(); }
  void Submit(const std::shared_ptr<Loop>& loop, size_t copies) {
    {
      std::lock_guard<std::mutex> l(mu_);
      for (size_t i = 0; i < copies; ++i) queue_.push_back(loop);
    }
    if (copies == 1) {
      cv_.notify_one();
    } else {
      cv_.notify_all();
    }
  }

 private:
  void Run() {
    while (true) {
      std::shared_ptr<Loop> loop;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [this] { return stop_ || !queue_.empty(); });
        if (stop_) return;
        loop = std::move(queue_.front());
        queue_.pop_front();
      }
      loop->Work();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Loop>> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

Pool& GlobalPool() {
  // Sized once; never destroyed (threads may outlive static destruction order).
  static Pool* pool = new Pool(Parallelism() - 1);
  return *pool;
}

}  // namespace

size_t Parallelism() {
  size_t p = g_parallelism.load(std::memory_order_relaxed);
  if (p == 0) p = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 16);
  return p;
}

void SetParallelism(size_t threads) { g_parallelism = std::clamp<size_t>(threads, 1, 256); }

void ParallelFor(size_t n, size_t grain, const std::function<void(size_t, size_t)>& fn) {
  if (n == 0) return;
  grain = std::max<size_t>(grain, 1);
  const size_t ranges = (n + grain - 1) / grain;
  if (ranges == 1 || Parallelism() == 1) {
    fn(0, n);
    return;
  }
  auto loop = std::make_shared<Loop>();
  loop->fn = &fn;
  loop->n = n;
  loop->grain = grain;
  loop->ranges = ranges;
  Pool& pool = GlobalPool();
  pool.Submit(loop, std::min(ranges - 1, pool.size()));
  loop->Work();
  {
    std::unique_lock<std::mutex> l(loop->mu);
    loop->done.wait(l, [&] { return loop->finished.load() == ranges; });
    if (loop->error) std::rethrow_exception(loop->error);
  }
}

}  // namespace abhra
