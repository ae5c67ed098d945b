#include "aggregator/storage/mem_storage.h"

#include <gtest/gtest.h>

namespace abhra::storage {
namespace {

std::vector<Sample> ReadAll(const Series& s) {
  std::vector<Sample> out;
  auto it = s.Iterator();
  while (it->Next()) out.push_back(it->At());
  return out;
}

TEST(MemStorageTest, AppendCommitSelectSorted) {
  MemStorage db;
  auto app = db.MakeAppender();
  ASSERT_TRUE(app->Append(0, Labels{{"__name__", "b"}}, 10, 1).ok());
  ASSERT_TRUE(app->Append(0, Labels{{"__name__", "a"}, {"x", "2"}}, 10, 2).ok());
  ASSERT_TRUE(app->Append(0, Labels{{"__name__", "a"}, {"x", "1"}}, 10, 3).ok());
  ASSERT_TRUE(app->Append(0, Labels{{"__name__", "a"}, {"x", "1"}}, 20, 4).ok());
  auto q0 = db.MakeQuerier(0, 100);
  ASSERT_TRUE(q0.ok());
  EXPECT_EQ(db.NumSeries(), 0u);  // nothing visible before Commit
  ASSERT_TRUE(app->Commit().ok());
  EXPECT_EQ(db.NumSeries(), 3u);

  auto q = db.MakeQuerier(0, 100);
  ASSERT_TRUE(q.ok());
  auto m = Matcher::Make(MatchType::kRegexMatch, "__name__", "a|b");
  ASSERT_TRUE(m.ok());
  auto set = (*q)->Select(true, SelectHints{}, {*m});
  std::vector<std::string> names;
  while (set->Next()) names.push_back(set->At().labels().ToString());
  EXPECT_EQ(names, (std::vector<std::string>{"a{x=\"1\"}", "a{x=\"2\"}", "b{}"}));
}

TEST(MemStorageTest, WindowAndSeek) {
  MemStorage db;
  auto app = db.MakeAppender();
  Labels l{{"__name__", "m"}};
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(app->Append(0, l, i * 10, i).ok());
  ASSERT_TRUE(app->Commit().ok());
  auto q = db.MakeQuerier(20, 50);
  ASSERT_TRUE(q.ok());
  auto set = (*q)->Select(false, SelectHints{}, {Matcher::Equal("__name__", "m")});
  ASSERT_TRUE(set->Next());
  auto samples = ReadAll(set->At());
  ASSERT_EQ(samples.size(), 4u);
  EXPECT_EQ(samples.front().t, 20);
  EXPECT_EQ(samples.back().t, 50);
  auto it = set->At().Iterator();
  ASSERT_TRUE(it->Seek(35));
  EXPECT_EQ(it->At().t, 40);
  ASSERT_TRUE(it->Seek(10));  // never moves backwards
  EXPECT_EQ(it->At().t, 40);
  EXPECT_FALSE(it->Seek(60));
  EXPECT_FALSE(set->Next());
}

TEST(MemStorageTest, OutOfOrderRejectedDuplicateOverwrites) {
  MemStorage db;
  Labels l{{"__name__", "m"}};
  auto app = db.MakeAppender();
  ASSERT_TRUE(app->Append(0, l, 100, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  app = db.MakeAppender();
  ASSERT_TRUE(app->Append(0, l, 50, 2).ok());
  ASSERT_TRUE(app->Append(0, l, 100, 3).ok());
  Status st = app->Commit();
  EXPECT_TRUE(st.Is(Status::Code::kOutOfOrder)) << st.ToString();
  auto q = db.MakeQuerier(0, 1000);
  ASSERT_TRUE(q.ok());
  auto set = (*q)->Select(false, SelectHints{}, {Matcher::Equal("__name__", "m")});
  ASSERT_TRUE(set->Next());
  auto samples = ReadAll(set->At());
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].v, 3);
}

TEST(MemStorageTest, LabelNamesAndValues) {
  MemStorage db;
  auto app = db.MakeAppender();
  ASSERT_TRUE(app->Append(0, Labels{{"__name__", "a"}, {"job", "x"}}, 1, 1).ok());
  ASSERT_TRUE(app->Append(0, Labels{{"__name__", "b"}, {"job", "y"}, {"z", "1"}}, 1, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
  auto q = db.MakeQuerier(0, 10);
  ASSERT_TRUE(q.ok());
  auto names = (*q)->LabelNames({});
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"__name__", "job", "z"}));
  auto values = (*q)->LabelValues("job", {Matcher::Equal("__name__", "b")});
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(*values, (std::vector<std::string>{"y"}));
  db.Clear();
  EXPECT_EQ(db.NumSeries(), 0u);
}

}  // namespace
}  // namespace abhra::storage
