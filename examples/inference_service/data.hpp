// Synthetic payments with fraud labels, the same for a seed everywhere: history to train
// on, and a live stream to serve. One user in twenty is a fraudster, who pays more,
// more often and mostly without the card; a fraudster's payment is fraud three times in
// ten, anyone's once in a hundred.
#pragma once

#include "../quickstart/payments.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace inference {

struct labelled {
  payments::transaction tx;
  bool fraud = false;
};

inline bool fraudster(std::int64_t user) {
  return (static_cast<std::uint64_t>(user) * 0x9e3779b97f4a7c15ull) % 20 == 0;
}

// `n` payments of `users` users from start_us, in time order, about `gap_us` apart.
inline std::vector<labelled> payments_from(std::int64_t users, std::int64_t n, std::uint64_t seed,
                                           std::int64_t start_us, std::int64_t gap_us) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<labelled> out;
  out.reserve(static_cast<std::size_t>(n));
  std::int64_t t = start_us;
  for (std::int64_t i = 0; i < n; ++i) {
    t += 1 + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(2 * gap_us));
    // Fraudsters pay three times as often.
    std::int64_t user = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(users));
    if (!fraudster(user) && u(rng) < 0.1) user = (user / 20) * 20;  // may land on a fraudster
    const bool bad = fraudster(user);
    const double typical = 20.0 + static_cast<double>(user % 97);
    const double amount = std::round(typical * std::exp(0.8 * (u(rng) - 0.5)) * (bad ? 4.0 : 1.0) * 100.0) / 100.0;
    const bool card_present = u(rng) < (bad ? 0.2 : 0.8);
    const bool fraud = u(rng) < (bad ? 0.3 : 0.01);
    out.push_back({{user, t, amount, static_cast<std::int32_t>(rng() % 12), card_present}, fraud});
  }
  return out;
}

// A payment as the producer sends it: JSON, numbers exact.
inline std::string to_json(const payments::transaction& p) {
  char buf[200];
  const int n = std::snprintf(buf, sizeof buf,
                              "{\"user_id\":%lld,\"ts_us\":%lld,\"amount\":%.17g,\"merchant_category\":%d,"
                              "\"card_present\":%s}",
                              static_cast<long long>(p.user_id), static_cast<long long>(p.ts_us), p.amount,
                              p.merchant_category, p.card_present ? "true" : "false");
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace inference
