# abhra_library(NAME
#   SRCS a.cc b.cc ...          library sources (headers need not be listed)
#   DEPS abhra_base re2 ...     public link dependencies
#   TESTS a_test.cc ...         gtest sources; built into one test binary NAME_test)
#   TEST_DEPS ...               extra link deps for the tests only
#   TEST_LABELS ...             ctest labels)
# Declares the static library NAME (alias abhra::NAME), includes the repository root so
# headers are included by path ("common/base/status.h"), and registers NAME_test with ctest.
set(ABHRA_WARNINGS -Wall -Wextra -Wno-unused-parameter)

function(abhra_compile_options target)
  target_compile_options(${target} PRIVATE ${ABHRA_WARNINGS})
  if(ABHRA_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(ABHRA_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

function(abhra_library NAME)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS;TESTS;TEST_DEPS;TEST_LABELS" ${ARGN})
  if(ARG_SRCS)
    add_library(${NAME} STATIC ${ARG_SRCS})
    target_include_directories(${NAME} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
    target_link_libraries(${NAME} PUBLIC ${ARG_DEPS})
    abhra_compile_options(${NAME})
  else()
    add_library(${NAME} INTERFACE)
    target_include_directories(${NAME} INTERFACE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
    target_link_libraries(${NAME} INTERFACE ${ARG_DEPS})
  endif()
  add_library(abhra::${NAME} ALIAS ${NAME})
  if(ABHRA_BUILD_TESTS AND ARG_TESTS)
    abhra_test(${NAME}_test SRCS ${ARG_TESTS} DEPS ${NAME} ${ARG_TEST_DEPS} LABELS ${ARG_TEST_LABELS})
  endif()
endfunction()

# abhra_test(NAME SRCS ... DEPS ... [LABELS ...] [TIMEOUT s]): a gtest binary under build/tests.
function(abhra_test NAME)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${NAME} ${ARG_SRCS})
  target_link_libraries(${NAME} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  target_include_directories(${NAME} PRIVATE ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  set_target_properties(${NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests)
  abhra_compile_options(${NAME})
  add_test(NAME ${NAME} COMMAND ${NAME} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${NAME} PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "unit;${ARG_LABELS}")
endfunction()

# abhra_binary(NAME SRCS ... DEPS ...): a program under build/bin.
function(abhra_binary NAME)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${NAME} ${ARG_SRCS})
  target_link_libraries(${NAME} PRIVATE ${ARG_DEPS})
  abhra_compile_options(${NAME})
endfunction()

# Adds every immediate subdirectory of the current source dir that has a CMakeLists.txt, so
# new components need no edit of their parent's CMakeLists.txt.
function(abhra_add_subdirectories)
  file(GLOB children LIST_DIRECTORIES true RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT children)
  foreach(child ${children})
    if(IS_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/${child} AND EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${child}/CMakeLists.txt)
      add_subdirectory(${child})
    endif()
  endforeach()
endfunction()
