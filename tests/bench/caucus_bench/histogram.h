// A log-bucketed latency histogram in the spirit of HdrHistogram: values below 128 are exact;
// above, every power of two is split into 64 equal sub-buckets, so a reported value is within
// 1/64 (about 1.6 %) of the true one. Fixed size (3776 counters), no allocation after
// construction, O(1) Record. Not thread-safe: one per I/O thread, merged at the end.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace caucus::bench {

class Histogram {
 public:
  static constexpr int kSubBits = 6;                          // 64 sub-buckets per octave
  static constexpr uint64_t kLinear = uint64_t{2} << kSubBits;  // 0..127 recorded exactly
  static constexpr size_t kBuckets = kLinear + (64 - (kSubBits + 1)) * (size_t{1} << kSubBits);

  Histogram() : counts_(kBuckets, 0) {}

  void Record(uint64_t v) {
    ++counts_[Index(v)];
    ++count_;
    sum_ += static_cast<double>(v);
    max_ = std::max(max_, v);
    min_ = std::min(min_, v);
  }

  void Merge(const Histogram& o) {
    for (size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    sum_ += o.sum_;
    max_ = std::max(max_, o.max_);
    min_ = std::min(min_, o.min_);
  }

  uint64_t count() const { return count_; }
  uint64_t max() const { return count_ ? max_ : 0; }
  uint64_t min() const { return count_ ? min_ : 0; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }

  // The smallest recorded-bucket upper bound with at least p % of the values at or below it
  // (HdrHistogram's "highest equivalent value"), clamped to the exact maximum.
  uint64_t Percentile(double p) const {
    if (count_ == 0) return 0;
    auto rank = static_cast<uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
    rank = std::clamp<uint64_t>(rank, 1, count_);
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(Upper(i), max_);
    }
    return max_;
  }

  static size_t Index(uint64_t v) {
    if (v < kLinear) return static_cast<size_t>(v);
    int e = 63 - std::countl_zero(v);        // >= kSubBits + 1
    uint64_t m = v >> (e - kSubBits);         // in [64, 128)
    return static_cast<size_t>(kLinear + static_cast<uint64_t>(e - kSubBits - 1) * (1u << kSubBits) +
                               (m - (1u << kSubBits)));
  }

  static uint64_t Upper(size_t i) {
    if (i < kLinear) return i;
    size_t k = i - kLinear;
    int e = static_cast<int>(k >> kSubBits) + kSubBits + 1;
    uint64_t m = (k & ((1u << kSubBits) - 1)) + (1u << kSubBits);
    return ((m + 1) << (e - kSubBits)) - 1;
  }

 private:
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  double sum_ = 0;
  uint64_t max_ = 0;
  uint64_t min_ = std::numeric_limits<uint64_t>::max();
};

}  // namespace caucus::bench
