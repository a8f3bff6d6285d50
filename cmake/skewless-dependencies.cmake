# The dependencies of skewless::skewless, found the same way here and in the installed
# skewlessConfig.cmake. range-v3 and absl want exact versions when one is given, so
# none is passed for them.
include(CMakeFindDependencyMacro)
include(GNUInstallDirs)
find_dependency(Boost 1.74 CONFIG)          # Boost::headers, for Hana
find_dependency(range-v3 CONFIG)
find_dependency(Eigen3 3.4 CONFIG)
find_dependency(cereal CONFIG)
find_dependency(absl CONFIG)
