# cmake -DROOT=<source dir> -DCLANG_FORMAT=<clang-format-19> -P check.cmake
# Fails, naming each file and line, where a C++ file of the project is not laid out as
# .clang-format says (scripts/format.sh applies it).
cmake_minimum_required(VERSION 3.20)
file(GLOB_RECURSE _files RELATIVE "${ROOT}"
     "${ROOT}/include/*.hpp" "${ROOT}/tests/*.hpp" "${ROOT}/tests/*.cpp" "${ROOT}/bench/*.hpp" "${ROOT}/bench/*.cpp"
     "${ROOT}/examples/*.hpp" "${ROOT}/examples/*.cpp")
list(FILTER _files EXCLUDE REGEX "^tests/layering/fixture/")
list(LENGTH _files _n)
execute_process(COMMAND "${CLANG_FORMAT}" --dry-run --Werror ${_files} WORKING_DIRECTORY "${ROOT}"
                RESULT_VARIABLE _rc ERROR_VARIABLE _err)
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "${_err}\nskewless: files above are not as .clang-format lays them out; run scripts/format.sh")
endif()
message(STATUS "skewless: ${_n} C++ files as .clang-format lays them out")
