// Must NOT compile: gguf may depend only on base, so backend's headers are not
// on its include path (see cmake/cria_module.cmake).
#include "backend/device.h"
