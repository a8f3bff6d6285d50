# The optional skewless::kafka target: skewless/kafka/ (Kafka ingestion on librdkafka,
# message decoders on simdjson). Offered only where both are found — Debian 12:
# librdkafka-dev (pkg-config rdkafka++) and libsimdjson-dev (CMake package simdjson);
# skewless::skewless never needs them. SKEWLESS_KAFKA: AUTO (offer it if found), ON
# (fail without it), OFF. Used here and by the installed skewlessConfig.cmake.
if(NOT DEFINED SKEWLESS_KAFKA)
  set(SKEWLESS_KAFKA AUTO)
endif()
set(SKEWLESS_KAFKA_FOUND FALSE)
if(NOT SKEWLESS_KAFKA STREQUAL "OFF" AND NOT TARGET skewless::kafka)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(SKEWLESS_RDKAFKA QUIET IMPORTED_TARGET GLOBAL rdkafka rdkafka++)
  endif()
  find_package(simdjson CONFIG QUIET)
  if(SKEWLESS_RDKAFKA_FOUND AND TARGET simdjson::simdjson AND TARGET skewless::skewless)
    get_target_property(_skewless_simdjson_global simdjson::simdjson IMPORTED_GLOBAL)
    if(NOT _skewless_simdjson_global)
      set_target_properties(simdjson::simdjson PROPERTIES IMPORTED_GLOBAL TRUE)
    endif()
    add_library(skewless_kafka INTERFACE IMPORTED GLOBAL)
    target_link_libraries(skewless_kafka INTERFACE skewless::skewless PkgConfig::SKEWLESS_RDKAFKA simdjson::simdjson)
    add_library(skewless::kafka ALIAS skewless_kafka)
    set(SKEWLESS_KAFKA_FOUND TRUE)
  elseif(SKEWLESS_KAFKA STREQUAL "ON")
    message(FATAL_ERROR "skewless: SKEWLESS_KAFKA=ON but librdkafka (rdkafka++, found: ${SKEWLESS_RDKAFKA_FOUND}) "
                        "or simdjson is missing; on Debian 12: apt install librdkafka-dev libsimdjson-dev")
  endif()
elseif(TARGET skewless::kafka)
  set(SKEWLESS_KAFKA_FOUND TRUE)
endif()
