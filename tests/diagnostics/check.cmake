# Runs one must-not-compile case: the compiler must fail, its output must hold the
# intended "skewless: ..." message, and exactly EXPECTED_ERRORS lines with "error:" (one
# unless the case says why GCC cannot stop at one), so misuse never ends in a cascade.
#   cmake -DCOMPILER=... -DSOURCE=... -DEXPECT_FILE=... -DINCLUDES=a|b -DEXPECTED_ERRORS=1 -P check.cmake
string(REPLACE "|" ";" _includes "${INCLUDES}")
set(_args -std=c++20 -fsyntax-only -DSKEWLESS_DIAG_FAIL)
foreach(_dir IN LISTS _includes)
  list(APPEND _args "-I${_dir}")
endforeach()
execute_process(COMMAND ${COMPILER} ${_args} ${SOURCE}
  RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _err)
set(_all "${_out}${_err}")
if(_rc EQUAL 0)
  message(FATAL_ERROR "the misuse compiled: ${SOURCE}")
endif()
file(READ "${EXPECT_FILE}" _message)
string(STRIP "${_message}" _message)
if(NOT _all MATCHES "skewless: [^\n]*${_message}")
  message(FATAL_ERROR "the compiler's output does not hold the message \"${_message}\":\n${_all}")
endif()
string(REPLACE ";" "," _lines "${_all}")  # a ';' in a message would split the list
string(REGEX MATCHALL "[^\n]*error:[^\n]*" _errors "${_lines}")
list(LENGTH _errors _count)
if(NOT _count EQUAL EXPECTED_ERRORS)
  message(FATAL_ERROR "expected ${EXPECTED_ERRORS} error line(s), got ${_count}:\n${_all}")
endif()
message(STATUS "refused with the intended message and ${_count} error line(s)")
