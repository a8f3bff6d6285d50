// A logistic regression over the payments features plus the transaction's amount,
// fitted with Eigen (Newton's method, L2), saved as text with the fingerprint of the
// feature definition it was trained on. The service refuses a model whose fingerprint is
// not its definition's: a window changed from 1h to 24h under the same name is another
// definition, and another fingerprint.
#pragma once

#include "../quickstart/payments.hpp"

#include <Eigen/Dense>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/str_cat.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace inference {

using FS = std::remove_cvref_t<decltype(payments::features)>;
inline constexpr std::size_t n_features = FS::names().size();
inline constexpr std::size_t n_inputs = n_features + 1;  // the features, then the amount

struct model {
  std::uint64_t fingerprint = 0;
  std::array<double, n_inputs> mean{};   // of each input over the training rows
  std::array<double, n_inputs> scale{};  // their standard deviation (1 if none)
  double bias = 0;
  std::array<double, n_inputs> weight{};

  // Standardized inputs; a missing value (NaN) or an infinity is the mean (0).
  [[nodiscard]] std::array<double, n_inputs> standardize(const double* features, double amount) const {
    std::array<double, n_inputs> x{};
    for (std::size_t i = 0; i < n_inputs; ++i) {
      const double v = i < n_features ? features[i] : amount;
      x[i] = std::isfinite(v) ? (v - mean[i]) / scale[i] : 0.0;
    }
    return x;
  }
  // The probability of fraud.
  [[nodiscard]] double score(const double* features, double amount) const {
    const std::array<double, n_inputs> x = standardize(features, amount);
    double z = bias;
    for (std::size_t i = 0; i < n_inputs; ++i) z += weight[i] * x[i];
    return 1.0 / (1.0 + std::exp(-z));
  }
};

// Fits on rows of features (rows x n_features, NaN = missing), amounts and labels.
inline model fit(const Eigen::MatrixXd& features, const std::vector<double>& amounts, const std::vector<bool>& labels,
                 double l2 = 1e-3) {
  const auto n = static_cast<Eigen::Index>(labels.size());
  model m;
  m.fingerprint = payments::features.fingerprint();
  for (std::size_t i = 0; i < n_inputs; ++i) {
    double sum = 0, sq = 0, count = 0;
    for (Eigen::Index r = 0; r < n; ++r) {
      const double v =
          i < n_features ? features(r, static_cast<Eigen::Index>(i)) : amounts[static_cast<std::size_t>(r)];
      if (!std::isfinite(v)) continue;
      sum += v;
      sq += v * v;
      ++count;
    }
    m.mean[i] = count > 0 ? sum / count : 0.0;
    const double var = count > 1 ? (sq - sum * sum / count) / (count - 1) : 0.0;
    m.scale[i] = var > 0 ? std::sqrt(var) : 1.0;
  }
  constexpr auto d = static_cast<Eigen::Index>(n_inputs + 1);
  Eigen::MatrixXd x(n, d);
  Eigen::VectorXd y(n);
  for (Eigen::Index r = 0; r < n; ++r) {
    std::array<double, n_features> row{};
    for (std::size_t c = 0; c < n_features; ++c) row[c] = features(r, static_cast<Eigen::Index>(c));
    const std::array<double, n_inputs> s = m.standardize(row.data(), amounts[static_cast<std::size_t>(r)]);
    x(r, 0) = 1.0;
    for (std::size_t c = 0; c < n_inputs; ++c) x(r, static_cast<Eigen::Index>(c + 1)) = s[c];
    y(r) = labels[static_cast<std::size_t>(r)] ? 1.0 : 0.0;
  }
  Eigen::VectorXd w = Eigen::VectorXd::Zero(d);
  for (int it = 0; it < 50; ++it) {
    const Eigen::VectorXd p = (1.0 + (-(x * w).array()).exp()).inverse().matrix();
    const Eigen::VectorXd weights = (p.array() * (1.0 - p.array())).matrix();
    Eigen::MatrixXd h = x.transpose() * weights.asDiagonal() * x;
    h.diagonal().array() += l2;
    const Eigen::VectorXd g = x.transpose() * (p - y) + l2 * w;
    const Eigen::VectorXd step = h.ldlt().solve(g);
    w -= step;
    if (step.norm() < 1e-10) break;
  }
  m.bias = w(0);
  for (std::size_t c = 0; c < n_inputs; ++c) m.weight[c] = w(static_cast<Eigen::Index>(c + 1));
  return m;
}

