// skewless/kernels/decay.hpp — exponentially decayed sums and averages, order-free.
//
// decayed_sum(x, h) at T is  sum_i x_i 2^(-(T - ts_i) / h)  and  ewma(x, h) is that sum
// divided by the same sum of the weights (x_i = 1): the time-decayed mean, the closed
// form of the irregular-time EWMA recursion. A recursion evaluated event by event would
// round differently for every arrival order; this definition rounds in fixed places, so
// the value is a function of the multiset of (ts, x) and T only:
//
//   ticks of 16 half-lives:   n_i = floor(ts_i / 16h),  f_i = (ts_i - 16h n_i) / h  in [0, 16)
//   per event:                y_i = x_i * pow2(f_i)                   (one rounding)
//   per tick:                 r_n = round(exact sum of y_i over the tick)
//   at T (N = floor(T / 16h), f_T = (T - 16h N) / h):
//       R(N) = round(exact sum over ticks with N - n <= 138 of ldexp(r_n, 16 (n - N)))
//       decayed_sum = R_x(N) / pow2(f_T)
//       ewma = R_x(M) / R_1(M), M the newest tick (the T factor cancels); NaN if empty
//
// pow2(f) = 2^f is skewless's own (below): libm's exp2 differs between platforms, and
// a feature value must not. Ticks more than 138 ticks (2208 half-lives) older than the
// reference tick are left out (for a finite value, ldexp by -2224 rounds to 0 anyway;
// an infinity too is forgotten after that long), so a tick that old next to the newest
// is dropped: the state holds at most 139 ticks whatever the history.
// Intermediate values are up to 2^16 times the data: sums beyond ~1e303 overflow.
#pragma once

#include <skewless/detail/archive.hpp>
#include <skewless/kernels/exact_sum.hpp>
#include <skewless/kernels/total_order.hpp>
#include <skewless/kernels/window.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

