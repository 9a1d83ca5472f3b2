# SPDX-License-Identifier: Apache-2.0
"""Dependencies between the folders of src/ go one way: the domain (presence rules) knows no
engine, server or client; an engine knows the domain but no server or client.
`check_layers.py ROOT` lists every include that breaks this and fails, or prints how many
files it checked."""

import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*["<]([^">]+)[">]')
# Folder of src/ -> the folders of src/ its files must not include.
FORBIDDEN = {
    "domain": ("engine/", "server/", "client/"),
    "engine": ("server/", "client/"),
}


def breaches(root):
    checked, found = 0, []
    for layer, forbidden in FORBIDDEN.items():
        for folder, _, files in os.walk(os.path.join(root, "src", layer)):
            for name in sorted(files):
                if not name.endswith((".h", ".cpp")):
                    continue
                path = os.path.join(folder, name)
                checked += 1
                with open(path, encoding="utf-8") as f:
                    for number, line in enumerate(f, 1):
                        match = INCLUDE.match(line)
                        if match and match.group(1).startswith(forbidden):
                            found.append(f"{os.path.relpath(path, root)}:{number}: {layer} includes {match.group(1)}")
    return checked, found


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    checked, found = breaches(root)
    if checked == 0:
        print(f"no sources under {root}/src", file=sys.stderr)
        return 1
    for line in found:
        print(line, file=sys.stderr)
    if found:
        return 1
    print(f"{checked} files include only the layers below their own")
    return 0


if __name__ == "__main__":
    sys.exit(main())
