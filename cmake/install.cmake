# SPDX-License-Identifier: Apache-2.0
# `cmake --install`: the tools, an example systemd unit and the configuration it reads
# (component server); the headers, the libraries of cmake/public_library.cmake, the CMake
# package Presence and the pkg-config files presence-server and presence-client (component
# dev). Every path is relative to the prefix, so that an installed tree or package can be
# moved; only a /usr install puts its configuration in /etc. Each component carries the
# licence, as Debian's copyright file: share/doc/<package>/copyright.
include(CMakePackageConfigHelpers)

# Debian's machine-readable format, with the licence text in full (Debian policy 12.5).
file(READ ${PROJECT_SOURCE_DIR}/LICENSE presence_license_text)
string(STRIP "${presence_license_text}" presence_license_text)
# A blank line would end the paragraph: each becomes " ." (twice, for runs of them).
string(REGEX REPLACE "\n\n" "\n.\n" presence_license_text "${presence_license_text}")
string(REGEX REPLACE "\n\n" "\n.\n" presence_license_text "${presence_license_text}")
string(REGEX REPLACE "\n" "\n " presence_license_text "${presence_license_text}")
file(WRITE ${PROJECT_BINARY_DIR}/debian/copyright
"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: presence
Source: the Presence project

Files: *
Copyright: the Presence authors
License: Apache-2.0

License: Apache-2.0
${presence_license_text}
")
foreach(component server dev)
  install(FILES ${PROJECT_BINARY_DIR}/debian/copyright
          DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/presence-${component} COMPONENT ${component})
endforeach()

set(presence_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/Presence)
set(presence_pkgconfig_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(PRESENCE_BUILD_TOOLS)
  install(TARGETS presence-server presence-cli presence-token RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
          COMPONENT server)
  # Not GNUInstallDirs' LIBDIR: systemd looks in <prefix>/lib/systemd/system whatever the architecture.
  install(FILES ${PROJECT_SOURCE_DIR}/deploy/presence-server.service DESTINATION lib/systemd/system
          COMPONENT server)
  # The configuration of a /usr install (the Debian package's: CPack installs there) is in
  # /etc, as GNUInstallDirs has it; any other prefix keeps its own etc/. Decided at install
  # time, when the prefix is known.
  install(CODE "
    if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
      set(presence_config_dir /etc/presence)
    else()
      set(presence_config_dir \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SYSCONFDIR}/presence\")
    endif()
    file(INSTALL DESTINATION \"\${presence_config_dir}\" TYPE FILE
         FILES \"${PROJECT_SOURCE_DIR}/deploy/presence.toml\")" COMPONENT server)
endif()

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/presence DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT dev)
# Two export sets: the static archives need packages that the shared libraries do not, and
# PresenceConfig.cmake looks for them only when the static archives are asked for.
install(TARGETS presence_server_shared presence_client_shared EXPORT PresenceTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(TARGETS presence_server_static presence_client_static EXPORT PresenceStaticTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
# `cmake --install --strip` and CPack strip executables and shared libraries, not archives:
# their debug information goes here.
foreach(archive presence_server_static presence_client_static)
  install(CODE "if(CMAKE_INSTALL_DO_STRIP)
    execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug
      \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/$<TARGET_FILE_NAME:${archive}>\"
      COMMAND_ERROR_IS_FATAL ANY)
  endif()" COMPONENT dev)
endforeach()
install(EXPORT PresenceTargets NAMESPACE Presence:: DESTINATION ${presence_cmake_dir} COMPONENT dev)
install(EXPORT PresenceStaticTargets NAMESPACE Presence:: DESTINATION ${presence_cmake_dir} COMPONENT dev)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/PresenceConfig.cmake.in
  ${PROJECT_BINARY_DIR}/PresenceConfig.cmake INSTALL_DESTINATION ${presence_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/PresenceConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/PresenceConfig.cmake ${PROJECT_BINARY_DIR}/PresenceConfigVersion.cmake
        DESTINATION ${presence_cmake_dir} COMPONENT dev)

# The .pc files find the prefix from their own place (pcfiledir), as the CMake package does.
file(RELATIVE_PATH pc_prefix ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" pc_prefix "${pc_prefix}")
foreach(pc_name server client)
  if(pc_name STREQUAL "server")
    set(pc_description "Presence server library: channel presence over WebSocket")
    set(pc_libs_private "-lboost_json -lssl -lcrypto -lhiredis -pthread")
  else()
    set(pc_description "Presence client library: channel presence over WebSocket")
    set(pc_libs_private "-lboost_json -lssl -lcrypto -pthread")
  endif()
  configure_file(${CMAKE_CURRENT_LIST_DIR}/presence.pc.in ${PROJECT_BINARY_DIR}/presence-${pc_name}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/presence-${pc_name}.pc DESTINATION ${presence_pkgconfig_dir}
          COMPONENT dev)
endforeach()
