#include "unique_keys.hpp"

#include <boost/json/basic_parser_impl.hpp>

#include <string>
#include <unordered_set>
#include <vector>

namespace sealed::envelope::detail {
namespace {

using boost::json::string_view;
using boost::system::error_code;

// A SAX handler that keeps the keys seen in each open object and stops at the first repeat.
// Hashed, not a list: a body of 64 KiB holds ~7 000 keys, and a linear search per key made
// that 300 ms of CPU per request.
struct key_tracker {
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    std::vector<std::unordered_set<std::string>> open_objects;
    std::string key;  // the key being read, which may arrive in parts
    bool duplicate = false;

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code&) { return true; }
    bool on_object_begin(error_code&) {
        open_objects.emplace_back();
        return true;
    }
    bool on_object_end(std::size_t, error_code&) {
        open_objects.pop_back();
        return true;
    }
    bool on_array_begin(error_code&) { return true; }
    bool on_array_end(std::size_t, error_code&) { return true; }
    bool on_key_part(string_view part, std::size_t, error_code&) {
        key.append(part.data(), part.size());
        return true;
    }
    bool on_key(string_view part, std::size_t, error_code& ec) {
        key.append(part.data(), part.size());
        const bool first = open_objects.back().insert(std::move(key)).second;
        key.clear();
        if (!first) {
            duplicate = true;
            ec = boost::json::error::syntax;  // stops the parse
        }
        return first;
    }
    bool on_string_part(string_view, std::size_t, error_code&) { return true; }
    bool on_string(string_view, std::size_t, error_code&) { return true; }
    bool on_number_part(string_view, error_code&) { return true; }
    bool on_int64(std::int64_t, string_view, error_code&) { return true; }
    bool on_uint64(std::uint64_t, string_view, error_code&) { return true; }
    bool on_double(double, string_view, error_code&) { return true; }
    bool on_bool(bool, error_code&) { return true; }
    bool on_null(error_code&) { return true; }
    bool on_comment_part(string_view, error_code&) { return true; }
    bool on_comment(string_view, error_code&) { return true; }
};

}  // namespace

bool has_duplicate_keys(std::string_view json) {
    boost::json::basic_parser<key_tracker> parser(boost::json::parse_options{});
    error_code ec;
    parser.write_some(false, json.data(), json.size(), ec);
    return parser.handler().duplicate;
}

}  // namespace sealed::envelope::detail
