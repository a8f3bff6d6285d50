# Runs TESTS with ARGS (default: the [broker] tests of skewless_kafka_tests) with the
# address of the broker that the kafka_broker fixture started in BROKER_DIR
# (tests/CMakeLists.txt) in SKEWLESS_KAFKA_BOOTSTRAP.
file(READ "${BROKER_DIR}/bootstrap" _bootstrap)
string(STRIP "${_bootstrap}" _bootstrap)
set(ENV{SKEWLESS_KAFKA_BOOTSTRAP} "${_bootstrap}")
set(ENV{SKEWLESS_KAFKA_BROKER_DIR} "${BROKER_DIR}")  # for the test that restarts it
set(ENV{SKEWLESS_KAFKA_BROKER_SCRIPT} "${SCRIPT}")
if(NOT DEFINED ARGS)
  set(ARGS "[broker]")
endif()
execute_process(COMMAND "${TESTS}" ${ARGS} RESULT_VARIABLE _status)
if(NOT _status EQUAL 0)
  message(FATAL_ERROR "${TESTS} ${ARGS} failed (${_status}) against ${_bootstrap}")
endif()
