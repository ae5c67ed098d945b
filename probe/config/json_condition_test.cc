#include "probe/config/json_condition.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace abhra::probe {
namespace {

const nlohmann::json kDoc = nlohmann::json::parse(R"({
  "status": "UP",
  "a": {"b": 3, "c": 2.5, "ok": true, "nothing": null, "dashed-key": "x"},
  "checks": [{"name": "db", "ok": false}, {"name": "cache", "ok": true}],
  "build": {"version": "1.4.2"}
})");

bool Eval(const char* text) {
  auto c = JsonCondition::Parse(text);
  EXPECT_TRUE(c.ok()) << text << ": " << c.status().ToString();
  return c.ok() && c->Evaluate(kDoc);
}

TEST(JsonCondition, Equality) {
  EXPECT_TRUE(Eval("$.status == \"UP\""));
  EXPECT_TRUE(Eval("$.status=='UP'"));
  EXPECT_FALSE(Eval("$.status == \"DOWN\""));
  EXPECT_TRUE(Eval("$.status != \"DOWN\""));
  EXPECT_TRUE(Eval("$.a.b == 3"));
  EXPECT_TRUE(Eval("$.a.b == 3.0"));
  EXPECT_FALSE(Eval("$.a.b != 3"));
  EXPECT_TRUE(Eval("$.a.b != 4"));
  EXPECT_FALSE(Eval("$.a.b == \"3\""));  // types differ
  EXPECT_TRUE(Eval("$.a.ok == true"));
  EXPECT_TRUE(Eval("$.a.nothing == null"));
  EXPECT_TRUE(Eval("$.a['dashed-key'] == \"x\""));
  EXPECT_TRUE(Eval("$.a.dashed-key == \"x\""));
  EXPECT_TRUE(Eval("$.checks[1].name == \"cache\""));
  EXPECT_TRUE(Eval("$.checks[0].ok == false"));
}

TEST(JsonCondition, Ordering) {
  EXPECT_TRUE(Eval("$.a.b < 4"));
  EXPECT_TRUE(Eval("$.a.b <= 3"));
  EXPECT_FALSE(Eval("$.a.b > 3"));
  EXPECT_TRUE(Eval("$.a.b >= 3"));
  EXPECT_TRUE(Eval("$.a.c > 2"));
  EXPECT_FALSE(Eval("$.status > 1"));  // not a number
}

TEST(JsonCondition, MissingPathIsFalse) {
  EXPECT_FALSE(Eval("$.nope == \"UP\""));
  EXPECT_FALSE(Eval("$.nope != \"UP\""));
  EXPECT_FALSE(Eval("$.checks[5].ok == true"));
  EXPECT_FALSE(Eval("$.status.deeper == 1"));
}

TEST(JsonCondition, ParseErrors) {
  for (const char* bad : {"status == \"UP\"", "$.status", "$.status == ", "$.status ~= 1",
                          "$.status == UP", "$.a < \"x\"", "$.[0] == 1", "$.a[x] == 1",
                          "$.a == \"unterminated"}) {
    auto c = JsonCondition::Parse(bad);
    EXPECT_FALSE(c.ok()) << bad;
    if (!c.ok()) {
      EXPECT_NE(c.status().message().find(bad), std::string::npos) << c.status().message();
    }
  }
}

TEST(JsonPath, LookupAndScalar) {
  auto p = JsonPath::Parse("$.build.version");
  ASSERT_TRUE(p.ok());
  const nlohmann::json* v = p->Lookup(kDoc);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(JsonScalarToString(*v), "1.4.2");
  EXPECT_EQ(JsonScalarToString(*JsonPath::Parse("$.a.b")->Lookup(kDoc)), "3");
  EXPECT_EQ(JsonPath::Parse("$")->Lookup(kDoc), &kDoc);
}

}  // namespace
}  // namespace abhra::probe
