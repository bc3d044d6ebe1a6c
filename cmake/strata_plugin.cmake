# strata_add_plugin(<target> KIND endpoint|backend NAME <name> SOURCES ... [LIBS ...])
#
# Builds one plugin module the way the loader expects it: a MODULE library named
# strata-<kind>-<name>.so in the build's plugins/ directory, hidden visibility, and a version
# script that exports exactly the two ABI-gate symbols (strata_plugin_info, strata_plugin_create).
set(STRATA_EXPORT_MAP ${CMAKE_CURRENT_LIST_DIR}/plugin_exports.map CACHE INTERNAL "")

function(strata_add_plugin target)
  cmake_parse_arguments(P "" "KIND;NAME;OUTPUT_DIR" "SOURCES;LIBS" ${ARGN})
  if(NOT P_KIND OR NOT P_NAME)
    message(FATAL_ERROR "strata_add_plugin(${target}) needs KIND and NAME")
  endif()
  if(NOT P_OUTPUT_DIR)
    set(P_OUTPUT_DIR ${STRATA_PLUGIN_DIR})
  endif()
  add_library(${target} MODULE ${P_SOURCES})
  target_link_libraries(${target} PRIVATE strata_core ${P_LIBS})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "strata-${P_KIND}-${P_NAME}"
    LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIR}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    LINK_DEPENDS ${STRATA_EXPORT_MAP})
  if(NOT P_OUTPUT_DIR STREQUAL STRATA_PLUGIN_DIR)
  else()
    add_dependencies(strata_all_plugins ${target})
  endif()
  target_link_options(${target} PRIVATE
    "-Wl,--version-script=${STRATA_EXPORT_MAP}" "-Wl,--no-undefined")
endfunction()
