# Harness test suites (cmocka). Included from tests/CMakeLists.txt.
ccb_add_cmocka_test(test_stats SOURCES test_stats.c LIBS ccb_core)
# Scenario runner: the answer checks, the runner driven as a child, and a build against a
# copied (then deliberately broken) tracker tree.
if(CCBENCH_BUILD_SCENARIOS)
  ccb_add_cmocka_test(test_check SOURCES test_check.c LIBS ccb_scenario_core)
  ccb_add_cmocka_test(test_histogram SOURCES test_histogram.c LIBS ccb_scenario_core)
  ccb_add_cmocka_test(test_scenarios SOURCES test_scenarios.c
    LIBS ccb_scenario_core ccb_common PkgConfig::CJSON LABELS tsan)
  add_dependencies(test_scenarios ccbench-scenario)
  if(CCBENCH_SELFTEST_SCENARIOS)
    target_compile_definitions(test_scenarios PRIVATE CCBENCH_SELFTEST_SCENARIOS=1)
  endif()
  add_test(NAME test_runner_copied_tracker
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/test_runner_copied_tracker.sh
            ${PROJECT_SOURCE_DIR} ${CMAKE_COMMAND} ${CMAKE_C_COMPILER})
  set_tests_properties(test_runner_copied_tracker PROPERTIES TIMEOUT 600 LABELS slow)
endif()
# The driver (issue 3): result files, and the ccbench binary driven as a user would.
ccb_add_cmocka_test(test_results SOURCES test_results.c LIBS ccb_core LABELS unit)
# Integration: drives build/bin/ccbench with the runner built beside it (label "cli", not
# "tsan": it measures real processes and is not a threading test).
ccb_add_cmocka_test(test_cli SOURCES test_cli.c cli_driver.c tinyfs.c LIBS ccb_core LABELS cli)
add_dependencies(test_cli ccbench ccbench-spawn)
if(TARGET ccbench-scenario)
  add_dependencies(test_cli ccbench-scenario ccbench-floor)
endif()
if(CCBENCH_SELFTEST_SCENARIOS)
  target_compile_definitions(test_cli PRIVATE CCBENCH_SELFTEST_SCENARIOS=1)
endif()
# compare (issue 5): the statistics and verdict assembly, then the command against
# throw-away repositories (label "slow": it builds two revisions, once, in a shared cache).
ccb_add_cmocka_test(test_compare_stats SOURCES test_compare_stats.c LIBS ccb_core LABELS unit)
ccb_add_cmocka_test(test_compare SOURCES test_compare.c cli_driver.c LIBS ccb_core LABELS slow)
add_dependencies(test_compare ccbench ccbench-spawn)
if(TARGET ccbench-scenario)
  add_dependencies(test_compare ccbench-scenario ccbench-floor)
endif()
# plot, history, notes and exports (issue 6): the ccbench binary and gnuplot, as a user runs them.
ccb_add_cmocka_test(test_plot SOURCES test_plot.c cli_driver.c LIBS ccb_core LABELS cli)
add_dependencies(test_plot ccbench ccbench-spawn)
if(TARGET ccbench-scenario)
  add_dependencies(test_plot ccbench-scenario ccbench-floor)
endif()
# scripts/ci-gate on two result files (CCBENCH_BIN: nothing built, nothing measured): exit
# statuses passed through, the markdown report on stdout and in $GITHUB_STEP_SUMMARY.
ccb_add_cmocka_test(test_ci_gate SOURCES test_ci_gate.c cli_driver.c LIBS ccb_core LABELS cli)
add_dependencies(test_ci_gate ccbench)
