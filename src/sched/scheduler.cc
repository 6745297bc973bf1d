#include "sched/scheduler.h"

#include <algorithm>

#include <fmt/core.h>

#include "base/log.h"

namespace cria::sched {

namespace {
using Clock = std::chrono::steady_clock;
using SysClock = std::chrono::system_clock;

// kForever, or a keep_alive so long that now + keep_alive would overflow the clocks.
bool lasts_forever(Nanos keep_alive) {
  return keep_alive >= Clock::time_point::max() - Clock::now() ||
         keep_alive >= SysClock::time_point::max() - SysClock::now();
}
}  // namespace

struct Lease::Slot {
  LoadSpec spec;
  std::unique_ptr<Runner> runner;
  bool loading = true;
  int refs = 0;
  bool unload_requested = false;
  Nanos keep_alive{0};
  Clock::time_point expires = Clock::time_point::max();
  SysClock::time_point expires_wall = SysClock::time_point::max();
};

bool LoadSpec::same_load(const LoadSpec& o) const {
  return model_path == o.model_path && options.num_ctx == o.options.num_ctx &&
         options.num_batch == o.options.num_batch && options.num_thread == o.options.num_thread &&
         options.use_mmap == o.options.use_mmap && num_parallel == o.num_parallel;
}

Lease::~Lease() {
  sched_.release(slot_, keep_alive_, failed_);
}

Scheduler::Scheduler(SchedOptions options, std::unique_ptr<RunnerFactory> factory)
    : opt_(options), factory_(std::move(factory)) {
  if (opt_.max_loaded_models <= 0) opt_.max_loaded_models = 3;
  reaper_ = std::thread([this] { reap_loop(); });
}

Scheduler::~Scheduler() {
  stop();
}

void Scheduler::stop() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_ && !reaper_.joinable()) return;
    stopping_ = true;
    changed_.notify_all();
  }
  if (reaper_.joinable()) reaper_.join();
  std::unique_lock<std::mutex> lock(mu_);
  while (!slots_.empty()) drop(lock, slots_.front());
}

std::shared_ptr<Lease::Slot> Scheduler::find(const std::string& name) {
  for (auto& s : slots_)
    if (s->spec.name == name) return s;
  return nullptr;
}

void Scheduler::drop(std::unique_lock<std::mutex>& lock, std::shared_ptr<Slot> slot) {
  slots_.remove(slot);
  std::unique_ptr<Runner> runner = std::move(slot->runner);
  if (runner) {
    log::info("unloading {}", slot->spec.name);
    ++retiring_;
    lock.unlock();
    runner.reset();
    lock.lock();
    --retiring_;
  }
  changed_.notify_all();
}

std::shared_ptr<Lease::Slot> Scheduler::pick_victim() const {
  // From the least recently used end, so that a tie goes to the older runner.
  std::shared_ptr<Slot> best;
  for (auto it = slots_.rbegin(); it != slots_.rend(); ++it) {
    const auto& s = *it;
    if (s->loading || s->refs > 0) continue;
    if (!s->runner || !s->runner->alive()) return s;  // dead: nothing to lose
    if (!best || s->expires < best->expires) best = s;
  }
  return best;
}

bool Scheduler::make_slot_room(std::unique_lock<std::mutex>& lock) {
  while (static_cast<int>(slots_.size()) >= opt_.max_loaded_models) {
    auto victim = pick_victim();
    if (!victim) return false;
    log::info("unloading {} to stay within {} loaded models", victim->spec.name,
              opt_.max_loaded_models);
    drop(lock, victim);
  }
  return true;
}

Result<bool> Scheduler::make_memory_room(std::unique_lock<std::mutex>& lock, const LoadSpec& spec) {
  const uint64_t need = spec.estimated_bytes;
  if (need == 0 || !opt_.free_memory) return true;
  for (;;) {
    const uint64_t free = opt_.free_memory();  // re-read: an unload gives memory back
    if (free == 0 || need <= free) return true;
    if (retiring_ > 0) return false;  // memory still coming back
    if (auto victim = pick_victim()) {
      log::info("unloading {} ({}) to make room for {} ({}, {} available)", victim->spec.name,
                human_bytes_binary(victim->runner ? victim->runner->memory_bytes() : 0), spec.name,
                human_bytes_binary(need), human_bytes_binary(free));
      drop(lock, victim);
      continue;
    }
    if (!slots_.empty()) return false;  // busy runners hold memory until their requests end
    return make_error(Errc::kOutOfMemory,
                      fmt::format("model requires more system memory ({}) than is available ({})",
                                  human_bytes_binary(need), human_bytes_binary(free)));
  }
}

Result<bool> Scheduler::make_room(std::unique_lock<std::mutex>& lock, const LoadSpec& spec) {
  if (!make_slot_room(lock)) return false;
  return make_memory_room(lock, spec);
}

