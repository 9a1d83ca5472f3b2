#pragma once

#include <boost/program_options/options_description.hpp>
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

// Durations are given in seconds, with decimals.
std::chrono::milliseconds seconds(double s);

}  // namespace presence::tools
