// Browser Origin checks before the upgrade. No Origin header means a non-browser client, which
// is allowed (browsers always send one). Allowed entries are host names or addresses matched
// against the Origin's host; "*" allows every origin.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace sealed::policy {

inline std::vector<std::string> default_allowed_origins() { return {"localhost", "127.0.0.1", "::1"}; }

// The host part of "scheme://host[:port]" ("[::1]" → "::1"); empty when it is not that shape.
inline std::string_view origin_host(std::string_view origin) noexcept {
    auto sep = origin.find("://");
    if (sep == std::string_view::npos) return {};
    auto rest = origin.substr(sep + 3);
    rest = rest.substr(0, rest.find('/'));
    if (!rest.empty() && rest.front() == '[') {
        auto close = rest.find(']');
        return close == std::string_view::npos ? std::string_view{} : rest.substr(1, close - 1);
    }
    return rest.substr(0, rest.find(':'));
}

inline bool origin_allowed(std::string_view origin_header, const std::vector<std::string>& allowed) {
    if (origin_header.empty()) return true;
    auto host = origin_host(origin_header);
    if (host.empty()) return false;  // "null" and other opaque origins are refused
    return std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) {
        if (a == "*") return true;
        if (a.size() != host.size()) return false;
        return std::equal(a.begin(), a.end(), host.begin(), [](char x, char y) {
            return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
        });
    });
}

}  // namespace sealed::policy
