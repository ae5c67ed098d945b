#include "aggregator/app/data_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

namespace abhra::aggregator {
namespace {

std::string FreshDir(std::string_view name) {
  std::string dir = ::testing::TempDir() + "/abhra_data_dir_test_" + std::to_string(getpid()) +
                    "_" + std::string(name);
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(DataDirTest, CreatesMissingDirectoriesAndLocks) {
  std::string dir = FreshDir("create") + "/nested/data";
  auto d = DataDir::Open(dir);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(std::filesystem::is_directory(dir));
  EXPECT_TRUE(std::filesystem::exists(dir + "/lock"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/.abhra-write-test"));

  auto second = DataDir::Open(dir);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kUnavailable);
  EXPECT_NE(second.status().message().find("locked"), std::string::npos);

  d->reset();  // releases the lock
  EXPECT_TRUE(DataDir::Open(dir).ok());
}

TEST(DataDirTest, RefusesUnwritableAndNonDirectories) {
  if (geteuid() == 0) {
    // root writes anywhere; use a path below a regular file instead.
    std::string base = FreshDir("file");
    std::filesystem::create_directories(base);
    std::string file = base + "/plain";
    { std::FILE* f = std::fopen(file.c_str(), "w"); std::fclose(f); }
    auto below = DataDir::Open(file + "/data");
    ASSERT_FALSE(below.ok());
    EXPECT_NE(below.status().message().find(file), std::string::npos) << below.status().ToString();
    auto is_file = DataDir::Open(file);
    ASSERT_FALSE(is_file.ok());
    EXPECT_NE(is_file.status().message().find("not a directory"), std::string::npos);
    return;
  }
  std::string dir = FreshDir("readonly");
  std::filesystem::create_directories(dir);
  chmod(dir.c_str(), 0555);
  auto d = DataDir::Open(dir);
  chmod(dir.c_str(), 0755);
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("not writable"), std::string::npos) << d.status().ToString();
}

TEST(DataDirTest, EmptyPathIsInvalid) {
  EXPECT_EQ(DataDir::Open("").status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace abhra::aggregator