Result<std::shared_ptr<Lease::Slot>> Scheduler::load(std::unique_lock<std::mutex>& lock,
                                                     const LoadSpec& spec) {
  auto slot = std::make_shared<Slot>();
  slot->spec = spec;
  slots_.push_front(slot);
  ++loading_;
  lock.unlock();
  log::info("loading {} from {} (num_ctx {})", spec.name, spec.model_path, spec.options.num_ctx);
  auto runner = factory_->start(spec);
  lock.lock();
  --loading_;
  slot->loading = false;
  changed_.notify_all();
  if (!runner.ok()) {
    slots_.remove(slot);
    return std::move(runner).error();
  }
  slot->runner = std::move(runner).value();
  return slot;
}

int Scheduler::waiting() const {
  // Requests not yet scheduled, and leases beyond what their runner serves at once
  // (those wait inside the runner for a free sequence).
  int n = pending_;
  for (const auto& s : slots_) n += std::max(0, s->refs - std::max(1, s->spec.num_parallel));
  return n;
}

Result<std::unique_ptr<Lease>> Scheduler::acquire(const LoadSpec& spec,
                                                  std::optional<Nanos> keep_alive) {
  std::unique_lock<std::mutex> lock(mu_);
  if (waiting() >= opt_.max_queue) {
    return make_error(Errc::kUnavailable,
                      "server busy, please try again.  maximum pending requests exceeded");
  }
  ++pending_;
  struct Pending {
    int& n;
    ~Pending() { --n; }
  } pending{pending_};
  const Nanos keep = keep_alive.value_or(opt_.default_keep_alive);
  Nanos load_time{0};
  for (;;) {
    if (stopping_) return make_error(Errc::kUnavailable, "the server is shutting down");
    auto slot = find(spec.name);
    if (slot && slot->loading) {
      changed_.wait(lock);
      continue;
    }
    if (slot && (!slot->spec.same_load(spec) || !slot->runner->alive())) {
      if (slot->refs == 0) {
        drop(lock, slot);
      } else {
        slot->unload_requested = true;
        changed_.wait(lock);
      }
      continue;
    }
    if (slot) {
      ++slot->refs;
      slot->unload_requested = false;
      slot->keep_alive = keep;
      slot->expires = Clock::time_point::max();
      slots_.remove(slot);
      slots_.push_front(slot);
      return std::unique_ptr<Lease>(new Lease(*this, slot, slot->runner.get(), keep, load_time));
    }
    if (loading_ > 0) {  // one load at a time: its memory use is not known until it ends
      changed_.wait(lock);
      continue;
    }
    CRIA_ASSIGN_OR_RETURN(bool room, make_room(lock, spec));
    if (!room) {
      changed_.wait(lock);
      continue;
    }
    auto t0 = Clock::now();
    CRIA_ASSIGN_OR_RETURN(auto loaded, load(lock, spec));
    load_time = Clock::now() - t0;
    (void)loaded;  // picked up by find() on the next turn
  }
}

void Scheduler::release(const std::shared_ptr<Slot>& slot, Nanos keep_alive, bool failed) {
  std::unique_lock<std::mutex> lock(mu_);
  --slot->refs;
  if (failed || (slot->runner && !slot->runner->alive())) slot->unload_requested = true;
  if (slot->refs == 0) {
    if (slot->unload_requested || keep_alive.count() == 0) {
      drop(lock, slot);
      return;
    }
    if (lasts_forever(keep_alive)) {
      slot->expires = Clock::time_point::max();
      slot->expires_wall = SysClock::time_point::max();
    } else {
      slot->expires = Clock::now() + keep_alive;
      slot->expires_wall =
          SysClock::now() + std::chrono::duration_cast<SysClock::duration>(keep_alive);
    }
  }
  changed_.notify_all();
}

bool Scheduler::unload(const std::string& name) {
  std::unique_lock<std::mutex> lock(mu_);
  auto slot = find(name);
  if (!slot) return false;
  if (slot->refs == 0 && !slot->loading) {
    drop(lock, slot);
  } else {
    slot->unload_requested = true;
  }
  return true;
}

std::vector<RunningModel> Scheduler::running() {
  std::unique_lock<std::mutex> lock(mu_);
  std::vector<RunningModel> out;
  for (const auto& s : slots_) {
    if (s->loading || !s->runner) continue;
    RunningModel m{s->spec.name,
                   s->spec.digest,
                   s->spec.model_path,
                   s->runner->memory_bytes(),
                   s->runner->context_length(),
                   s->expires_wall,
                   false};
    if (s->refs > 0) {
      m.forever = lasts_forever(s->keep_alive);
      if (!m.forever)
        m.expires_at =
            SysClock::now() + std::chrono::duration_cast<SysClock::duration>(s->keep_alive);
    } else {
      m.forever = s->expires == Clock::time_point::max();
    }
    out.push_back(m);
  }
  return out;
}

void Scheduler::reap_loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    auto next = Clock::time_point::max();
    auto now = Clock::now();
    std::shared_ptr<Slot> expired;
    for (auto& s : slots_) {
      if (s->loading || s->refs > 0) continue;
      if (s->expires <= now) {
        expired = s;
        break;
      }
      next = std::min(next, s->expires);
    }
    if (expired) {  // one at a time: the others may be in use again once drop() returns
      drop(lock, expired);
      continue;
    }
    if (next == Clock::time_point::max()) {
      changed_.wait(lock);
    } else {
      changed_.wait_until(lock, next);
    }
  }
}

}  // namespace cria::sched
