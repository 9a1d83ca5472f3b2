// SPDX-License-Identifier: Apache-2.0
#include "tools/config_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <toml++/toml.h>

#include "tools/option_values.h"

namespace presence::tools {

namespace po = boost::program_options;

namespace {

std::string read_file(const std::string& path) {
    const std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
    std::string text;
    if (file) {
        char block[4096];
        while (const std::size_t n = std::fread(block, 1, sizeof block, file.get())) text.append(block, n);
    }
    if (!file || std::ferror(file.get())) throw std::runtime_error(path + ": cannot read it: " + std::strerror(errno));
    return text;
}

// As TOML writes it: a float as read (not to 17 digits), a string in double quotes.
std::string toml_text(const toml::node& node) {
    if (node.is_table()) return "a table";
    if (const auto* x = node.as_floating_point()) return shortest_text(x->get());
    std::ostringstream out;
    out << toml::toml_formatter{node, toml::format_flags::allow_unicode_strings};
    return out.str();
}

std::string toml_string(const std::string& text) { return toml_text(toml::value<std::string>(text)); }

// The words of a value of `type`; nullopt for a TOML type that is not one of those it takes.
std::optional<std::vector<std::string>> words_of_toml(const ValueType& type, const toml::node& node) {
    using Words = std::vector<std::string>;
    switch (type.kind) {
        case ValueType::whole_number:
            if (const auto* n = node.as_integer()) return Words{std::to_string(n->get())};
            break;
        case ValueType::number:
            if (const auto* n = node.as_integer()) return Words{std::to_string(n->get())};
            if (const auto* x = node.as_floating_point()) return Words{shortest_text(x->get())};
            break;
        case ValueType::boolean:
            if (const auto* b = node.as_boolean()) return Words{b->get() ? "true" : "false"};
            break;
        case ValueType::string:
            if (const auto* s = node.as_string()) return Words{s->get()};
            break;
        case ValueType::list: {
            if (const auto* s = node.as_string()) return Words{s->get()};
            const auto* items = node.as_array();
            if (!items) break;
            Words words;
            for (const toml::node& item : *items) {
                const auto* s = item.as_string();
                if (!s) return std::nullopt;
                words.push_back(s->get());
            }
            return words;
        }
    }
    return std::nullopt;
}

class FileReader {
public:
    FileReader(const std::string& path, const po::options_description& description)
        : path_(path), description_(description), parsed_(&description) {}

    po::parsed_options read() {
        toml::table root;
        try {
            root = toml::parse(read_file(path_), path_);
        } catch (const toml::parse_error& e) {
            throw std::runtime_error(path_ + ":" + std::to_string(e.source().begin.line) + ":" +
                                     std::to_string(e.source().begin.column) + ": " + std::string(e.description()));
        }
        add(root, "", "");
        return std::move(parsed_);
    }

private:
    // The options of `table` (`shown` in messages, "" for the top level), whose keys are the
    // rest of names that begin with `name`.
    void add(const toml::table& table, const std::string& name, const std::string& shown) {
        for (const auto& [toml_key, node] : table) {
            const std::string key(toml_key.str());
            const std::string option = name.empty() ? key : name + "-" + key;
            if (const auto* inner = node.as_table()) {
                add(*inner, option, shown.empty() ? key : shown + "." + key);
                continue;
            }
            const std::string where = path_ + ":" + std::to_string(node.source().begin.line) + ": " +
                                      (shown.empty() ? "" : "[" + shown + "] ") + key;
            add(option, node, where);
        }
    }

    void add(const std::string& name, const toml::node& node, const std::string& where) {
        const po::option_description* option = description_.find_nothrow(name, false);
        if (!option) throw std::runtime_error(where + ": unknown option \"" + name + "\"");
        const std::optional<ValueType> type = value_type(*option);
        if (!type || not_in_files.contains(name)) throw std::runtime_error(where + ": only on the command line");
        const auto [seen, first] = seen_.emplace(name, node.source().begin.line);
        if (!first) throw std::runtime_error(where + ": " + name + " is set twice in the file, also on line " +
                                             std::to_string(seen->second));
        const auto words = words_of_toml(*type, node);
        const auto tokens = words ? checked_tokens(*type, *words) : std::nullopt;
        if (!tokens) throw refusal(where, *type, toml_text(node));
        parsed_.options.emplace_back(name, *tokens);
    }

    const std::string& path_;
    const po::options_description& description_;
    po::parsed_options parsed_;
    std::map<std::string, toml::source_index> seen_;  // option, line
};

std::string toml_value(const ValueType& type, const std::vector<std::string>& words) {
    if (type.kind == ValueType::string) return toml_string(words.front());
    if (type.kind != ValueType::list) return words.front();
    std::string items;
    for (const std::string& word : words) items += (items.empty() ? "" : ", ") + toml_string(word);
    return "[" + items + "]";
}

}  // namespace

po::parsed_options read_config_file(const std::string& path, const po::options_description& description) {
    return FileReader(path, description).read();
}

void print_config(std::ostream& out, const po::variables_map& vm, const po::options_description& description,
                  const std::vector<std::string>& secrets, std::string_view heading) {
    out << "# " << heading << "\n";
    for (const auto& option : description.options()) {
        const std::string& name = option->long_name();
        const std::optional<ValueType> type = value_type(*option);
        if (!type || not_in_files.contains(name)) continue;
        out << "\n# " << option->description() << "\n";
        const auto value = vm.find(name);
        if (value == vm.end() || value->second.empty()) out << "# " << name << ": not set\n";
        else if (std::ranges::find(secrets, name) != secrets.end()) out << "# " << name << ": set, not shown\n";
        else out << name << " = " << toml_value(*type, words_of(value->second.value())) << "\n";
    }
}

}  // namespace presence::tools
