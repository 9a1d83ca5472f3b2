// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/parsers.hpp>
#include <boost/program_options/variables_map.hpp>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

// Options in a TOML file, each under its flag's name: `port = 8080` for --port, or in a
// table named for the flag's first words, `[webhook] url = "..."` for --webhook-url.
// Whole numbers, numbers (integers or floats), booleans for switches, strings, and arrays
// of strings for options that may be repeated (a single string is one item).
namespace presence::tools {

// Options that say what to do with the configuration; a file cannot set them.
inline const std::set<std::string, std::less<>> not_in_files{"help", "version", "config", "print-config"};

// What the file `path` sets, checked (option_values.h). Throws std::runtime_error naming
// the file, the line and the key: a file it cannot read, bad TOML, an option
// `description` does not declare or one of not_in_files, a value of the wrong type.
boost::program_options::parsed_options read_config_file(const std::string& path,
                                                        const boost::program_options::options_description& description);

// Every option of `description` but not_in_files, with its value of `vm`, each under its
// description as a comment, in a TOML file that read_config_file reads back. The options
// of `secrets` and those unset are comments that say whether they are set.
void print_config(std::ostream& out, const boost::program_options::variables_map& vm,
                  const boost::program_options::options_description& description,
                  const std::vector<std::string>& secrets, std::string_view heading);

}  // namespace presence::tools
