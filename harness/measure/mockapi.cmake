# The mock CodeCarbon API, a target of its own: the tracker's API tests link it (with only
# util/ under it), and tests/tracker/ includes this file when the harness is not built.
add_library(ccb_mockapi STATIC ${CMAKE_CURRENT_LIST_DIR}/mockapi.c)
target_include_directories(ccb_mockapi PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_LIST_DIR}>)
target_link_libraries(ccb_mockapi
  PUBLIC ccb_util PkgConfig::CJSON PkgConfig::MHD Threads::Threads m PRIVATE ccb_warnings)
target_compile_definitions(ccb_mockapi PUBLIC CCBENCH_HAVE_MOCKAPI=1)
