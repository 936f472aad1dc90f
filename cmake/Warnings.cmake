# Warnings are an interface target linked PRIVATE by each of our targets, so they never
# leak into a consumer's build through cctracker.pc or exported targets.
add_library(ccb_warnings INTERFACE)
target_compile_options(ccb_warnings INTERFACE -Wall -Wextra -Werror -Wshadow
  -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Wno-unused-parameter)
target_compile_definitions(ccb_warnings INTERFACE _GNU_SOURCE)
