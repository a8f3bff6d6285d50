# Runs the [broker] tests of skewless_kafka_tests with the address of the broker that
# the kafka_broker fixture started in BROKER_DIR (tests/CMakeLists.txt).
file(READ "${BROKER_DIR}/bootstrap" _bootstrap)
string(STRIP "${_bootstrap}" _bootstrap)
set(ENV{SKEWLESS_KAFKA_BOOTSTRAP} "${_bootstrap}")
set(ENV{SKEWLESS_KAFKA_BROKER_DIR} "${BROKER_DIR}")  # for the test that restarts it
set(ENV{SKEWLESS_KAFKA_BROKER_SCRIPT} "${SCRIPT}")
execute_process(COMMAND "${TESTS}" "[broker]" RESULT_VARIABLE _status)
if(NOT _status EQUAL 0)
  message(FATAL_ERROR "the [broker] tests failed (${_status}) against ${_bootstrap}")
endif()
