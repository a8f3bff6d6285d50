"""Conan 2 recipe for skewless, a header-only C++20 library.

The version is read from include/skewless/version.hpp (the one source of truth).
Dependency ranges include Debian 12's versions, so the recipe also works with a profile
that declares them as [platform_requires] (see ci/conan/debian12-system).
"""
import os
import re

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.cmake import CMake, CMakeDeps, CMakeToolchain, cmake_layout
from conan.tools.files import copy, load

required_conan_version = ">=2.0.9"


class SkewlessConan(ConanFile):
    name = "skewless"
    description = ("Training/serving-consistent ML features: one typed definition, a "
                   "batch and an online evaluator that agree to the bit.")
    license = "Apache-2.0"
    topics = ("machine-learning", "feature-engineering", "feature-store", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    # skewless/kafka/ (the skewless::kafka target): librdkafka and simdjson. Off by
    # default; the installed skewlessConfig.cmake offers skewless::kafka where both are
    # found and sets skewless_kafka_FOUND.
    options = {"with_kafka": [True, False]}
    default_options = {"with_kafka": False}
    exports_sources = "include/*", "CMakeLists.txt", "cmake/*", "LICENSE"
    no_copy_source = True

    def set_version(self):
        text = load(self, os.path.join(self.recipe_folder, "include", "skewless", "version.hpp"))
        parts = [re.search(rf"#define SKEWLESS_VERSION_{p} (\d+)", text).group(1)
                 for p in ("MAJOR", "MINOR", "PATCH")]
        self.version = ".".join(parts)

    def layout(self):
        cmake_layout(self)

    def requirements(self):
        # Headers of every dependency are part of skewless's public headers.
        self.requires("boost/[>=1.74.0 <2]", transitive_headers=True)        # Hana
        self.requires("range-v3/[>=0.12.0 <1]", transitive_headers=True)
        self.requires("eigen/[>=3.4.0 <4]", transitive_headers=True)
        self.requires("cereal/[>=1.3.2 <2]", transitive_headers=True)
        self.requires("abseil/[>=20220623.0]", transitive_headers=True, transitive_libs=True)
        if self.options.with_kafka:
            self.requires("librdkafka/[>=2.0.2 <3]", transitive_headers=True, transitive_libs=True)
            self.requires("simdjson/[>=3.0.1 <4]", transitive_headers=True, transitive_libs=True)

    def build_requirements(self):
        self.test_requires("catch2/[>=2.13.0 <3]")

    def validate(self):
        check_min_cppstd(self, 20)

    def package_id(self):
        self.info.clear()

    def generate(self):
        tc = CMakeToolchain(self)
        tc.cache_variables["SKEWLESS_BUILD_TESTS"] = False
        tc.cache_variables["SKEWLESS_BUILD_EXAMPLES"] = False
        tc.cache_variables["SKEWLESS_BUILD_BENCH"] = False
        tc.cache_variables["SKEWLESS_INSTALL"] = True
        tc.generate()
        CMakeDeps(self).generate()

    def build(self):
        cmake = CMake(self)
        cmake.configure()

    def package(self):
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        cmake = CMake(self)
        cmake.install()

    def package_info(self):
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []
        # skewless installs its own skewlessConfig.cmake, which finds each dependency
        # with find_dependency (Boost, range-v3, Eigen3, cereal, absl, Threads): that
        # works both when CMakeDeps provides those packages (Conan Center) and when
        # the profile declares them as [platform_requires] (system packages, which have
        # no cpp_info for CMakeDeps to forward). CMakeToolchain puts builddirs on
        # CMAKE_PREFIX_PATH, so find_package(skewless CONFIG) finds it.
        self.cpp_info.set_property("cmake_find_mode", "none")
        self.cpp_info.builddirs = [os.path.join("share", "cmake", "skewless")]
        self.cpp_info.set_property("pkg_config_name", "skewless")
        # Bit-exact values whatever -march the consumer uses (see CMakeLists.txt).
        if self.settings.compiler in ("gcc", "clang", "apple-clang"):
            self.cpp_info.cxxflags = ["-ffp-contract=off"]
        if self.settings.os in ("Linux", "FreeBSD"):
            self.cpp_info.system_libs = ["pthread"]
