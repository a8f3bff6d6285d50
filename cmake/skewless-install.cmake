include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

install(DIRECTORY include/skewless DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS skewless EXPORT skewlessTargets)
set(SKEWLESS_CMAKE_DIR ${CMAKE_INSTALL_DATADIR}/cmake/skewless)
install(EXPORT skewlessTargets NAMESPACE skewless:: DESTINATION ${SKEWLESS_CMAKE_DIR})
configure_package_config_file(cmake/skewlessConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/skewlessConfig.cmake
  INSTALL_DESTINATION ${SKEWLESS_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/skewlessConfigVersion.cmake
  COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES
  ${CMAKE_CURRENT_BINARY_DIR}/skewlessConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/skewlessConfigVersion.cmake
  cmake/skewless-dependencies.cmake
  cmake/skewless-python.cmake
  cmake/skewless-python-bundle.cmake
  cmake/skewless-kafka.cmake
  DESTINATION ${SKEWLESS_CMAKE_DIR})

# pkg-config, for consumers without CMake. Header-only, so arch-independent: share/.
configure_file(cmake/skewless.pc.in ${CMAKE_CURRENT_BINARY_DIR}/skewless.pc @ONLY)
configure_file(cmake/skewless-kafka.pc.in ${CMAKE_CURRENT_BINARY_DIR}/skewless-kafka.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/skewless.pc ${CMAKE_CURRENT_BINARY_DIR}/skewless-kafka.pc
        DESTINATION ${CMAKE_INSTALL_DATADIR}/pkgconfig)
