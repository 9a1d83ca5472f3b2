// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/any.hpp>
#include <boost/program_options/options_description.hpp>
#include <boost/program_options/value_semantic.hpp>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

// What an option's value may be, checked alike whatever its source (a flag, an environment
// variable, a configuration file) before program_options parses it: program_options takes
// "-1" for a size (as its largest value), and says only that an argument "is invalid".
namespace presence::tools {

namespace po = boost::program_options;

struct ValueType {
    enum Kind { whole_number, number, boolean, string, list };
    Kind kind = string;
    std::int64_t min = 0;   // whole numbers
    std::uint64_t max = 0;  // whole numbers
    double max_number = std::numeric_limits<double>::infinity();  // numbers
    std::vector<std::string> choices;  // strings; empty: any string

    // "a whole number from 0 to 65535", for messages.
    std::string expected() const;
};

// The type of what `option` takes; nullopt for an option that takes no value (--help).
// Throws std::logic_error for a type that no source can give.
std::optional<ValueType> value_type(const po::option_description& option);

// A string option that takes one of `choices`.
po::typed_value<std::string>* one_of(std::string* target, std::vector<std::string> choices);

// A number option that takes at most `max` (and, like every number, at least 0).
po::typed_value<double>* up_to(double* target, double max);

// `words` as the tokens program_options parses for an option of `type`; nullopt when they
// are not what it takes. Every fractional option of our tools is a duration or a rate,
// hence a number of at least 0. A switch given without a word is true; a list takes each
// word as one item.
std::optional<std::vector<std::string>> checked_tokens(const ValueType& type, const std::vector<std::string>& words);

// checked_tokens, or throws refusal(where, type, the words quoted).
std::vector<std::string> tokens_of_words(const ValueType& type, const std::vector<std::string>& words,
                                         std::string_view where);

// "WHERE: expected a whole number from 0 to 65535, got GIVEN".
std::invalid_argument refusal(std::string_view where, const ValueType& type, std::string_view given);

// What program_options stored for an option, back as the words it came from.
std::vector<std::string> words_of(const boost::any& value);

// `x` in the shortest form that reads back as `x`.
std::string shortest_text(double x);

}  // namespace presence::tools
