# cria_module(<path under src> SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
#
# One static library per folder of src/. A module's headers are included as
# "<path>/<file>.h". Each module sees only its own folder and the folders of the
# modules it links (through a per-module include directory holding one symlink),
# so including a header of a module it does not depend on fails the build.

function(cria_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                                           -Wnon-virtual-dtor -Wimplicit-fallthrough)
  # GCC 12 reports false -Wrestrict positives inside libstdc++'s string
  # concatenation at -O3 (GCC bug 105329).
  target_compile_options(${target} PRIVATE $<$<CXX_COMPILER_ID:GNU>:-Wno-restrict>)
  if(CRIA_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(cria_sanitize target)
  if(CRIA_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined
                                             -fno-sanitize-recover=all -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

function(cria_module path)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  string(REPLACE "/" "_" name "${path}")
  set(target cria_${name})
  add_library(${target} STATIC ${M_SOURCES})
  set(inc "${CMAKE_BINARY_DIR}/include/${name}")
  get_filename_component(parent "${inc}/${path}" DIRECTORY)
  file(MAKE_DIRECTORY "${parent}")
  file(CREATE_LINK "${PROJECT_SOURCE_DIR}/src/${path}" "${inc}/${path}" SYMBOLIC)
  target_include_directories(${target} PUBLIC "${inc}")
  target_link_libraries(${target} PUBLIC ${M_DEPS} PRIVATE ${M_PRIVATE_DEPS})
  cria_warnings(${target})
  cria_sanitize(${target})
  add_library(cria::${name} ALIAS ${target})
endfunction()

# cria_executable(<name> SOURCES ... DEPS ...)
function(cria_executable name)
  cmake_parse_arguments(E "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${E_SOURCES})
  target_link_libraries(${name} PRIVATE ${E_DEPS})
  cria_warnings(${name})
  cria_sanitize(${name})
endfunction()
