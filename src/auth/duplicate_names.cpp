// SPDX-License-Identifier: Apache-2.0
#include "auth/duplicate_names.h"

#include <unordered_set>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>

namespace presence::auth {
namespace {

namespace json = boost::json;

// Keeps the names of each object open at the moment; parsing stops at the first repeat.
class NameTracker {
public:
    static constexpr std::size_t max_array_size = -1;
    static constexpr std::size_t max_object_size = -1;
    static constexpr std::size_t max_string_size = -1;
    static constexpr std::size_t max_key_size = -1;

    std::optional<std::string> duplicate;

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_array_begin(json::error_code&) { return true; }
    bool on_array_end(std::size_t, json::error_code&) { return true; }
    bool on_object_begin(json::error_code&) {
        objects_.emplace_back();
        return true;
    }
    bool on_object_end(std::size_t, json::error_code&) {
        objects_.pop_back();
        return true;
    }
    bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
    bool on_string(json::string_view, std::size_t, json::error_code&) { return true; }
    // A name with escapes may come in parts.
    bool on_key_part(json::string_view part, std::size_t, json::error_code&) {
        name_.append(part.data(), part.size());
        return true;
    }
    bool on_key(json::string_view last, std::size_t, json::error_code& ec) {
        name_.append(last.data(), last.size());
        if (!objects_.back().insert(name_).second) {
            duplicate = std::move(name_);
            ec = json::error::syntax;  // stops the parser; `duplicate` says why
            return false;
        }
        name_.clear();
        return true;
    }
    bool on_number_part(json::string_view, json::error_code&) { return true; }
    bool on_int64(std::int64_t, json::string_view, json::error_code&) { return true; }
    bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return true; }
    bool on_double(double, json::string_view, json::error_code&) { return true; }
    bool on_bool(bool, json::error_code&) { return true; }
    bool on_null(json::error_code&) { return true; }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }

private:
    // The header is read before its signature is checked: a sender's thousand names must
    // not cost a million comparisons.
    std::vector<std::unordered_set<std::string>> objects_;
    std::string name_;
};

}  // namespace

std::optional<std::string> duplicate_name(std::string_view json) {
    json::basic_parser<NameTracker> parser(json::parse_options{});
    json::error_code ec;
    parser.write_some(false, json.data(), json.size(), ec);
    return std::move(parser.handler().duplicate);
}

}  // namespace presence::auth
