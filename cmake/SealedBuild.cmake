# Compiler settings shared by every target: warnings, sanitizers, ccache, fast linking.

find_program(SEALED_CCACHE ccache)
if(SEALED_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  # The settings go in the launcher: an ENV{} set here reaches configure only, not the compiles
  # ninja runs later. PCH and ccache get along only when ccache ignores the PCH's timestamps.
  # BASEDIR and NOHASHDIR make a compile in another checkout of the tree (CI's fresh clone) the
  # same compile: paths below the source root are hashed relative, the working directory not at
  # all (its only trace is DW_AT_comp_dir in the debug info).
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
      CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime
      CCACHE_BASEDIR=${PROJECT_SOURCE_DIR} CCACHE_NOHASHDIR=1 ${SEALED_CCACHE})
endif()

include(CheckLinkerFlag)
check_linker_flag(CXX "-fuse-ld=lld" SEALED_HAVE_LLD)
if(SEALED_HAVE_LLD)
  add_link_options(-fuse-ld=lld)
endif()

set(SEALED_SANITIZE_OPTIMIZE "-O0" CACHE STRING "Optimization of ASan + UBSan builds (empty: the build type's)")

# Fuzz builds are ASan + UBSan builds whose code is also instrumented for coverage, so one
# clang build serves both the sanitizer suite and the libFuzzer targets (scripts/test --asan,
# scripts/fuzz). The tests run with the coverage counters in; nothing reads them.
if(SEALED_BUILD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SEALED_BUILD_FUZZ needs clang (CXX=clang++)")
  endif()
  if(SEALED_SANITIZE STREQUAL "none")
    set(SEALED_SANITIZE address CACHE STRING "" FORCE)
  elseif(NOT SEALED_SANITIZE STREQUAL "address")
    message(FATAL_ERROR "SEALED_BUILD_FUZZ runs under ASan + UBSan (SEALED_SANITIZE=address)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(NOT SEALED_SANITIZE STREQUAL "none")
  # GCC 12 reports -Wmaybe-uninitialized inside Beast's parser only under sanitizer
  # instrumentation (a false positive); keep those builds' output readable.
  add_compile_options($<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
endif()
if(SEALED_SANITIZE STREQUAL "address")
  # -fno-sanitize=function: clang 14 cannot emit UBSan's function-type check for coroutine
  # frames ("Cannot represent a difference across sections").
  # -O0 (after the build type's -O2, so it wins): every check is still there, and clang builds
  # the instrumented tree in about half the time; the suite itself is I/O-bound
  # (docs/building.md has both figures).
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
                      $<$<CXX_COMPILER_ID:Clang>:-fno-sanitize=function> ${SEALED_SANITIZE_OPTIMIZE})
  add_link_options(-fsanitize=address,undefined)
elseif(SEALED_SANITIZE STREQUAL "thread")
  # Asio's std::atomic reference counts order the last decrement with an acquire fence, and TSan
  # does not model fences, so it reports the delete that follows as a race (a false positive:
  # redis_client.pipelines_200_*). Without std::atomic Asio counts with acquire-release
  # read-modify-writes, which TSan does follow; no race report is suppressed.
  add_compile_definitions(BOOST_ASIO_DISABLE_STD_ATOMIC)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT SEALED_SANITIZE STREQUAL "none")
  message(FATAL_ERROR "SEALED_SANITIZE must be none, address or thread")
endif()

# Warnings for our own targets only (third-party headers come in as system includes).
function(sealed_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic
                                           $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>
                                           -Wno-missing-field-initializers
                                           # GCC 12 false positive on Asio coroutine frames
                                           -Wno-mismatched-new-delete)
endfunction()
