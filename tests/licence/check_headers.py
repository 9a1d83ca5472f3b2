# SPDX-License-Identifier: Apache-2.0
"""Every source file of the project names its licence on one of its first lines, and the
licence is there: `check_headers.py ROOT` lists the files that do not and fails, or prints
how many it checked.

Sources are what people edit: code, scripts, build files, pages, configurations. Data is
left out: recorded results, fuzzing inputs, keys, images, JSON (which has no comments;
package.json says "license" instead) and Markdown."""

import os
import sys

TAG = "SPDX-License-Identifier: Apache-2.0"
SOURCE_SUFFIXES = (".cpp", ".h", ".hpp", ".in", ".py", ".sh", ".cmake", ".js", ".mjs", ".ts", ".css",
                   ".html", ".toml", ".service", ".dict")
SOURCE_NAMES = ("CMakeLists.txt", "Makefile", "Dockerfile", "run", ".gitignore", ".dockerignore")
# Folders of data, generated output or installed packages.
SKIPPED = {"node_modules", "corpus", "regressions", "keys", "results", ".git"}
FIRST_LINES = 3


def is_source(name):
    return name in SOURCE_NAMES or name.endswith(SOURCE_SUFFIXES)


def unlabelled(root):
    checked, missing = 0, []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [d for d in subfolders if d not in SKIPPED and not d.startswith("build")]
        for name in files:
            if not is_source(name):
                continue
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as f:
                head = [f.readline() for _ in range(FIRST_LINES)]
            checked += 1
            if not any(TAG in line for line in head):
                missing.append(os.path.relpath(path, root))
    return checked, sorted(missing)


def main():
    root = sys.argv[1]
    with open(os.path.join(root, "LICENSE"), encoding="utf-8") as f:
        if "Apache License" not in f.read(1000):
            sys.exit("LICENSE is not the Apache License")
    checked, missing = unlabelled(root)
    if missing:
        sys.exit("no '%s' on the first %d lines of:\n  %s" % (TAG, FIRST_LINES, "\n  ".join(missing)))
    print("%d sources name their licence" % checked)


if __name__ == "__main__":
    main()
