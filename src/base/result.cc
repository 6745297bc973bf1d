#include "base/result.h"

namespace cria {

const char* errc_name(Errc code) {
  switch (code) {
    case Errc::kInvalidArgument:
      return "invalid argument";
    case Errc::kNotFound:
      return "not found";
    case Errc::kIo:
      return "i/o error";
    case Errc::kCorrupt:
      return "corrupt data";
    case Errc::kUnsupported:
      return "unsupported";
    case Errc::kOutOfMemory:
      return "out of memory";
    case Errc::kUnavailable:
      return "unavailable";
    case Errc::kInternal:
      return "internal error";
  }
  return "unknown error";
}

}  // namespace cria
