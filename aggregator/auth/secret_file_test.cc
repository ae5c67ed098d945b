#include "aggregator/auth/secret_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace abhra::auth {
namespace {

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/abhra_secret_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  std::string dir_;
};

TEST_F(SecretFileTest, TrimsTrailingWhitespace) {
  auto s = ReadSecretFile(Write("t", "tok-3n\r\n"), "auth.read_token_file");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*s, "tok-3n");
}

TEST_F(SecretFileTest, ErrorsNameTheFileNotTheContent) {
  auto missing = ReadSecretFile(dir_ + "/nope", "auth.read_token_file");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("auth.read_token_file " + dir_ + "/nope"),
            std::string::npos)
      << missing.status().message();

  auto empty = ReadSecretFile(Write("e", " \n"), "auth.admin_token_file");
  ASSERT_FALSE(empty.ok());
  EXPECT_TRUE(empty.status().Is(Status::Code::kInvalidArgument));
  EXPECT_NE(empty.status().message().find("is empty"), std::string::npos);

  auto two = ReadSecretFile(Write("two", "first-XYZZY\nsecond-XYZZY\n"), "x");
  ASSERT_FALSE(two.ok());
  EXPECT_EQ(two.status().message().find("XYZZY"), std::string::npos) << two.status().message();
}

}  // namespace
}  // namespace abhra::auth
