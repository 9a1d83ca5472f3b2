// SPDX-License-Identifier: Apache-2.0
#include "tools/command_line.h"

#include <boost/program_options.hpp>
#include <iostream>

#include "presence/version.h"
#include "tools/option_values.h"

namespace presence::tools {

namespace po = boost::program_options;

std::optional<int> parse_command_line(int argc, char** argv, const po::options_description& description,
                                      std::string_view program, std::string_view more_help) {
    po::variables_map vm;
    try {
        po::store(read_command_line(argc, argv, description), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        std::cerr << program << ": " << e.what() << "\n" << description;
        return 2;
    }
    return answer_help_or_version(vm, description, program, more_help);
}

po::parsed_options read_command_line(int argc, char** argv, const po::options_description& description) {
    po::parsed_options parsed = po::command_line_parser(argc, argv).options(description).run();
    for (po::option& given : parsed.options) {
        if (const std::optional<ValueType> type = value_type(description.find(given.string_key, false)))
            given.value = tokens_of_words(*type, given.value, "--" + given.string_key);
    }
    return parsed;
}

std::optional<int> answer_help_or_version(const po::variables_map& vm, const po::options_description& description,
                                          std::string_view program, std::string_view more_help) {
    if (vm.count("help")) {
        std::cout << description;
        if (!more_help.empty()) std::cout << "\n" << more_help << "\n";
        return 0;
    }
    if (vm.count("version")) {
        std::cout << program << " " << version() << "\n";
        return 0;
    }
    return std::nullopt;
}

std::chrono::milliseconds seconds(double s) {
    // Longer than milliseconds can count is forever, not a wrapped value.
    const double ms = s * 1000.0;
    constexpr auto forever = std::chrono::milliseconds::max();
    if (ms >= static_cast<double>(forever.count())) return forever;
    return std::chrono::milliseconds(static_cast<long long>(ms));
}

}  // namespace presence::tools
