# LibMvNorm.jl -- Julia binding of libmvnorm: multivariate normal
# probabilities P(a < X < b), their logarithms, error estimates and
# gradients, computed by the C library through ccall.
# SPDX-License-Identifier: GPL-3.0-or-later
"""
    LibMvNorm

Multivariate normal rectangle probabilities `P(a < X < b)` for
`X ~ N(μ, Σ)`, computed by the C library libmvnorm.

- [`mvnormcdf`](@ref): `(p, err)`, compatible with MvNormalCDF.jl;
- [`mvnormlogcdf`](@ref): `(logp, logerr)`, accurate where `p` underflows;
- [`mvnormcdf!`](@ref), [`mvnormlogcdf!`](@ref): many problems (the columns
  of `d × n` matrices) in place, arrays passed by pointer and strides;
- [`mvnormcdf_grad`](@ref), [`mvnormlogcdf_grad`](@ref): derivatives with
  respect to `a`, `b`, `μ` and `Σ`;
- [`mvnormrand`](@ref): exact samples of `X` given `a < X < b`.

The library is located when the module is loaded: the environment variable
`MVNORM_LIBRARY` first, then the system library (see [`libmvnorm`](@ref)).
Extensions load with Distributions (`MvNormal` in), ChainRulesCore
(`rrule`s) and ForwardDiff (dual numbers).
"""
module LibMvNorm

using Libdl
using LinearAlgebra: PosDefException
using Random: AbstractRNG

export mvnormcdf, mvnormlogcdf, mvnormcdf!, mvnormlogcdf!,
       mvnormcdf_grad, mvnormlogcdf_grad, mvnormquantile, mvnormrand, mvtcdf, mvtcdf_grad, mvtquantile,
       MvNormError

include("library.jl")
include("arrays.jl")
include("capi.jl")
include("errors.jl")
include("options.jl")
include("compute.jl")
include("api.jl")
include("sample.jl")

function __init__()
    _load_library!()
    return nothing
end

end # module
