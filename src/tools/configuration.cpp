// SPDX-License-Identifier: Apache-2.0
#include "tools/configuration.h"

#include <algorithm>
#include <boost/program_options.hpp>
#include <cctype>
#include <iostream>

#include "presence/version.h"
#include "protocol/text.h"
#include "tools/command_line.h"
#include "tools/config_file.h"
#include "tools/option_values.h"

namespace presence::tools {

namespace po = boost::program_options;

namespace {

// PRESENCE_WEBHOOK_URL for webhook-url.
std::string variable_of(std::string_view prefix, std::string_view option) {
    std::string variable(prefix);
    for (const char c : option)
        variable += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return variable;
}

// The option that `variable` sets; "" for a variable that names none, left to other programs
// (PRESENCE_SERVER of the tests, say).
std::string option_of(const po::options_description& description, std::string_view prefix,
                      const std::string& variable) {
    if (!variable.starts_with(prefix) || variable.size() == prefix.size()) return {};
    std::string name;
    for (const char c : variable.substr(prefix.size()))
        name += c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const po::option_description* option = description.find_nothrow(name, false);
    const bool settable = option && value_type(*option) && (name == "config" || !not_in_files.contains(name));
    if (!settable || variable_of(prefix, name) != variable) return {};
    return name;
}

// The options the environment sets, checked. A list is comma-separated, as HTTP's.
po::parsed_options read_environment(const po::options_description& description, std::string_view prefix) {
    po::parsed_options parsed = po::parse_environment(
        description, [&](const std::string& variable) { return option_of(description, prefix, variable); });
    for (po::option& given : parsed.options) {
        const ValueType type = *value_type(description.find(given.string_key, false));
        std::vector<std::string> words = given.value;
        if (type.kind == ValueType::list) {
            words.clear();
            for (const std::string_view item : protocol::split_list(given.value.front())) words.emplace_back(item);
        }
        given.value = tokens_of_words(type, words, "environment " + variable_of(prefix, given.string_key));
    }
    return parsed;
}

// Stores the options of `parsed` that the sources stored before left unset. program_options
// itself keeps the first value stored, but adds up those of options that may be repeated:
// a list is taken whole from one source.
void store_unset(po::parsed_options parsed, po::variables_map& vm) {
    std::erase_if(parsed.options, [&](const po::option& given) {
        const auto stored = vm.find(given.string_key);
        return stored != vm.end() && !stored->second.defaulted();
    });
    po::store(parsed, vm);
}

std::string sources_help(const ConfigurationSources& sources) {
    const std::string prefix(sources.environment_prefix);
    return "Every option but --help, --version and --print-config can also be set by an environment\n"
           "variable: " + prefix + " and its name in capitals, " + variable_of(prefix, "max-message-bytes") +
           " for --max-message-bytes.\n"
           "Every one but --config can be set in the TOML file of --config, under its name or in a\n"
           "table of its first word: [webhook] url = \"...\" for --webhook-url. A flag wins over the\n"
           "environment, which wins over the file; --print-config shows the outcome.";
}

}  // namespace

std::optional<int> load_configuration(int argc, char** argv, const po::options_description& description,
                                      const ConfigurationSources& sources) {
    po::variables_map vm;
    try {
        po::store(read_command_line(argc, argv, description), vm);
    } catch (const std::exception& e) {
        std::cerr << sources.program << ": " << e.what() << "\n" << description;
        return 2;
    }
    if (const auto done = answer_help_or_version(vm, description, sources.program, sources_help(sources))) return done;
    try {
        store_unset(read_environment(description, sources.environment_prefix), vm);
        if (vm.count("config")) store_unset(read_config_file(vm["config"].as<std::string>(), description), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        std::cerr << sources.program << ": " << e.what() << "\n";
        return 2;
    }
    if (!vm["print-config"].as<bool>()) return std::nullopt;
    print_config(std::cout, vm, description, sources.secrets,
                 std::string(sources.program) + " " + std::string(version()) +
                     ": the configuration in effect, as a file for --config");
    return 0;
}

}  // namespace presence::tools
