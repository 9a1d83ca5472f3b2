// SPDX-License-Identifier: Apache-2.0
#include "tools/option_values.h"

#include <boost/program_options.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace presence::tools {
namespace {

using Words = std::vector<std::string>;

template <class T>
ValueType type_of_value() {
    T target{};
    po::options_description d;
    d.add_options()("x", po::value(&target));
    return *value_type(d.find("x", false));
}

std::optional<Words> tokens(const ValueType& type, Words words) { return checked_tokens(type, words); }

TEST(ValueTypes, FollowTheBoundVariable) {
    EXPECT_EQ(type_of_value<std::uint16_t>().expected(), "a whole number from 0 to 65535");
    EXPECT_EQ(type_of_value<int>().expected(), "a whole number from -2147483648 to 2147483647");
    EXPECT_EQ(type_of_value<std::size_t>().expected(), "a whole number of at least 0");
    EXPECT_EQ(type_of_value<double>().expected(), "a number of at least 0");
    EXPECT_EQ(type_of_value<bool>().expected(), "true or false");
    EXPECT_EQ(type_of_value<std::string>().expected(), "a string");
    EXPECT_EQ(type_of_value<std::vector<std::string>>().kind, ValueType::list);
}

TEST(ValueTypes, NoneForAnOptionWithoutValue) {
    po::options_description d;
    d.add_options()("help", "help");
    EXPECT_FALSE(value_type(d.find("help", false)));
}

TEST(ValueTypes, ChoicesAreNamed) {
    std::string level;
    po::options_description d;
    d.add_options()("level", one_of(&level, {"low", "high"}));
    const ValueType type = *value_type(d.find("level", false));
    EXPECT_EQ(type.expected(), "one of low, high");
    EXPECT_EQ(tokens(type, {"high"}), Words{"high"});
    EXPECT_FALSE(tokens(type, {"HIGH"}));
}

TEST(CheckedTokens, WholeNumbersWithinTheirType) {
    const ValueType port = type_of_value<std::uint16_t>();
    EXPECT_EQ(tokens(port, {"8080"}), Words{"8080"});
    EXPECT_EQ(tokens(port, {"0"}), Words{"0"});
    EXPECT_EQ(tokens(port, {"65535"}), Words{"65535"});
    EXPECT_EQ(tokens(port, {"-0"}), Words{"0"});
    for (const char* bad : {"65536", "-1", "+1", " 1", "1 ", "", "1.0", "1e3", "0x10", "eighty"})
        EXPECT_FALSE(tokens(port, {bad})) << bad;
    const ValueType size = type_of_value<std::size_t>();
    EXPECT_EQ(tokens(size, {"18446744073709551615"}), Words{"18446744073709551615"});
    EXPECT_FALSE(tokens(size, {"18446744073709551616"}));
    EXPECT_FALSE(tokens(size, {"-1"}));
    EXPECT_EQ(tokens(type_of_value<int>(), {"-5"}), Words{"-5"});
}

TEST(CheckedTokens, NumbersAreFiniteAndNotNegative) {
    const ValueType seconds = type_of_value<double>();
    EXPECT_EQ(tokens(seconds, {"2.5"}), Words{"2.5"});
    EXPECT_EQ(tokens(seconds, {"15"}), Words{"15"});
    EXPECT_EQ(tokens(seconds, {"1e-3"}), Words{"0.001"});
    EXPECT_EQ(tokens(seconds, {"-0"}), Words{"0"});
    for (const char* bad : {"-0.5", "inf", "nan", "1e400", "", "2.5s", "five"})
        EXPECT_FALSE(tokens(seconds, {bad})) << bad;
}

TEST(CheckedTokens, ABoundedNumberTakesUpToItsBound) {
    double seconds = 0;
    po::options_description d;
    d.add_options()("interval", up_to(&seconds, 60));
    const ValueType type = *value_type(d.find("interval", false));
    EXPECT_EQ(type.expected(), "a number from 0 to 60");
    EXPECT_EQ(tokens(type, {"60"}), Words{"60"});
    EXPECT_EQ(tokens(type, {"0.1"}), Words{"0.1"});
    EXPECT_EQ(tokens(type, {"0"}), Words{"0"});
    for (const char* bad : {"60.5", "100", "-1", "inf"}) EXPECT_FALSE(tokens(type, {bad})) << bad;
}

TEST(CheckedTokens, SwitchesTakeWhatProgramOptionsTakes) {
    const ValueType flag = type_of_value<bool>();
    EXPECT_EQ(tokens(flag, {}), Words{"true"});
    for (const char* yes : {"true", "TRUE", "yes", "on", "1"}) EXPECT_EQ(tokens(flag, {yes}), Words{"true"}) << yes;
    for (const char* no : {"false", "No", "off", "0"}) EXPECT_EQ(tokens(flag, {no}), Words{"false"}) << no;
    EXPECT_FALSE(tokens(flag, {"maybe"}));
    EXPECT_FALSE(tokens(flag, {""}));
}

TEST(CheckedTokens, ListsTakeEveryWord) {
    EXPECT_EQ(tokens(type_of_value<std::vector<std::string>>(), {"a", "b c"}), (Words{"a", "b c"}));
    EXPECT_EQ(tokens(type_of_value<std::string>(), {"a b"}), Words{"a b"});
    EXPECT_FALSE(tokens(type_of_value<std::string>(), {"a", "b"}));
}

TEST(TokensOfWords, RefusalNamesTheSourceAndTheWord) {
    try {
        tokens_of_words(type_of_value<std::uint16_t>(), {"abc"}, "environment PRESENCE_PORT");
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "environment PRESENCE_PORT: expected a whole number from 0 to 65535, got \"abc\"");
    }
}

TEST(WordsOf, ReadBackAsTheSameValue) {
    EXPECT_EQ(words_of(boost::any(std::uint16_t{8080})), Words{"8080"});
    EXPECT_EQ(words_of(boost::any(std::size_t{65536})), Words{"65536"});
    EXPECT_EQ(words_of(boost::any(0.1)), Words{"0.1"});
    EXPECT_EQ(words_of(boost::any(300.0)), Words{"300"});
    EXPECT_EQ(words_of(boost::any(true)), Words{"true"});
    EXPECT_EQ(words_of(boost::any(std::string("x y"))), Words{"x y"});
    EXPECT_EQ(words_of(boost::any(Words{"a", "b"})), (Words{"a", "b"}));
    EXPECT_EQ(shortest_text(0.1 + 0.2), "0.30000000000000004");
}

}  // namespace
}  // namespace presence::tools
