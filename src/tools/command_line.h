// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/parsers.hpp>
#include <boost/program_options/variables_map.hpp>
#include <chrono>
#include <optional>
#include <string_view>

namespace presence::tools {

// Parses the command line into what `description` binds. Returns the exit status when
// the program has nothing more to do (--help, --version, or a bad option: 2), nullopt
// when it goes on. `more_help` follows the options under --help.
std::optional<int> parse_command_line(int argc, char** argv,
                                      const boost::program_options::options_description& description,
                                      std::string_view program, std::string_view more_help = {});

// The command line as program_options parses it, each value checked (option_values.h).
// Throws for a bad option or value, with a message that names the flag.
boost::program_options::parsed_options read_command_line(
    int argc, char** argv, const boost::program_options::options_description& description);

// Answers --help and --version: the exit status; nullopt for neither.
std::optional<int> answer_help_or_version(const boost::program_options::variables_map& vm,
                                          const boost::program_options::options_description& description,
                                          std::string_view program, std::string_view more_help = {});

// Durations are given in seconds, with decimals.
std::chrono::milliseconds seconds(double s);

}  // namespace presence::tools
