// examples/python/payments_module.cpp — the whole C++ side of a Python module: the
// definitions (shared with the C++ quickstart) and one call that binds them.
#include <skewless/python/module.hpp>

#include "payments.hpp"

NB_MODULE(payments_features, m) {
  m.doc() = "The payments feature set of the skewless quickstart, from its one C++ definition.";
  skewless::python::define_module(m, payments::features);
}
