#include "tools/command_line.h"

#include <boost/program_options.hpp>
#include <iostream>

#include "presence/version.h"

namespace presence::tools {

namespace po = boost::program_options;

std::optional<int> parse_command_line(int argc, char** argv, const po::options_description& description,
                                      std::string_view program, std::string_view more_help) {
    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, description), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        std::cerr << program << ": " << e.what() << "\n" << description;
        return 2;
    }
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
    return std::chrono::milliseconds(static_cast<long long>(s * 1000.0));
}

}  // namespace presence::tools
