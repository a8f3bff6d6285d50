# skewless_add_python_module(<name> <source>... [NO_STUB] [NO_BUNDLE] [INSTALL_DIR <dir>])
#
# A Python extension module <name> built with nanobind from C++ sources that call
# skewless::python::define_module (include/skewless/python/module.hpp), linked to
# skewless::skewless. Beside it, a typing stub <name>.pyi made by nanobind's stubgen
# (unless NO_STUB). With INSTALL_DIR, both are installed there — "." in a
# scikit-build-core project puts them at the root of the wheel (examples/python).
#
# An installed module is self-contained (unless NO_BUNDLE): every shared library it
# needs, directly or through another, beyond what a manylinux wheel may assume (glibc,
# libstdc++, libgcc_s) is copied beside it under its soname — Debian's Abseil is 35
# libabsl_*.so — and the module finds them there first: its DT_RPATH is $ORIGIN, and a
# DT_RPATH, unlike a DT_RUNPATH, is also searched for the libraries those libraries
# need. So a wheel imports on a machine without Abseil (tests/python/pip_install.sh
# checks it with the system's copies hidden).
#
# Finds Python (Interpreter, Development.Module) and nanobind (`python -m nanobind
# --cmake_dir`) on first use; set Python_EXECUTABLE to choose the interpreter.
# The module is built with -O2/-O3 as the build type says, not nanobind's default -Os.

set(_SKEWLESS_PYTHON_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}" CACHE INTERNAL "where skewless-python-bundle.cmake is")

macro(skewless_add_python_module name)
  if(NOT COMMAND nanobind_add_module)
    if(NOT Python_FOUND)
      find_package(Python 3.9 REQUIRED COMPONENTS Interpreter Development.Module)
    endif()
    execute_process(COMMAND "${Python_EXECUTABLE}" -m nanobind --cmake_dir
                    OUTPUT_VARIABLE _skewless_nanobind_dir OUTPUT_STRIP_TRAILING_WHITESPACE
                    RESULT_VARIABLE _skewless_nanobind_status ERROR_QUIET)
    if(NOT _skewless_nanobind_status EQUAL 0)
      message(FATAL_ERROR "skewless_add_python_module: nanobind is not installed for ${Python_EXECUTABLE} "
                          "(pip install nanobind, or list it in pyproject.toml's build-system.requires)")
    endif()
    find_package(nanobind CONFIG REQUIRED PATHS "${_skewless_nanobind_dir}" NO_DEFAULT_PATH)
  endif()
  _skewless_python_module(${name} ${ARGN})
endmacro()

function(_skewless_python_module name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "NO_STUB;NO_BUNDLE" "INSTALL_DIR" "")
  if(NOT ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "skewless_add_python_module(${name}): no source files")
  endif()
  nanobind_add_module(${name} NB_STATIC NOMINSIZE ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE skewless::skewless)
  if(NOT ARG_NO_STUB)
    nanobind_add_stub(${name}_stub MODULE ${name} OUTPUT "${CMAKE_CURRENT_BINARY_DIR}/${name}.pyi"
                      PYTHON_PATH $<TARGET_FILE_DIR:${name}> DEPENDS ${name})
  endif()
  if(DEFINED ARG_INSTALL_DIR)
    install(TARGETS ${name} LIBRARY DESTINATION "${ARG_INSTALL_DIR}")
    if(NOT ARG_NO_BUNDLE)
      set_target_properties(${name} PROPERTIES INSTALL_RPATH "$ORIGIN")
      target_link_options(${name} PRIVATE "LINKER:--disable-new-dtags")
      install(CODE "set(_skewless_module \"$<TARGET_FILE:${name}>\")
                    set(_skewless_dir \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${ARG_INSTALL_DIR}\")")
      install(SCRIPT "${_SKEWLESS_PYTHON_CMAKE_DIR}/skewless-python-bundle.cmake")
    endif()
    if(NOT ARG_NO_STUB)
      install(FILES "${CMAKE_CURRENT_BINARY_DIR}/${name}.pyi" DESTINATION "${ARG_INSTALL_DIR}")
    endif()
  endif()
endfunction()
