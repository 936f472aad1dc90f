# Harness test suites (cmocka). Included from tests/CMakeLists.txt.
ccb_add_cmocka_test(test_stats SOURCES test_stats.c LIBS ccb_core)
