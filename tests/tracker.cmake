# Tracker test suites (cmocka). Included from tests/CMakeLists.txt.

# Shared helpers: temp dirs, fake sysfs/procfs trees, assert_cct_ok. The suites link the static
# library, so they may call the internal functions of tracker/src/internal.h.
add_library(cct_test_fixtures STATIC tracker_fixtures.c tinyfs.c)
target_include_directories(cct_test_fixtures
  PUBLIC ${CMAKE_CURRENT_SOURCE_DIR} ${CCBENCH_TRACKER_DIR}/src)
target_link_libraries(cct_test_fixtures PUBLIC cctracker_static PkgConfig::CMOCKA
  PRIVATE ccb_warnings)

# A fake libnvidia-ml (CCT_NVML_LIBRARY) whose answers the tests control.
add_library(fake_nvml SHARED fake_nvml.c)
target_link_libraries(fake_nvml PRIVATE ccb_warnings)
set(CCT_FAKE_NVML_ENV "FAKE_NVML_LIBRARY=$<TARGET_FILE:fake_nvml>")

function(cct_add_tracker_test name)
  ccb_add_cmocka_test(${name} SOURCES ${name}.c LIBS cct_test_fixtures cctracker_static ${ARGN})
  target_include_directories(${name} PRIVATE ${CCBENCH_TRACKER_DIR}/src)
endfunction()

cct_add_tracker_test(test_rapl)
cct_add_tracker_test(test_cpuload)
cct_add_tracker_test(test_nvml ENV ${CCT_FAKE_NVML_ENV})
add_dependencies(test_nvml fake_nvml)
cct_add_tracker_test(test_emissions ENV ${CCT_FAKE_NVML_ENV})
add_dependencies(test_emissions fake_nvml)
cct_add_tracker_test(test_csv m LABELS tsan) # m: fesetround
cct_add_tracker_test(test_tracker LABELS tsan)
cct_add_tracker_test(test_sampler LABELS tsan)
# Its own executable: nothing else in the process may map libcurl, libssl or libcrypto.
cct_add_tracker_test(test_api_loader)

# cmake --install into a temp prefix, then an outside program built with pkg-config.
add_test(NAME test_install
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_install.sh ${CMAKE_BINARY_DIR})
set_tests_properties(test_install PROPERTIES LABELS slow TIMEOUT 300)

# A plain (unsanitized) tracker build and a probe program under valgrind; skipped (77) when
# valgrind is not installed.
add_test(NAME test_valgrind
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_valgrind.sh ${PROJECT_SOURCE_DIR})
set_tests_properties(test_valgrind PROPERTIES LABELS slow TIMEOUT 600 SKIP_RETURN_CODE 77)

# The tracker's API output against the real mock API server. The mock is compiled in
# directly (not through ccb_core) so this suite builds with the harness off.
if(NOT TARGET PkgConfig::MHD)
  ccb_require_pkg(MHD libmicrohttpd libmicrohttpd-dev)
endif()
ccb_add_cmocka_test(test_api
  SOURCES test_api.c ${PROJECT_SOURCE_DIR}/harness/mockapi.c ${PROJECT_SOURCE_DIR}/harness/error.c
          ${CCBENCH_TRACKER_DIR}/src/api/http.c
  LIBS cct_test_fixtures cctracker_static PkgConfig::MHD PkgConfig::CJSON CURL::libcurl
  LABELS tsan
  ENV CCT_API_MODULE=$<TARGET_FILE:cctracker_api>)
target_include_directories(test_api PRIVATE ${PROJECT_SOURCE_DIR}/harness
  ${CCBENCH_TRACKER_DIR}/src/api)
add_dependencies(test_api cctracker_api)
