# SPDX-License-Identifier: Apache-2.0
# Debian packages of the components of cmake/install.cmake, by `cpack -G DEB` in the build tree:
#   presence-server  the tools (linked with the static libraries: nothing else of ours to
#                    install), the systemd unit of deploy/, not enabled, and the
#                    configuration it reads, /etc/presence/presence.toml (a conffile)
#   presence-dev     headers, shared and static libraries, CMake package, pkg-config files
# Their dependencies on Debian's libraries come from dpkg-shlibdeps (package dpkg-dev).
# The project's own identity, the one its commits carry; a distributor building packages of
# their own sets theirs.
set(PRESENCE_PACKAGE_MAINTAINER "Presence maintainers <maintainers@users.noreply.r-seed-1b2f4167.example>"
    CACHE STRING "Maintainer field of the Debian packages")

set(CPACK_PACKAGE_NAME presence)
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGE_CONTACT "${PRESENCE_PACKAGE_MAINTAINER}")
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL server dev)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# presence-dev carries shared libraries: a shlibs file for the packages built against
# them, and an ldconfig trigger.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)

set(CPACK_DEBIAN_SERVER_PACKAGE_NAME presence-server)
set(CPACK_DEBIAN_SERVER_PACKAGE_SECTION net)
# The summary line of both is the project's description; these follow it.
set(CPACK_COMPONENT_SERVER_DESCRIPTION
    "The server presence-server, the command-line client presence-cli, the token\n\
tool presence-token, an example systemd unit, presence-server.service (not\n\
enabled), and its configuration, /etc/presence/presence.toml.")
# The configuration is the administrator's: dpkg keeps their changes on upgrade and removes
# it on purge only.
file(WRITE ${PROJECT_BINARY_DIR}/debian/server/conffiles "/etc/presence/presence.toml\n")
set(CPACK_DEBIAN_SERVER_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/debian/server/conffiles)

set(CPACK_DEBIAN_DEV_PACKAGE_NAME presence-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# What linking the static archives needs; the shared libraries and headers need none of it.
set(CPACK_DEBIAN_DEV_PACKAGE_RECOMMENDS "libboost-json${Boost_VERSION_MAJOR}.${Boost_VERSION_MINOR}-dev, libssl-dev, libhiredis-dev, pkg-config")
set(CPACK_COMPONENT_DEV_DESCRIPTION
    "The server and client libraries: headers, shared and static libraries, the CMake\n\
package Presence (find_package(Presence CONFIG)) and the pkg-config files\n\
presence-server and presence-client.")

include(CPack)
