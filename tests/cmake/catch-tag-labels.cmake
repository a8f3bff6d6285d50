# Ctest labels from Catch tags: `ctest -L conformance` runs the tests tagged
# [conformance]. catch_discover_tests (Catch2 2.13) names the tests but gives them no
# labels; this adds, after its discovery, a ctest-time script that asks the executable
# which tests carry each tag (--list-tags, then --list-test-names-only "[tag]") and sets
# every test's LABELS to its tags.
#
#   skewless_catch_tag_labels(<target>)   # after catch_discover_tests(<target>)
function(skewless_catch_tag_labels target)
  set(script "${CMAKE_CURRENT_BINARY_DIR}/${target}_tag_labels.cmake")
  file(GENERATE OUTPUT "${script}" CONTENT "
set(_exe \"$<TARGET_FILE:${target}>\")
if(EXISTS \"\${_exe}\")
  execute_process(COMMAND \"\${_exe}\" --list-tags OUTPUT_VARIABLE _tags RESULT_VARIABLE _rc)
  string(REGEX MATCHALL \"\\\\[[^]]+\\\\]\" _tags \"\${_tags}\")
  set(_all)
  foreach(_tag IN LISTS _tags)
    string(REGEX REPLACE \"^\\\\[(.*)\\\\]$\" \"\\\\1\" _label \"\${_tag}\")
    execute_process(COMMAND \"\${_exe}\" --list-test-names-only \"\${_tag}\" OUTPUT_VARIABLE _names)
    string(REPLACE \"\\n\" \";\" _names \"\${_names}\")
    foreach(_name IN LISTS _names)
      if(_name STREQUAL \"\")
        continue()
      endif()
      string(MD5 _id \"\${_name}\")
      if(NOT DEFINED _labels_\${_id})
        list(APPEND _all \"\${_id}\")
        set(_name_\${_id} \"\${_name}\")
      endif()
      list(APPEND _labels_\${_id} \"\${_label}\")
    endforeach()
  endforeach()
  foreach(_id IN LISTS _all)
    set_tests_properties(\"\${_name_\${_id}}\" PROPERTIES LABELS \"\${_labels_\${_id}}\")
  endforeach()
endif()
")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES "${script}")
endfunction()
