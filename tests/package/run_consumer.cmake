# Builds and runs one packaging consumer from scratch, as a user would:
#   cmake -DMODE=find_package|add_subdirectory|pkg_config -DSKEWLESS_SOURCE_DIR=...
#         -DSKEWLESS_BUILD_DIR=... -DWORK_DIR=... -DCXX=... -DGENERATOR=... -P run_consumer.cmake
cmake_minimum_required(VERSION 3.20)
set(here ${CMAKE_CURRENT_LIST_DIR})
file(REMOVE_RECURSE ${WORK_DIR})
file(MAKE_DIRECTORY ${WORK_DIR})

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    string(REPLACE ";" " " cmd "${ARGN}")
    message(FATAL_ERROR "failed (${rc}): ${cmd}")
  endif()
endfunction()

if(MODE STREQUAL "find_package" OR MODE STREQUAL "pkg_config")
  run(${CMAKE_COMMAND} --install ${SKEWLESS_BUILD_DIR} --prefix ${WORK_DIR}/prefix)
endif()

if(MODE STREQUAL "find_package")
  run(${CMAKE_COMMAND} -S ${here}/find_package -B ${WORK_DIR}/build -G ${GENERATOR}
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
  run(${WORK_DIR}/build/consumer)
  if(EXPECT_KAFKA)
    run(${WORK_DIR}/build/kafka_consumer)
  endif()
elseif(MODE STREQUAL "add_subdirectory")
  run(${CMAKE_COMMAND} -S ${here}/add_subdirectory -B ${WORK_DIR}/build -G ${GENERATOR}
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX} -DSKEWLESS_SOURCE_DIR=${SKEWLESS_SOURCE_DIR})
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
  run(${WORK_DIR}/build/consumer)
elseif(MODE STREQUAL "pkg_config")
  execute_process(
    COMMAND ${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${WORK_DIR}/prefix/share/pkgconfig
            pkg-config --cflags --libs skewless
    OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config --cflags --libs skewless failed")
  endif()
  message(STATUS "pkg-config --cflags --libs skewless: ${flags}")
  separate_arguments(flags UNIX_COMMAND "${flags}")
  run(${CXX} -std=c++20 -O2 ${here}/consumer.cpp ${flags} -o ${WORK_DIR}/consumer)
  run(${WORK_DIR}/consumer)
else()
  message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()
