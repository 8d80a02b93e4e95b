# Compiler settings shared by every target: warnings, sanitizers, ccache, fast linking.

find_program(SEALED_CCACHE ccache)
if(SEALED_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  # PCH and ccache get along only when ccache ignores the PCH's timestamps. The setting goes in
  # the launcher: an ENV{} set here reaches configure only, not the compiles ninja runs later.
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CMAKE_COMMAND} -E env
      CCACHE_SLOPPINESS=pch_defines,time_macros,include_file_mtime,include_file_ctime ${SEALED_CCACHE})
endif()

include(CheckLinkerFlag)
check_linker_flag(CXX "-fuse-ld=lld" SEALED_HAVE_LLD)
if(SEALED_HAVE_LLD)
  add_link_options(-fuse-ld=lld)
endif()

if(NOT SEALED_SANITIZE STREQUAL "none")
  # GCC 12 reports -Wmaybe-uninitialized inside Beast's parser only under sanitizer
  # instrumentation (a false positive); keep those builds' output readable.
  add_compile_options($<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
endif()
if(SEALED_SANITIZE STREQUAL "address")
  # -fno-sanitize=function under clang: see the fuzz branch below.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
                      $<$<CXX_COMPILER_ID:Clang>:-fno-sanitize=function>)
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
# Fuzz builds instrument everything for coverage (the fuzz targets link libFuzzer itself) and
# run under ASan+UBSan, so a bug anywhere a parser reaches is found.
if(SEALED_BUILD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "SEALED_BUILD_FUZZ needs clang (CXX=clang++)")
  endif()
  # -fno-sanitize=function: clang 14 cannot emit UBSan's function-type check for coroutine
  # frames ("Cannot represent a difference across sections").
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=function
                      -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# Warnings for our own targets only (third-party headers come in as system includes).
function(sealed_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic
                                           $<$<CXX_COMPILER_ID:GNU>:-Wshadow=local>
                                           -Wno-missing-field-initializers
                                           # GCC 12 false positive on Asio coroutine frames
                                           -Wno-mismatched-new-delete)
endfunction()
