// Rendering of dashboard templates (dashboards/dashboards.yaml, "Rendering contract"): the
// template is JSON text; every "${name}" is replaced by its value escaped for a JSON string,
// exactly as the reference renderer dashboards/tests/render.py does (Python's json.dumps:
// ASCII only, non-ASCII as \uXXXX). Nothing else is interpreted.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/status.h"

namespace abhra::provision {

// Grafana's limit on dashboard uids.
inline constexpr size_t kMaxUidLength = 40;

// The uid suffix of a per-environment (parts = {env}) or per-version (parts = {env, version})
// dashboard: slug + "-" + 8 hex digits of SHA-256 over the parts joined by '\n'. The slug is
// the parts joined by '-', lower-cased, every run of characters outside [a-z0-9] replaced by
// '-', trimmed of '-', cut to 40 - len(uid_prefix) - 9 characters and trimmed again. Just the
// hash when the slug is empty. uid_prefix + suffix never exceeds 40 characters when the
// prefix leaves room for the hash.
std::string UidSuffix(std::string_view uid_prefix, const std::vector<std::string>& parts);

// Escapes `s` as the inside of a JSON string literal (no quotes) the way Python's
// json.dumps(s)[1:-1] does: \" \\ \n \r \t \b \f, other characters below 0x20 and 0x7f as
// \u00XX, every non-ASCII code point as \uXXXX (UTF-16 surrogate pairs above U+FFFF).
// Invalid UTF-8 bytes become \ufffd.
std::string EscapeJsonStringPythonStyle(std::string_view s);

// Replaces every ${name} in `text` by its value from `values` (escaped as above).
// InvalidArgument, naming `where` and the line, for a malformed placeholder (name not
// [a-z_][a-z0-9_]*) or one without a value.
Result<std::string> RenderTemplateText(std::string_view text,
                                       const std::map<std::string, std::string>& values,
                                       std::string_view where);

}  // namespace abhra::provision
