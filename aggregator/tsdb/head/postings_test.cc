#include "aggregator/tsdb/head/postings.h"

#include <gtest/gtest.h>

namespace abhra::tsdb {
namespace {

TEST(PostingsTest, SetOperations) {
  PostingsList a = {1, 3, 5, 7, 9}, b = {3, 4, 5, 9, 10}, c = {5, 9, 11};
  std::vector<PostingsList> lists = {a, b, c};
  EXPECT_EQ(IntersectPostings(lists), (PostingsList{5, 9}));
  EXPECT_EQ(IntersectPostings(std::vector<PostingsList>{a}), a);
  EXPECT_TRUE(IntersectPostings(std::vector<PostingsList>{}).empty());
  EXPECT_TRUE(IntersectPostings(std::vector<PostingsList>{a, {}}).empty());
  EXPECT_EQ(UnionPostings({&a, &b}), (PostingsList{1, 3, 4, 5, 7, 9, 10}));
  EXPECT_TRUE(UnionPostings({}).empty());
  EXPECT_EQ(SubtractPostings(a, b), (PostingsList{1, 7}));
  EXPECT_EQ(SubtractPostings(a, {}), a);
}

TEST(PostingsTest, IndexAddRemoveKeepsSorted) {
  PostingsIndex ix;
  std::vector<uint32_t> s1 = {0, 1, 2, 3};  // name0=val1, name2=val3
  std::vector<uint32_t> s2 = {0, 1, 2, 4};
  ix.Add(5, s1);
  ix.Add(2, s2);  // out of order insert stays sorted
  ix.Add(9, s1);
  EXPECT_EQ(ix.All(), (PostingsList{2, 5, 9}));
  EXPECT_EQ(ix.Get(0, 1), (PostingsList{2, 5, 9}));
  EXPECT_EQ(ix.Get(2, 3), (PostingsList{5, 9}));
  EXPECT_EQ(ix.Get(2, 4), (PostingsList{2}));
  EXPECT_TRUE(ix.Get(7, 7).empty());
  EXPECT_EQ(ix.UnionWhere(2, [](uint32_t v) { return v == 4 || v == 3; }), (PostingsList{2, 5, 9}));
  ix.Remove(5, s1);
  EXPECT_EQ(ix.Get(2, 3), (PostingsList{9}));
  ix.Remove(2, s2);
  EXPECT_TRUE(ix.Get(2, 4).empty());
  EXPECT_EQ(ix.Values(2), (std::vector<uint32_t>{3}));
  EXPECT_EQ(ix.num_series(), 1u);
}

}  // namespace
}  // namespace abhra::tsdb
