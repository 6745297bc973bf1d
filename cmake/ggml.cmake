# ggml, pinned and verified by scripts/fetch-ggml.sh, built as a subproject.
# The source lives in build/_deps/ggml (git-ignored); it is never edited.

set(CRIA_GGML_ROOT "${PROJECT_SOURCE_DIR}/build/_deps/ggml" CACHE PATH "Extracted ggml source")
file(STRINGS "${PROJECT_SOURCE_DIR}/deps/ggml.lock" _pin REGEX "^LLAMA_CPP_COMMIT=")
string(REPLACE "LLAMA_CPP_COMMIT=" "" CRIA_GGML_COMMIT "${_pin}")

set(_stamp "${CRIA_GGML_ROOT}/.cria-commit")
set(_have "")
if(EXISTS "${_stamp}")
  file(READ "${_stamp}" _have)
  string(STRIP "${_have}" _have)
endif()
if(NOT _have STREQUAL CRIA_GGML_COMMIT)
  message(STATUS "ggml ${CRIA_GGML_COMMIT} not extracted yet: running scripts/fetch-ggml.sh")
  execute_process(COMMAND bash "${PROJECT_SOURCE_DIR}/scripts/fetch-ggml.sh"
                  RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "scripts/fetch-ggml.sh failed: cannot get the pinned ggml source")
  endif()
endif()

# ggml options: CPU backend with OpenMP, RPC, no tests or examples.
set(GGML_BUILD_TESTS OFF CACHE BOOL "" FORCE)
set(GGML_BUILD_EXAMPLES OFF CACHE BOOL "" FORCE)
set(GGML_OPENMP ON CACHE BOOL "" FORCE)
set(GGML_CCACHE OFF CACHE BOOL "" FORCE)
# llama.cpp turns on llamafile's sgemm for its ggml; so do we, so that our
# numbers match its outputs (the golden files) and its speed.
set(GGML_LLAMAFILE ON CACHE BOOL "" FORCE)
set(GGML_RPC ${CRIA_RPC} CACHE BOOL "" FORCE)
set(GGML_CUDA ${CRIA_CUDA} CACHE BOOL "" FORCE)
# NCCL is installed with the CUDA toolkit here; never let it become a silent dependency.
set(GGML_CUDA_NCCL OFF CACHE BOOL "" FORCE)

if(CRIA_PORTABLE)
  set(BUILD_SHARED_LIBS ON CACHE BOOL "" FORCE)
  set(GGML_BACKEND_DL ON CACHE BOOL "" FORCE)
  set(GGML_CPU_ALL_VARIANTS ON CACHE BOOL "" FORCE)
  set(GGML_NATIVE OFF CACHE BOOL "" FORCE)
else()
  set(BUILD_SHARED_LIBS OFF CACHE BOOL "" FORCE)
  set(GGML_BACKEND_DL OFF CACHE BOOL "" FORCE)
  set(GGML_CPU_ALL_VARIANTS OFF CACHE BOOL "" FORCE)
  set(GGML_NATIVE ${CRIA_NATIVE} CACHE BOOL "" FORCE)
endif()

if(CRIA_CUDA AND NOT CMAKE_CUDA_ARCHITECTURES)
  # 90: H100/H200. Override with -DCMAKE_CUDA_ARCHITECTURES=... for other GPUs.
  set(CMAKE_CUDA_ARCHITECTURES "90" CACHE STRING "CUDA architectures" FORCE)
endif()

# Our sanitizer and warning flags are per target; ggml keeps its own flags.
add_subdirectory("${CRIA_GGML_ROOT}/ggml" "${CMAKE_BINARY_DIR}/ggml" EXCLUDE_FROM_ALL)

# ggml's public headers do not build cleanly under our warnings (-Wshadow):
# whoever links ggml sees them as system headers.
foreach(_t ggml ggml-base)
  get_target_property(_inc ${_t} INTERFACE_INCLUDE_DIRECTORIES)
  if(_inc)
    set_target_properties(${_t} PROPERTIES INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${_inc}")
  endif()
endforeach()

# ggml is always optimised, even in our Debug builds: tests then run at real speed.
# Its own warnings (GCC 12 false positives in the AVX-512 intrinsics) are not
# ours to fix: silence them so that our build output shows only our code.
foreach(_t ggml-base ggml-cpu ggml ggml-rpc ggml-cuda)
  if(TARGET ${_t})
    target_compile_options(${_t} PRIVATE $<$<CONFIG:Debug>:-O2> $<$<COMPILE_LANGUAGE:C,CXX>:-w>)
  endif()
endforeach()

# With GGML_BACKEND_DL (CRIA_PORTABLE) the backends are loadable modules that
# nothing links; collect them so that building cria builds them too.
function(cria_collect_modules dir out)
  get_property(_targets DIRECTORY "${dir}" PROPERTY BUILDSYSTEM_TARGETS)
  get_property(_subdirs DIRECTORY "${dir}" PROPERTY SUBDIRECTORIES)
  set(_found "")
  foreach(_t IN LISTS _targets)
    get_target_property(_type ${_t} TYPE)
    if(_type STREQUAL "MODULE_LIBRARY")
      list(APPEND _found ${_t})
    endif()
  endforeach()
  foreach(_d IN LISTS _subdirs)
    cria_collect_modules("${_d}" _sub)
    list(APPEND _found ${_sub})
  endforeach()
  set(${out} "${_found}" PARENT_SCOPE)
endfunction()
set(CRIA_GGML_BACKEND_MODULES "")
if(CRIA_PORTABLE)
  cria_collect_modules("${CRIA_GGML_ROOT}/ggml" CRIA_GGML_BACKEND_MODULES)
  message(STATUS "cria: loadable ggml backends: ${CRIA_GGML_BACKEND_MODULES}")
endif()
foreach(_t IN LISTS CRIA_GGML_BACKEND_MODULES)
  target_compile_options(${_t} PRIVATE $<$<CONFIG:Debug>:-O2> $<$<COMPILE_LANGUAGE:C,CXX>:-w>)
endforeach()
