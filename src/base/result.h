// Result<T> and Status: the return type of every operation that can fail for a
// reason a user can act on (bad file, bad request, out of memory). Bugs are
// asserts, not Results.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace cria {

enum class Errc {
  kInvalidArgument,  // the caller asked for something malformed
  kNotFound,         // a file, key, model or tensor that does not exist
  kIo,               // the operating system refused a read or write
  kCorrupt,          // data that does not follow its format
  kUnsupported,      // valid, but not something we implement
  kOutOfMemory,      // an allocation that did not fit
  kUnavailable,      // a resource that is busy or gone (a runner, a server)
  kInternal,         // a failure inside a dependency that is not the user's fault
};

const char* errc_name(Errc code);

struct Error {
  Errc code = Errc::kInternal;
  std::string message;
};

inline Error make_error(Errc code, std::string message) {
  return Error{code, std::move(message)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& error() && {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const& {
    assert(!ok_);
    return error_;
  }
  Error&& error() && {
    assert(!ok_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace cria

#define CRIA_CONCAT_INNER(a, b) a##b
#define CRIA_CONCAT(a, b) CRIA_CONCAT_INNER(a, b)

// Returns the error of a failed Status/Result from the enclosing function.
#define CRIA_RETURN_IF_ERROR(expr)                                  \
  do {                                                              \
    auto&& cria_status_ = (expr);                                   \
    if (!cria_status_.ok()) return std::move(cria_status_).error(); \
  } while (0)

// `CRIA_ASSIGN_OR_RETURN(auto x, f());` declares x from a Result or returns its error.
#define CRIA_ASSIGN_OR_RETURN(lhs, expr) \
  CRIA_ASSIGN_OR_RETURN_IMPL(CRIA_CONCAT(cria_result_, __LINE__), lhs, expr)
#define CRIA_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return std::move(tmp).error();    \
  lhs = std::move(tmp).value()
