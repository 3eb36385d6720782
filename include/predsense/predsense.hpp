// predsense/predsense.hpp - the umbrella header: every standard-library-only primitive.
//
// Adapters that need a third-party library are opt-in: include predsense/core/eigen.hpp or
// predsense/core/xtensor.hpp yourself.
#pragma once

#include "predsense/core/boundary.hpp"
#include "predsense/core/concepts.hpp"
#include "predsense/core/error.hpp"
#include "predsense/core/frame_buffer.hpp"
#include "predsense/core/frame_view.hpp"
#include "predsense/core/non_finite_policy.hpp"
#include "predsense/kernels/avg_pool_2x2.hpp"
#include "predsense/kernels/cosine.hpp"
#include "predsense/kernels/dot.hpp"
#include "predsense/kernels/dot_norms.hpp"
#include "predsense/kernels/gemv.hpp"
#include "predsense/kernels/squared_l2.hpp"
#include "predsense/kernels/squared_norm.hpp"
#include "predsense/kernels/token_cosine_distance.hpp"
#include "predsense/surprise/ema_normalizer.hpp"
#include "predsense/surprise/gaussian_nll.hpp"
#include "predsense/surprise/l2_distance.hpp"
#include "predsense/surprise/mse.hpp"
#include "predsense/surprise/pooled_cosine_distance.hpp"
#include "predsense/surprise/token_cosine_distance.hpp"
#include "predsense/surprise/zscore_normalizer.hpp"
