# strata_add_plugin(<target> KIND endpoint|backend NAME <name> SOURCES ...
#                   [LIBS ...] [OUTPUT_DIR <dir>] [NO_INSTALL])
#
# Builds one plugin module the way the loader expects it: a MODULE library named
# strata-<kind>-<name>.so, hidden visibility, and a version script that exports exactly the two
# ABI-gate symbols (strata_plugin_info, strata_plugin_create), linked against
# Strata::strata_core.
#
# This one file serves both the source tree (included by the top-level CMakeLists.txt) and
# the installed SDK (included by StrataConfig.cmake), so that a plugin built outside the tree
# gets exactly the flags of the in-tree ones.
#
# Output: OUTPUT_DIR if given; else STRATA_PLUGIN_DIR when that is set (the source tree sets
# it to <build>/lib/strata/plugins, the server's default search path there); else CMake's
# default library output directory.
# Install: unless NO_INSTALL, `cmake --install` puts the module into
# <prefix>/lib/strata/plugins, where an installed strata-server in the same prefix finds it.
set(STRATA_EXPORT_MAP ${CMAKE_CURRENT_LIST_DIR}/plugin_exports.map CACHE INTERNAL "")
set(STRATA_PLUGIN_INSTALL_DIR lib/strata/plugins CACHE INTERNAL "")

function(strata_add_plugin target)
  cmake_parse_arguments(P "NO_INSTALL" "KIND;NAME;OUTPUT_DIR" "SOURCES;LIBS" ${ARGN})
  if(NOT P_KIND OR NOT P_NAME)
    message(FATAL_ERROR "strata_add_plugin(${target}) needs KIND and NAME")
  endif()
  if(NOT P_KIND MATCHES "^(endpoint|backend)$")
    message(FATAL_ERROR "strata_add_plugin(${target}): KIND must be endpoint or backend, not '${P_KIND}'")
  endif()
  if(NOT P_NAME MATCHES "^[A-Za-z0-9_-]+$")
    message(FATAL_ERROR "strata_add_plugin(${target}): NAME '${P_NAME}' may hold only letters, digits, _ and -")
  endif()
  add_library(${target} MODULE ${P_SOURCES})
  target_link_libraries(${target} PRIVATE Strata::strata_core ${P_LIBS})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    SUFFIX ".so"
    OUTPUT_NAME "strata-${P_KIND}-${P_NAME}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LINK_DEPENDS ${STRATA_EXPORT_MAP})
  if(P_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIR})
  elseif(STRATA_PLUGIN_DIR)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY ${STRATA_PLUGIN_DIR})
  endif()
  # In the source tree, tests depend on this target so that `ctest` always sees fresh plugins.
  if(TARGET strata_all_plugins AND NOT P_OUTPUT_DIR)
    add_dependencies(strata_all_plugins ${target})
  endif()
  target_link_options(${target} PRIVATE
    "-Wl,--version-script=${STRATA_EXPORT_MAP}" "-Wl,--no-undefined")
  if(NOT P_NO_INSTALL)
    install(TARGETS ${target} LIBRARY DESTINATION ${STRATA_PLUGIN_INSTALL_DIR})
  endif()
endfunction()
