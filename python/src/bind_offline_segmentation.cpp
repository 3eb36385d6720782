// Python bindings of the offline change-point methods: pelt, binseg, amoc (numpy in, numpy out).
//
// series: (n,) or (n, dims), any real dtype (converted to float64 once); NaN is a missing value,
// handled by `missing` ("skip" | "interpolate" | "error"). Returns the change points as an int64
// array in the original index: the first row of each new segment, increasing, never 0 or n.
// Errors: predsense.ShapeError, EmptyError, NonFiniteError, InvalidArgumentError (ValueError).
#include <limits>
#include <string>
#include <vector>

#include "convert.hpp"
#include "predsense/segmentation/series/missing_values.hpp"
#include "predsense/segmentation/offline/offline_change_points.hpp"
#include "predsense/segmentation/series/standardize.hpp"

namespace py = pybind11;
using namespace predsense;
using namespace predsense_py;

namespace {

py::array_t<std::int64_t> as_index_array(const std::vector<std::size_t>& v) {
  py::array_t<std::int64_t> out(static_cast<py::ssize_t>(v.size()));
  auto* o = out.mutable_data();
  for (std::size_t i = 0; i < v.size(); ++i) o[i] = static_cast<std::int64_t>(v[i]);
  return out;
}

// pen_value as a number: TypeError naming it (pybind11's cast_error would be an unnamed RuntimeError).
double pen_value_of(const py::object& v) {
  try {
    return v.cast<double>();
  } catch (const py::cast_error&) {
    throw py::type_error("pen_value: expected a number, got " + type_name(v));
  }
}

std::size_t checked_count(long long v, const char* name) {
  if (v < 0) throw invalid_argument_error(std::string(name) + " must be >= 0, got " + std::to_string(v));
  return static_cast<std::size_t>(v);
}

py::array_t<std::int64_t> run(py::handle series, offline_method method, const std::string& cost,
                              const std::string& penalty_name, const py::object& pen_value, long long min_size,
                              long long max_changes, long long quantiles, const std::string& missing,
                              bool r_compatible) {
  auto [x, dims] = series_of(series, "series");
  offline_params p;
  p.method = method;
  p.cost = parse_cost_kind(cost);
  const bool manual = penalty_name == "manual";
  if (manual && pen_value.is_none())
    throw invalid_argument_error("penalty='manual' needs pen_value (the penalty per change, >= 0)");
  if (!manual && !pen_value.is_none())
    throw invalid_argument_error("pen_value applies only with penalty='manual' (penalty is '" + penalty_name + "')");
  p.penalty = parse_penalty(penalty_name, manual ? pen_value_of(pen_value) : 0.0);
  if (manual) (void)p.penalty.per_change(2, 1);  // validates the value
  p.min_size = checked_count(min_size, "min_size");
  p.max_changes =
      max_changes == 0 ? std::numeric_limits<std::size_t>::max() : checked_count(max_changes, "max_changes");
  p.quantiles = checked_count(quantiles, "quantiles");
  p.missing = parse_missing_policy(missing);
  p.r_compatible = r_compatible;
  std::vector<std::size_t> cps;
  {
    py::gil_scoped_release nogil;
    cps = offline_change_points(x, dims, p);
  }
  return as_index_array(cps);
}

constexpr const char* common_doc =
    "\n\nseries: (n,) or (n, dims) array (rows are time steps); NaN marks a missing value. The series is used as "
    "given: z-score it first (predsense.standardize) when the cost assumes unit variance ('mean').\n"
    "cost: 'mean' (Normal, change in mean, known unit variance: residual sum of squares), 'meanvar' (Normal, "
    "change in mean and variance), 'ed' (nonparametric empirical distribution, Haynes, Fearnhead & Eckley 2017; "
    "robust to outliers and heavy tails), 'linear' (change in a linear trend: residual sum of squares of the "
    "least-squares line on time, unit variance; ruptures' CostLinear, R changepoint's cpt.reg), 'linearvar' (the "
    "same with the noise variance estimated per segment), 'ar1' (conditional Gaussian AR(1) regression per "
    "segment: mean, coefficient and innovation variance; Davis, Lee & Rodriguez-Yam 2006). Multivariate: the sum "
    "of per-dimension costs. Each cost has its own minimum segment length (meanvar 2, linear 2, linearvar 3, "
    "ar1 4), used when min_size is smaller.\n"
    "penalty: 'mbic' (default; (p+2) log n per change plus log(length) per segment, Zhang & Siegmund 2007), "
    "'bic'/'sic' ((p+1) log n), 'aic' (2(p+1)), 'hannan_quinn' (2(p+1) log log n), 'none', 'manual' (pen_value); "
    "n = observed rows, p = parameters per segment (dims for 'mean'/'ed', 2 dims for 'meanvar'/'linear', 3 dims for "
    "'linearvar'/'ar1'), as R changepoint.\n"
    "pen_value: the penalty per change for penalty='manual' (required there, refused otherwise).\n"
    "min_size: minimum segment length in observed rows (>= 1). quantiles: K of the 'ed' cost (0: ceil(4 log n)).\n"
    "missing: 'skip' (default: methods see the observed rows only, change points mapped back to the original "
    "index), 'interpolate' (linear), 'error' (NonFiniteError).\n"
    "Returns: int64 array of change points, the first row of each new segment (0-based).\n"
    "Raises: ShapeError (not 1-D/2-D), EmptyError (an empty series, no observed row, or fewer than the minimum "
    "segment length), NonFiniteError "
    "(infinity, or NaN with missing='error'), InvalidArgumentError (unknown name, min_size 0, negative pen_value).";

}  // namespace