namespace skewless::inline v1 {

// 2^f for 0 <= f < 16, deterministic on every IEEE platform: 2^floor(f) (exact) times
// 2^(k/16) (a correctly rounded constant) times exp(y), y = ln2 (g - k/16) < 0.0434 for
// the fraction g = frac(f), from its Taylor polynomial in fma (std::fma rounds once
// everywhere, so no compiler contraction can change it). Within 3 ulp of 2^f.
[[nodiscard]] inline double pow2(double f) noexcept {
  static constexpr double sixteenths[16] = {
      0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0,
      0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0,
      0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0,
      0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0};
  const double whole = std::floor(f);
  const double g = f - whole;                              // exact
  const double k = std::floor(g * 16.0);                   // exact
  const double y = (g - k / 16.0) * 0x1.62e42fefa39efp-1;  // ln 2
  constexpr double inv_fact[] = {1.0 / 5040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0};
  double p = 1.0 / 40320.0;  // 1/8!
  for (double c : inv_fact) p = std::fma(p, y, c);
  return std::ldexp(sixteenths[static_cast<int>(k)] * p, static_cast<int>(whole));
}

// The state of decayed_sum / ewma with half-life HalfLifeUs: per tick of 16 half-lives,
// the exact sum of x * pow2(f) and (Weighted, for ewma) of pow2(f).
template <std::int64_t HalfLifeUs, bool Weighted> class decayed_ticks {
  static_assert(HalfLifeUs > 0);

 public:
  static constexpr std::int64_t tick_us = 16 * HalfLifeUs;
  static constexpr std::int64_t horizon_ticks = 138;

  struct tick {
    std::int64_t n = 0;
    std::uint64_t entries = 0;
    exact_sum sum;     // of x * pow2(f)
    exact_sum weight;  // of pow2(f), for ewma
    template <class Archive> void serialize(Archive& ar) { ar(n, entries, sum, weight); }
  };

  void add(timed_value e) {
    const std::int64_t n = floor_div(e.ts, tick_us);
    const double w = pow2(phase(e.ts, n));
    tick& t = at(n);
    ++t.entries;
    t.sum.add(e.value * w);
    if constexpr (Weighted) t.weight.add(w);
    drop_old();
  }
  // Takes an added entry out again. Exact; a tick without entries leaves. (Entries
  // leave a sliding window oldest first, so the newest tick, which decides what is too
  // old to keep, leaves only with the last entry.)
  void remove(timed_value e) {
    const std::int64_t n = floor_div(e.ts, tick_us);
    auto it = std::lower_bound(ticks_.begin(), ticks_.end(), n, [](const tick& x, std::int64_t v) { return x.n < v; });
    if (it == ticks_.end() || it->n != n) return;  // dropped as too old
    const double w = pow2(phase(e.ts, n));
    it->sum.remove(e.value * w);
    if constexpr (Weighted) it->weight.remove(w);
    if (--it->entries == 0) ticks_.erase(it);
  }
  void merge(const decayed_ticks& o) {
    for (const tick& x : o.ticks_) {
      tick& t = at(x.n);
      t.entries += x.entries;
      t.sum.merge(x.sum);
      if constexpr (Weighted) t.weight.merge(x.weight);
    }
    drop_old();
  }
  void finalize(std::int64_t t, double* out) const noexcept {
    if constexpr (Weighted) {
      // The factor 2^(-(T - tick start of the newest tick) / h) cancels: both sums are
      // taken relative to the newest tick, so old windows do not underflow.
      if (ticks_.empty()) {
        out[0] = std::numeric_limits<double>::quiet_NaN();
        return;
      }
      const std::int64_t ref = ticks_.back().n;
      out[0] = scaled_total(ref, &tick::sum) / scaled_total(ref, &tick::weight);
    } else {
      const std::int64_t now = floor_div(t, tick_us);
      out[0] = scaled_total(now, &tick::sum) / pow2(phase(t, now));
    }
  }
  [[nodiscard]] std::size_t heap_bytes() const noexcept {
    std::size_t b = ticks_.capacity() * sizeof(tick);
    for (const tick& x : ticks_) b += x.sum.heap_bytes() + x.weight.heap_bytes();
    return b;
  }
  [[nodiscard]] bool empty() const noexcept { return ticks_.empty(); }
  // For a restore: ticks of entries with times in [from, to), in order, none empty,
  // none dropped as too old, no weight sums in a decayed_sum.
  void check(std::int64_t from, std::int64_t to) const {
    const std::int64_t lo = floor_div(std::max(from, min_time_us), tick_us);
    const std::int64_t hi = floor_div(std::min(to, max_time_us + 1) - 1, tick_us);
    const auto invalid = [] { throw std::runtime_error("skewless: snapshot has invalid decay ticks"); };
    for (std::size_t i = 0; i < ticks_.size(); ++i) {
      const tick& x = ticks_[i];
      if (x.n < lo || x.n > hi || x.entries == 0 || (i > 0 && ticks_[i - 1].n >= x.n) ||
          (!Weighted && !x.weight.is_zero()) || !x.sum.specials_at_most(x.entries) ||
          !x.weight.specials_at_most(x.entries)) {
        invalid();
      }
    }
    if (!ticks_.empty() && ticks_.front().n < ticks_.back().n - horizon_ticks) invalid();  // in range now
  }

  template <class Archive> void save(Archive& ar) const { detail::save_vector(ar, ticks_); }
  template <class Archive> void load(Archive& ar) { detail::load_vector(ar, ticks_, 16); }

 private:
  // (ts - tick start) / half-life, in [0, 16).
  static double phase(std::int64_t ts, std::int64_t n) noexcept {
    return static_cast<double>(ts - n * tick_us) / static_cast<double>(HalfLifeUs);
  }
  tick& at(std::int64_t n) {
    auto it = std::lower_bound(ticks_.begin(), ticks_.end(), n, [](const tick& x, std::int64_t v) { return x.n < v; });
    if (it == ticks_.end() || it->n != n) {
      tick fresh;
      fresh.n = n;
      it = ticks_.insert(it, std::move(fresh));
    }
    return *it;
  }
  // Ticks too old to change any value at any T after the newest tick.
  void drop_old() {
    if (ticks_.empty()) return;
    const std::int64_t keep_from = ticks_.back().n - horizon_ticks;
    auto it = std::lower_bound(ticks_.begin(), ticks_.end(), keep_from,
                               [](const tick& x, std::int64_t v) { return x.n < v; });
    ticks_.erase(ticks_.begin(), it);
  }
  double scaled_total(std::int64_t now, exact_sum tick::* part) const noexcept {
    exact_sum total;
    for (const tick& x : ticks_) {
      if (now - x.n > horizon_ticks) continue;  // contributes nothing, by definition
      const double s = std::ldexp((x.*part).round(), static_cast<int>(16 * (x.n - now)));
      if (s != 0.0) total.add(s);
    }
    return total.round();
  }

  std::vector<tick> ticks_;  // by n
};

}  // namespace skewless::inline v1
