// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <boost/program_options/options_description.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace presence::tools {

// Where a program takes its options from besides its command line.
struct ConfigurationSources {
    std::string_view program;             // in messages: "presence-server"
    std::string_view environment_prefix;  // "PRESENCE_": PRESENCE_WEBHOOK_URL sets --webhook-url
    std::vector<std::string> secrets;     // options --print-config does not show
};

// Fills what `description` binds from, first to last, the command line, the environment
// and the TOML file of --config (or of its variable, PRESENCE_CONFIG): each source sets
// only what the ones before it left unset. `description` declares --help, --version,
// --config FILE and --print-config. Returns the exit status when the program has nothing
// more to do (--help, --version, --print-config: 0; a bad option or value, whatever its
// source: 2, said on stderr), nullopt when it goes on.
std::optional<int> load_configuration(int argc, char** argv,
                                      const boost::program_options::options_description& description,
                                      const ConfigurationSources& sources);

}  // namespace presence::tools