void bind_offline_segmentation(py::module_& m) {
  m.def(
      "pelt",
      [](py::handle series, const std::string& cost, const std::string& penalty, const py::object& pen_value,
         long long min_size, long long quantiles, const std::string& missing, bool r_compatible) {
        return run(series, offline_method::pelt, cost, penalty, pen_value, min_size, 0, quantiles, missing,
                   r_compatible);
      },
      py::arg("series"), py::kw_only(), py::arg("cost") = "mean", py::arg("penalty") = "mbic",
      py::arg("pen_value") = py::none(), py::arg("min_size") = 1, py::arg("quantiles") = 0, py::arg("missing") = "skip",
      py::arg("r_compatible") = false,
      (std::string("PELT (Killick, Fearnhead & Eckley 2012): the exact minimiser of total segment cost plus "
                   "penalty, with pruning. r_compatible=True prunes as R changepoint does (inexact under MBIC; "
                   "with cost='mean' that is TCPDBench's pelt, whose reported indices are these minus one).") +
       common_doc)
          .c_str());
  m.def(
      "binseg",
      [](py::handle series, long long max_changes, const std::string& cost, const std::string& penalty,
         const py::object& pen_value, long long min_size, long long quantiles, const std::string& missing) {
        return run(series, offline_method::binseg, cost, penalty, pen_value, min_size, max_changes, quantiles, missing,
                   false);
      },
      py::arg("series"), py::kw_only(), py::arg("max_changes") = 5, py::arg("cost") = "mean",
      py::arg("penalty") = "mbic", py::arg("pen_value") = py::none(), py::arg("min_size") = 1, py::arg("quantiles") = 0,
      py::arg("missing") = "skip",
      (std::string("Binary segmentation with at most max_changes (Q) change points (0: no limit): greedy best "
                   "splits while the gain exceeds the penalty. cost='linear', penalty='bic' (Q = 5) is "
                   "predsense-tcpd's default (chosen by nested leave-one-series-out cross-validation, "
                   "docs/segmentation.md).") +
       common_doc)
          .c_str());
  m.def(
      "amoc",
      [](py::handle series, const std::string& cost, const std::string& penalty, const py::object& pen_value,
         long long min_size, long long quantiles, const std::string& missing, bool r_compatible) {
        return run(series, offline_method::amoc, cost, penalty, pen_value, min_size, 0, quantiles, missing,
                   r_compatible);
      },
      py::arg("series"), py::kw_only(), py::arg("cost") = "mean", py::arg("penalty") = "mbic",
      py::arg("pen_value") = py::none(), py::arg("min_size") = 1, py::arg("quantiles") = 0, py::arg("missing") = "skip",
      py::arg("r_compatible") = false,
      (std::string("AMOC: at most one change, by the penalised likelihood-ratio test (r_compatible=True: R "
                   "changepoint's form of the MBIC test).") +
       common_doc)
          .c_str());
  m.def(
      "standardize",
      [](py::handle series) {
        auto [x, dims] = series_of(series, "series");
        standardize_columns(x, dims);
        const auto arr = py::array::ensure(series);
        std::vector<py::ssize_t> shape(arr.shape(), arr.shape() + arr.ndim());
        py::array_t<double> out(shape);
        std::copy(x.begin(), x.end(), out.mutable_data());
        return out;
      },
      py::arg("series"),
      "z-score every column of a (n,) or (n, dims) series as R's scale() (mean, unbiased standard deviation), "
      "as TCPDBench does before every method; NaN (missing) values stay NaN and take no part. A constant column "
      "is only centred. Returns a new float64 array of the same shape.");
}
