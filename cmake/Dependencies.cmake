# Finds every external dependency as an imported target. A missing one stops configure
# with the Debian package that provides it, so the fix is one copy-paste away.
find_package(PkgConfig QUIET)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR "pkg-config not found: apt-get install pkg-config (or run ./scripts/deps)")
endif()

macro(ccb_require_pkg prefix module debpkg)
  pkg_check_modules(${prefix} QUIET IMPORTED_TARGET ${module})
  if(NOT ${prefix}_FOUND)
    message(FATAL_ERROR "${module} not found: apt-get install ${debpkg} (or run ./scripts/deps)")
  endif()
endmacro()

find_package(Threads REQUIRED)
find_package(CURL QUIET)
if(NOT CURL_FOUND)
  message(FATAL_ERROR "libcurl not found: apt-get install libcurl4-openssl-dev (or run ./scripts/deps)")
endif()
ccb_require_pkg(CJSON libcjson libcjson-dev)
if(CCBENCH_BUILD_HARNESS)
  ccb_require_pkg(LIBGIT2 libgit2 libgit2-dev)
  ccb_require_pkg(MHD libmicrohttpd libmicrohttpd-dev)
endif()
