// SPDX-License-Identifier: Apache-2.0
#include "tools/option_values.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <type_traits>
#include <typeinfo>

namespace presence::tools {

namespace {

class ChoiceValue : public po::typed_value<std::string> {
public:
    ChoiceValue(std::string* target, std::vector<std::string> choices)
        : po::typed_value<std::string>(target), choices(std::move(choices)) {}
    const std::vector<std::string> choices;
};

class BoundedNumber : public po::typed_value<double> {
public:
    BoundedNumber(double* target, double max) : po::typed_value<double>(target), max(max) {}
    const double max;
};

template <class... T>
struct Types {};
// The value types of our tools' options.
using Settable = Types<bool, unsigned short, int, unsigned, long, unsigned long, long long, unsigned long long, double,
                       std::string, std::vector<std::string>>;

// Calls f(std::type_identity<T>{}) for the T of `Settable` that `type` names; false for none.
template <class F, class... T>
bool visit_type(const std::type_info& type, F&& f, Types<T...>) {
    return ((type == typeid(T) && (f(std::type_identity<T>{}), true)) || ...);
}

template <class T>
ValueType type_of() {
    ValueType type;  // a string
    if constexpr (std::is_same_v<T, bool>) {
        type.kind = ValueType::boolean;
    } else if constexpr (std::is_integral_v<T>) {
        type.kind = ValueType::whole_number;
        type.min = std::numeric_limits<T>::min();
        type.max = std::numeric_limits<T>::max();
    } else if constexpr (std::is_floating_point_v<T>) {
        type.kind = ValueType::number;
    } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
        type.kind = ValueType::list;
    }
    return type;
}

template <class N>
std::optional<N> parse_whole(std::string_view word) {
    N n{};
    const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), n);
    if (error != std::errc() || end != word.data() + word.size()) return std::nullopt;
    return n;
}

std::optional<std::string> whole_number(const ValueType& type, std::string_view word) {
    if (word.starts_with('-')) {
        const auto n = parse_whole<std::int64_t>(word);
        if (!n || *n < type.min) return std::nullopt;
        return std::to_string(*n);
    }
    const auto n = parse_whole<std::uint64_t>(word);
    if (!n || *n > type.max) return std::nullopt;
    return std::to_string(*n);
}

std::optional<std::string> number(const ValueType& type, std::string_view word) {
    double x = 0;
    const auto [end, error] = std::from_chars(word.data(), word.data() + word.size(), x);
    if (error != std::errc() || end != word.data() + word.size() || !std::isfinite(x) || x < 0 || x > type.max_number)
        return std::nullopt;
    return shortest_text(x + 0.0);  // not "-0"
}

// The words program_options takes for a switch.
std::optional<std::string> boolean(std::string word) {
    std::ranges::transform(word, word.begin(), [](unsigned char c) { return std::tolower(c); });
    for (const char* yes : {"true", "yes", "on", "1"})
        if (word == yes) return "true";
    for (const char* no : {"false", "no", "off", "0"})
        if (word == no) return "false";
    return std::nullopt;
}

std::optional<std::string> checked_token(const ValueType& type, const std::string& word) {
    switch (type.kind) {
        case ValueType::whole_number: return whole_number(type, word);
        case ValueType::number: return number(type, word);
        case ValueType::boolean: return boolean(word);
        case ValueType::string:
            if (type.choices.empty() || std::ranges::find(type.choices, word) != type.choices.end()) return word;
            return std::nullopt;
        case ValueType::list: break;
    }
    return std::nullopt;
}

}  // namespace

std::string ValueType::expected() const {
    switch (kind) {
        case whole_number:
            if (max < std::numeric_limits<std::uint64_t>::max() / 2)
                return "a whole number from " + std::to_string(min) + " to " + std::to_string(max);
            return min < 0 ? "a whole number" : "a whole number of at least " + std::to_string(min);
        case number:
            if (std::isfinite(max_number)) return "a number from 0 to " + shortest_text(max_number);
            return "a number of at least 0";
        case boolean: return "true or false";
        case string: {
            if (choices.empty()) return "a string";
            std::string names;
            for (const std::string& choice : choices) names += (names.empty() ? "" : ", ") + choice;
            return "one of " + names;
        }
        case list: return "a string or an array of strings";
    }
    return {};
}

std::optional<ValueType> value_type(const po::option_description& option) {
    const auto* typed = dynamic_cast<const po::typed_value_base*>(option.semantic().get());
    if (!typed) return std::nullopt;
    std::optional<ValueType> type;
    visit_type(typed->value_type(), [&]<class T>(std::type_identity<T>) { type = type_of<T>(); }, Settable{});
    if (!type) throw std::logic_error("--" + option.long_name() + ": a type no source can give");
    if (const auto* choice = dynamic_cast<const ChoiceValue*>(typed)) type->choices = choice->choices;
    if (const auto* bounded = dynamic_cast<const BoundedNumber*>(typed)) type->max_number = bounded->max;
    return type;
}

po::typed_value<std::string>* one_of(std::string* target, std::vector<std::string> choices) {
    return new ChoiceValue(target, std::move(choices));
}

po::typed_value<double>* up_to(double* target, double max) { return new BoundedNumber(target, max); }

std::optional<std::vector<std::string>> checked_tokens(const ValueType& type, const std::vector<std::string>& words) {
    if (type.kind == ValueType::list) return words;
    if (type.kind == ValueType::boolean && words.empty()) return std::vector<std::string>{"true"};
    if (words.size() != 1) return std::nullopt;
    std::optional<std::string> token = checked_token(type, words.front());
    if (!token) return std::nullopt;
    return std::vector<std::string>{std::move(*token)};
}

std::vector<std::string> tokens_of_words(const ValueType& type, const std::vector<std::string>& words,
                                         std::string_view where) {
    if (auto tokens = checked_tokens(type, words)) return std::move(*tokens);
    std::string given;
    for (const std::string& word : words) given += (given.empty() ? "\"" : " \"") + word + "\"";
    throw refusal(where, type, given);
}

std::invalid_argument refusal(std::string_view where, const ValueType& type, std::string_view given) {
    return std::invalid_argument(std::string(where) + ": expected " + type.expected() + ", got " + std::string(given));
}

std::vector<std::string> words_of(const boost::any& value) {
    std::vector<std::string> words;
    const bool known = visit_type(
        value.type(),
        [&]<class T>(std::type_identity<T>) {
            const T& v = boost::any_cast<const T&>(value);
            if constexpr (std::is_same_v<T, bool>) words = {v ? "true" : "false"};
            else if constexpr (std::is_integral_v<T>) words = {std::to_string(v)};
            else if constexpr (std::is_floating_point_v<T>) words = {shortest_text(v)};
            else if constexpr (std::is_same_v<T, std::string>) words = {v};
            else words = v;
        },
        Settable{});
    if (!known) throw std::logic_error(std::string("no words for a value of type ") + value.type().name());
    return words;
}

std::string shortest_text(double x) {
    char text[32];
    return {text, std::to_chars(text, text + sizeof text, x).ptr};
}

}  // namespace presence::tools
