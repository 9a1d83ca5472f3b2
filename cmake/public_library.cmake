# SPDX-License-Identifier: Apache-2.0
# The libraries that consumers link, whether installed (find_package, pkg-config) or built
# with their project (add_subdirectory): for each name, Presence::<name>, a shared library,
# and Presence::<name>_static, a static archive. Both are made of the objects of the
# internal static libraries PARTS, so a consumer links one file, and need of other packages
# only LINKS: a static archive passes them on to its consumers; a shared library keeps them
# to itself, and so its consumers need only its headers, which include nothing but the
# standard library.
include(GNUInstallDirs)

function(presence_public_library name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "PARTS;LINKS")
  # Their objects go into a shared library too.
  set_target_properties(${arg_PARTS} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  list(TRANSFORM arg_PARTS REPLACE "^(.+)$" "$<TARGET_OBJECTS:\\1>" OUTPUT_VARIABLE objects)

  add_library(presence_${name}_shared SHARED ${objects})
  add_library(presence_${name}_static STATIC ${objects})
  foreach(target presence_${name}_shared presence_${name}_static)
    target_link_libraries(${target} PRIVATE ${arg_LINKS})
    target_include_directories(${target} PUBLIC
      $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
      $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
    target_compile_features(${target} PUBLIC cxx_std_20)
    set_target_properties(${target} PROPERTIES OUTPUT_NAME presence-${name})
  endforeach()

  # Every symbol stays visible, Boost's included: a consumer's io_context is run by the
  # consumer's copy of Asio's code and used by the library's, and the two must share
  # Asio's per-thread state (static members of its templates) to work together.
  set_target_properties(presence_${name}_shared PROPERTIES
    EXPORT_NAME ${name}
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR})
  # A symbol that LINKS lack fails here rather than in the consumer's link. Sanitizer
  # runtimes come with the executable, so they are left undefined in sanitized builds.
  if(NOT PRESENCE_SANITIZE AND NOT PRESENCE_FUZZ)
    target_link_options(presence_${name}_shared PRIVATE "LINKER:--no-undefined")
  endif()
  set_target_properties(presence_${name}_static PROPERTIES EXPORT_NAME ${name}_static)

  add_library(Presence::${name} ALIAS presence_${name}_shared)
  add_library(Presence::${name}_static ALIAS presence_${name}_static)
endfunction()
