#include "aggregator/web/html_escape.h"

#include <gtest/gtest.h>

namespace abhra::web {
namespace {

TEST(HtmlEscapeTest, EscapesEverythingThatCanBreakOut) {
  EXPECT_EQ(HtmlEscape("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
  EXPECT_EQ(HtmlEscape("a&b \"c\" 'd'"), "a&amp;b &quot;c&quot; &#39;d&#39;");
  EXPECT_EQ(HtmlEscape("pr\xc3\xbc" "d"), "pr\xc3\xbc" "d");
  EXPECT_EQ(HtmlEscape(""), "");
}

}  // namespace
}  // namespace abhra::web
