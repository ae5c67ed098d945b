#include "aggregator/provision/dashboards/discovery.h"

#include <gtest/gtest.h>

#include "aggregator/storage/mem_storage.h"

namespace abhra::provision {
namespace {

void Add(storage::MemStorage* db, std::vector<Label> labels, int64_t t) {
  auto app = db->MakeAppender();
  ASSERT_TRUE(app->Append(0, Labels(std::move(labels)), t, 1).ok());
  ASSERT_TRUE(app->Commit().ok());
}

TEST(DiscoveryTest, EnvironmentsAndVersionsInTheWindow) {
  storage::MemStorage db;
  const int64_t now = 10 * 3600 * 1000;
  Add(&db, {{"__name__", "probe_success"}, {"env", "prod"}, {"service", "api"}}, now - 1000);
  Add(&db, {{"__name__", "probe_success"}, {"env", "dev"}, {"service", "api"}}, now - 1000);
  Add(&db, {{"__name__", "abhra_target_info"}, {"env", "prod"}, {"service", "api"}, {"version", "1.2"}}, now - 1000);
  Add(&db, {{"__name__", "abhra_target_info"}, {"env", "prod"}, {"service", "web"}, {"version", "1.2"}}, now - 1000);
  Add(&db, {{"__name__", "abhra_target_info"}, {"env", "prod"}, {"service", "api"}, {"version", "1.1"}}, now - 3600 * 1000);
  // Older than the window: gone.
  Add(&db, {{"__name__", "abhra_target_info"}, {"env", "prod"}, {"service", "api"}, {"version", "0.9"}}, now - 5 * 3600 * 1000);
  Add(&db, {{"__name__", "abhra_target_info"}, {"env", "staging"}, {"service", "api"}, {"version", "2.0"}}, now - 1000);
  // Other metrics do not name environments.
  Add(&db, {{"__name__", "other_metric"}, {"env", "ghost"}}, now - 1000);

  auto envs = DiscoverEnvironments(db, now, 2 * 3600 * 1000);
  ASSERT_TRUE(envs.ok()) << envs.status().ToString();
  ASSERT_EQ(envs->size(), 3u);
  EXPECT_EQ((*envs)[0].env, "dev");
  EXPECT_TRUE((*envs)[0].versions.empty());
  EXPECT_EQ((*envs)[1].env, "prod");
  EXPECT_EQ((*envs)[1].versions, (std::vector<std::string>{"1.1", "1.2"}));
  EXPECT_EQ((*envs)[2].env, "staging");
  EXPECT_EQ((*envs)[2].versions, (std::vector<std::string>{"2.0"}));
}

TEST(DiscoveryTest, EmptyStorage) {
  storage::MemStorage db;
  auto envs = DiscoverEnvironments(db, 1000, 1000);
  ASSERT_TRUE(envs.ok());
  EXPECT_TRUE(envs->empty());
}

}  // namespace
}  // namespace abhra::provision
