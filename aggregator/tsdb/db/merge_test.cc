#include <gtest/gtest.h>

#include "aggregator/tsdb/db/merge.h"

namespace abhra::tsdb {
namespace {

class VecIt final : public storage::SampleIterator {
 public:
  explicit VecIt(std::vector<storage::Sample> s) : s_(std::move(s)) {}
  bool Next() override { return ++i_ <= s_.size(); }
  bool Seek(int64_t t) override {
    if (i_ == 0) i_ = 1;
    while (i_ <= s_.size() && s_[i_ - 1].t < t) ++i_;
    return i_ <= s_.size();
  }
  storage::Sample At() const override { return s_[i_ - 1]; }

 private:
  std::vector<storage::Sample> s_;
  size_t i_ = 0;
};

TEST(MergeTest, DedupsByTimestamp) {
  std::vector<std::unique_ptr<storage::SampleIterator>> its;
  its.push_back(std::make_unique<VecIt>(std::vector<storage::Sample>{{1, 1}, {3, 3}, {5, 5}}));
  its.push_back(std::make_unique<VecIt>(std::vector<storage::Sample>{{2, 2}, {3, 30}, {6, 6}}));
  its.push_back(std::make_unique<VecIt>(std::vector<storage::Sample>{}));
  MergeSampleIterator m(std::move(its));
  std::vector<int64_t> ts;
  while (m.Next()) ts.push_back(m.At().t);
  EXPECT_EQ(ts, (std::vector<int64_t>{1, 2, 3, 5, 6}));
}

TEST(MergeTest, Seek) {
  std::vector<std::unique_ptr<storage::SampleIterator>> its;
  its.push_back(std::make_unique<VecIt>(std::vector<storage::Sample>{{1, 1}, {3, 3}, {5, 5}}));
  its.push_back(std::make_unique<VecIt>(std::vector<storage::Sample>{{2, 2}, {4, 4}, {6, 6}}));
  MergeSampleIterator m(std::move(its));
  ASSERT_TRUE(m.Seek(4));
  EXPECT_EQ(m.At().t, 4);
  ASSERT_TRUE(m.Seek(4));
  EXPECT_EQ(m.At().t, 4);
  ASSERT_TRUE(m.Next());
  EXPECT_EQ(m.At().t, 5);
  EXPECT_FALSE(m.Seek(7));
}

TEST(MergeTest, Strings) {
  EXPECT_EQ(MergeStrings({{"a", "c"}, {"b", "c"}, {}}), (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace abhra::tsdb
