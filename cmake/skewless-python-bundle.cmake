# Run at install time by skewless_add_python_module (skewless-python.cmake): copies every
# shared library the module needs, directly or through another, into the directory the
# module is installed in, under its soname, so the wheel carries them. Libraries every
# manylinux system has (glibc's, libstdc++, libgcc_s) and libpython stay outside.
#   in: _skewless_module (the built module), _skewless_dir (where it is installed)
file(GET_RUNTIME_DEPENDENCIES
  LIBRARIES "${_skewless_module}"
  RESOLVED_DEPENDENCIES_VAR _skewless_deps
  UNRESOLVED_DEPENDENCIES_VAR _skewless_missing
  PRE_EXCLUDE_REGEXES
    [=[^(ld-linux|linux-vdso|libc|libm|libdl|librt|libpthread|libutil|libresolv|libstdc\+\+|libgcc_s|libpython)[.-]]=])
if(_skewless_missing)
  message(FATAL_ERROR "skewless: ${_skewless_module} needs ${_skewless_missing}, which was not found "
                      "to put beside it; install it or build with NO_BUNDLE")
endif()
foreach(_skewless_dep IN LISTS _skewless_deps)
  get_filename_component(_skewless_real "${_skewless_dep}" REALPATH)
  get_filename_component(_skewless_soname "${_skewless_dep}" NAME)
  message(STATUS "Bundling: ${_skewless_dir}/${_skewless_soname}")
  configure_file("${_skewless_real}" "${_skewless_dir}/${_skewless_soname}" COPYONLY)
endforeach()
