#include "aggregator/provision/dashboards/file_provisioning.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace abhra::provision {
namespace {

namespace fs = std::filesystem;

class FileProvisioningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("abhra-fileprov-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Read(const std::string& rel) {
    std::ifstream in(dir_ / rel);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  fs::path dir_;
};

RenderedDashboard Dash(std::string uid, std::string json) {
  RenderedDashboard d;
  d.uid = std::move(uid);
  d.json = std::move(json);
  return d;
}

TEST_F(FileProvisioningTest, WritesReadsBackAndPrunes) {
  std::vector<RenderedDashboard> v1 = {Dash("abhra-fleet", "{\"a\":1}"),
                                       Dash("abhra-ver-prod-1-0-aaaaaaaa", "{\"b\":2}")};
  auto s1 = WriteFileProvisioning(dir_.string(), v1, "ds: 1\n", "prov: 1\n");
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  EXPECT_EQ(s1->written, 4);
  EXPECT_EQ(s1->removed, 0);
  EXPECT_EQ(Read("provisioning/datasources/abhra.yaml"), "ds: 1\n");
  EXPECT_EQ(Read("provisioning/dashboards/abhra.yaml"), "prov: 1\n");
  auto back = ReadProvisionedDashboards(dir_.string());
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ(back->at("abhra-fleet"), "{\"a\":1}");
  EXPECT_EQ(back->at("abhra-ver-prod-1-0-aaaaaaaa"), "{\"b\":2}");

  // Same content again: nothing rewritten (mtime kept), no temporary files left.
  auto mtime = fs::last_write_time(dir_ / "dashboards/abhra-fleet.json");
  auto s2 = WriteFileProvisioning(dir_.string(), v1, "ds: 1\n", "prov: 1\n");
  ASSERT_TRUE(s2.ok());
  EXPECT_EQ(s2->written, 0);
  EXPECT_EQ(s2->unchanged, 4);
  EXPECT_EQ(fs::last_write_time(dir_ / "dashboards/abhra-fleet.json"), mtime);
  for (const auto& e : fs::recursive_directory_iterator(dir_)) {
    EXPECT_EQ(e.path().extension(), e.is_directory() ? "" : e.path().extension());
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
  }

  // A version dashboard that is no longer provisioned is removed; foreign files stay.
  std::ofstream(dir_ / "dashboards/my-own.json") << "{}";
  std::vector<RenderedDashboard> v2 = {Dash("abhra-fleet", "{\"a\":2}")};
  auto s3 = WriteFileProvisioning(dir_.string(), v2, "ds: 1\n", "prov: 1\n");
  ASSERT_TRUE(s3.ok());
  EXPECT_EQ(s3->written, 1);
  EXPECT_EQ(s3->removed, 1);
  EXPECT_FALSE(fs::exists(dir_ / "dashboards/abhra-ver-prod-1-0-aaaaaaaa.json"));
  EXPECT_TRUE(fs::exists(dir_ / "dashboards/my-own.json"));
  EXPECT_EQ(Read("dashboards/abhra-fleet.json"), "{\"a\":2}");
}

TEST_F(FileProvisioningTest, UnwritableDirectoryIsAnError) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "file") << "x";
  auto s = WriteFileProvisioning((dir_ / "file").string(), {}, "", "");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("file"), std::string::npos);
}

TEST_F(FileProvisioningTest, ReadingAMissingDirectoryFails) {
  EXPECT_FALSE(ReadProvisionedDashboards((dir_ / "nope").string()).ok());
}

}  // namespace
}  // namespace abhra::provision