// The text form: every number as the 17 digits that read back to the same double.
inline std::string to_text(const model& m) {
  std::ostringstream out;
  char buf[64];
  const auto num = [&](double v) {
    std::snprintf(buf, sizeof buf, " %.17g", v);
    return std::string(buf);
  };
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(m.fingerprint));
  out << "skewless-logistic-model 1\nfingerprint " << buf << "\ninputs";
  for (std::string_view name : FS::names()) out << ' ' << name;
  out << " amount\nmean";
  for (double v : m.mean) out << num(v);
  out << "\nscale";
  for (double v : m.scale) out << num(v);
  out << "\nbias" << num(m.bias) << "\nweight";
  for (double v : m.weight) out << num(v);
  out << '\n';
  return out.str();
}

// Reads to_text's form, refusing anything else and a model of another definition.
inline absl::StatusOr<model> from_text(const std::string& text) {
  std::istringstream in(text);
  std::string word, version, hex;
  model m;
  if (!(in >> word >> version) || word != "skewless-logistic-model" || version != "1") {
    return absl::InvalidArgumentError("not a skewless-logistic-model 1 file");
  }
  if (!(in >> word >> hex) || word != "fingerprint" || hex.size() != 16) {
    return absl::InvalidArgumentError("the model has no fingerprint");
  }
  m.fingerprint = std::stoull(hex, nullptr, 16);
  if (m.fingerprint != payments::features.fingerprint()) {
    char ours[17];
    std::snprintf(ours, sizeof ours, "%016llx", static_cast<unsigned long long>(payments::features.fingerprint()));
    return absl::FailedPreconditionError(absl::StrCat("the model was trained on feature definition ", hex,
                                                      " but this service computes definition ", ours,
                                                      ": retrain it on this definition's training set"));
  }
  if (!(in >> word) || word != "inputs") return absl::InvalidArgumentError("the model has no inputs line");
  for (std::string_view name : FS::names()) {
    if (!(in >> word) || word != name)
      return absl::InvalidArgumentError(absl::StrCat("the model's inputs differ at ", std::string(name)));
  }
  if (!(in >> word) || word != "amount") return absl::InvalidArgumentError("the model's inputs differ at amount");
  const auto numbers = [&](const char* label, double* out, std::size_t n) -> bool {
    if (!(in >> word) || word != label) return false;
    for (std::size_t i = 0; i < n; ++i) {
      if (!(in >> word)) return false;
      char* end = nullptr;
      out[i] = std::strtod(word.c_str(), &end);
      if (end != word.c_str() + word.size() || !std::isfinite(out[i])) return false;
    }
    return true;
  };
  if (!numbers("mean", m.mean.data(), n_inputs) || !numbers("scale", m.scale.data(), n_inputs) ||
      !numbers("bias", &m.bias, 1) || !numbers("weight", m.weight.data(), n_inputs)) {
    return absl::InvalidArgumentError("the model's numbers are malformed");
  }
  for (double s : m.scale) {
    if (!(s > 0)) return absl::InvalidArgumentError("the model has a scale that is not positive");
  }
  return m;
}

inline absl::Status save(const model& m, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << to_text(m);
  out.close();
  return out ? absl::OkStatus() : absl::InternalError(absl::StrCat("cannot write ", path));
}

inline absl::StatusOr<model> load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the model ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return from_text(text.str());
}

}  // namespace inference
