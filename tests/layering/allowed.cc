// Must compile: gguf depends on base.
#include "base/result.h"
#include "gguf/reader.h"
