# SPDX-License-Identifier: Apache-2.0
# Writes OUT, a C++ source holding every file of FILES (absolute paths; served under
# PREFIX<file name>, PREFIX "/" unless given) with its content type and an ETag, found by
# the function FUNCTION (web_assets unless given), so that the server binary carries its
# web pages and browser client with it. Run by the build: cmake -P embed_web.cmake.
if(NOT DEFINED PREFIX)
  set(PREFIX "/")
endif()
if(NOT DEFINED FUNCTION)
  set(FUNCTION web_assets)
endif()
set(types_html "text/html; charset=utf-8")
set(types_js "text/javascript; charset=utf-8")
set(types_ts "text/plain; charset=utf-8")
set(types_css "text/css; charset=utf-8")
set(types_svg "image/svg+xml")
set(types_png "image/png")

set(arrays "")
set(entries "")
set(index 0)
foreach(file IN LISTS FILES)
  get_filename_component(name "${file}" NAME)
  string(REGEX MATCH "[^.]+$" extension "${name}")
  set(type "${types_${extension}}")
  if(NOT type)
    set(type "application/octet-stream")
  endif()
  file(READ "${file}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
  file(SHA1 "${file}" sha1)
  string(SUBSTRING "${sha1}" 0 16 tag)
  string(APPEND arrays "constexpr char file_${index}[] = {${bytes}};\n")
  string(APPEND entries
    "    {\"${PREFIX}${name}\", \"${type}\", \"\\\"${tag}\\\"\", {file_${index}, sizeof file_${index}}},\n")
  math(EXPR index "${index} + 1")
endforeach()

file(WRITE "${OUT}.tmp" "// Generated from web/ by cmake/embed_web.cmake; do not edit.
#include \"server/web_assets.h\"

namespace presence {
namespace {

${arrays}
const WebAsset assets[] = {
${entries}};

}  // namespace

std::span<const WebAsset> ${FUNCTION}() { return assets; }

}  // namespace presence
")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
