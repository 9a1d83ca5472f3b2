# SPDX-License-Identifier: Apache-2.0
# The API reference of the public headers, by Doxygen: `cmake --build <dir> --target api-docs`
# writes <dir>/api-docs/html. Any Doxygen warning fails the target.
find_package(Doxygen)
if(DOXYGEN_FOUND)
  set(DOXYGEN_PROJECT_NAME Presence)
  set(DOXYGEN_PROJECT_NUMBER ${PROJECT_VERSION})
  set(DOXYGEN_PROJECT_BRIEF "${PROJECT_DESCRIPTION}")
  set(DOXYGEN_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/api-docs)
  set(DOXYGEN_EXTRACT_ALL YES)
  set(DOXYGEN_WARN_IF_UNDOCUMENTED NO)
  set(DOXYGEN_WARN_AS_ERROR YES)
  set(DOXYGEN_HAVE_DOT NO)
  set(DOXYGEN_FULL_PATH_NAMES YES)
  set(DOXYGEN_STRIP_FROM_PATH ${PROJECT_SOURCE_DIR}/include)
  set(DOXYGEN_STRIP_FROM_INC_PATH ${PROJECT_SOURCE_DIR}/include)
  set(DOXYGEN_USE_MDFILE_AS_MAINPAGE ${PROJECT_SOURCE_DIR}/docs/api.md)
  doxygen_add_docs(api-docs ${PROJECT_SOURCE_DIR}/include/presence ${PROJECT_SOURCE_DIR}/docs/api.md
                   COMMENT "API reference of include/presence")
endif()
