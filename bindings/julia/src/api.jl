# The public functions.  Options: see `LibMvNorm.OPTIONS_DOC` (m, abseps,
# releps, rng, seed, threads, method, etol).

const _RealVec = AbstractVector{<:Real}
const _RealMat = AbstractMatrix{<:Real}
const _RealArr = AbstractArray{<:Real}
const _MaybeMean = Union{Nothing,AbstractVecOrMat{<:Real}}
const _MaybeLimits = Union{Nothing,AbstractVecOrMat{<:Real}}

_eltype(::Nothing) = Union{}
_eltype(x::AbstractArray) = eltype(x)
_promoted(args...) = promote_type(map(_eltype, args)...)

# Single problems go through _cdf(Val(log), T, ...) with T the promoted
# element type of the arguments, so that the ForwardDiff extension can add
# methods for T <: ForwardDiff.Dual (our function, their type: no piracy).
_cdf(::Val{L}, ::Type{<:Real}, μ, Σ, a, b; kw...) where {L} = _cdf_float(L, μ, Σ, a, b; kw...)

function _cdf_float(log::Bool, μ, Σ, a, b; kw...)
    opts = _options(; kw...)
    v = Vector{Float64}(undef, 1)
    e = Vector{Float64}(undef, 1)
    if log
        _compute(:prob, μ, Σ, a, b, opts; logp = v, logerr = e, what = "mvnormlogcdf")
    else
        _compute(:prob, μ, Σ, a, b, opts; p = v, abserr = e, what = "mvnormcdf")
    end
    return (v[1], e[1])
end

"""
    mvnormcdf(μ, Σ, a, b; m, rng, abseps, releps, kw...) -> (p, err)
    mvnormcdf(Σ, a, b; kw...) -> (p, err)

`p = P(a < X < b)` for `X ~ N(μ, Σ)` (zero mean in the second form) and an
estimate `err` of its absolute error, as MvNormalCDF.jl's `mvnormcdf`.
`a` may hold `-Inf` and `b` may hold `+Inf`; `Σ` must be symmetric positive
(semi)definite.  Keyword arguments: see `LibMvNorm.OPTIONS_DOC`.

With `d × n` matrices `A`, `B` (columns are problems; `μ` a vector or a
`d × n` matrix; `Σ` a `d × d` matrix or a `d × d × n` array),
`mvnormcdf(μ, Σ, A, B)` returns vectors `(p, err)` of length `n`.

Errors: `ArgumentError` (NaN, `a > b`, asymmetric `Σ`, a bad option),
`DimensionMismatch`, `LinearAlgebra.PosDefException` (the library's message
is its cause).  A missed tolerance warns (`etol = :warn`).
"""
mvnormcdf(μ::_RealVec, Σ::_RealMat, a::_RealVec, b::_RealVec; kw...) =
    _cdf(Val(false), _promoted(μ, Σ, a, b), μ, Σ, a, b; kw...)
mvnormcdf(Σ::_RealMat, a::_RealVec, b::_RealVec; kw...) =
    _cdf(Val(false), _promoted(Σ, a, b), nothing, Σ, a, b; kw...)

"""
    mvnormlogcdf(μ, Σ, a, b; kw...) -> (logp, logerr)
    mvnormlogcdf(Σ, a, b; kw...) -> (logp, logerr)

`log P(a < X < b)` and an estimate of its absolute error, accurate where
`P` underflows a double (`P = 1e-400` has an ordinary logarithm).  For a small
relative error of a tiny `P` use `abseps = 0, releps = 1e-3` (for example).
Matrix limits give vectors, as for [`mvnormcdf`](@ref).
"""
mvnormlogcdf(μ::_RealVec, Σ::_RealMat, a::_RealVec, b::_RealVec; kw...) =
    _cdf(Val(true), _promoted(μ, Σ, a, b), μ, Σ, a, b; kw...)
mvnormlogcdf(Σ::_RealMat, a::_RealVec, b::_RealVec; kw...) =
    _cdf(Val(true), _promoted(Σ, a, b), nothing, Σ, a, b; kw...)

# Batches, allocating.
function mvnormcdf(μ::_MaybeMean, Σ::_RealArr, A::_RealMat, B::_RealMat; kw...)
    n = size(A, 2)
    return mvnormcdf!(Vector{Float64}(undef, n), Vector{Float64}(undef, n), μ, Σ, A, B; kw...)
end
mvnormcdf(Σ::_RealArr, A::_RealMat, B::_RealMat; kw...) = mvnormcdf(nothing, Σ, A, B; kw...)
function mvnormlogcdf(μ::_MaybeMean, Σ::_RealArr, A::_RealMat, B::_RealMat; kw...)
    n = size(A, 2)
    return mvnormlogcdf!(Vector{Float64}(undef, n), Vector{Float64}(undef, n), μ, Σ, A, B; kw...)
end
mvnormlogcdf(Σ::_RealArr, A::_RealMat, B::_RealMat; kw...) = mvnormlogcdf(nothing, Σ, A, B; kw...)

"""
    mvnormcdf!(p, err, μ, Σ, A, B; status = nothing, kw...) -> (p, err)

Many problems at once, written into `p` and `err` (vectors of length `n`,
either may be `nothing`).  Problem `t` has limits `A[:, t]`, `B[:, t]`, mean
`μ[:, t]` (or the vector `μ` for all; `nothing` for zero) and covariance
`Σ[:, :, t]` (or the matrix `Σ` for all, factored once).  `A` or `B` may be
`nothing` for `-Inf` or `+Inf` everywhere.

Strided `Float64` arrays go to the library as pointer and strides, without
copies: `view(A, :, n:-1:1)` (a negative stride), `view(X, 2:3, :)`,
`reshape`d arrays.  Other arrays are converted once.

Output vectors may be views with any stride (`view(R, 1, :)`, reversed
ranges) and are written in place; they must not overlap each other or the
inputs.

With `status` (an integer vector of length `n`) each problem's library
status is written there and a failed problem does not throw: its outputs
are NaN.  Without it the first failure throws.
"""
function mvnormcdf!(p, err, μ::_MaybeMean, Σ::_RealArr, A::_MaybeLimits, B::_MaybeLimits;
                    status = nothing, kw...)
    _compute(:prob, μ, Σ, A, B, _options(; kw...); p = p, abserr = err, status = status,
             what = "mvnormcdf!")
    return (p, err)
end

"""
    mvnormlogcdf!(logp, logerr, μ, Σ, A, B; status = nothing, kw...) -> (logp, logerr)

[`mvnormcdf!`](@ref) for log-probabilities and their error estimates.
"""
function mvnormlogcdf!(logp, logerr, μ::_MaybeMean, Σ::_RealArr, A::_MaybeLimits,
                       B::_MaybeLimits; status = nothing, kw...)
    _compute(:prob, μ, Σ, A, B, _options(; kw...); logp = logp, logerr = logerr,
             status = status, what = "mvnormlogcdf!")
    return (logp, logerr)
end

"""
    mvnormcdf_grad(μ, Σ, a, b; kw...) -> NamedTuple
    mvnormcdf_grad(Σ, a, b; kw...) -> NamedTuple

`P` and its derivatives: `(p, err, a, b, μ, Σ, err_a, err_b, err_Σ)` with
`a = ∂P/∂a`, `b = ∂P/∂b`, `μ = ∂P/∂μ = -(a + b)` and `Σ` the symmetric matrix
`G` with `dP = sum(G .* dΣ)` for symmetric `dΣ` (so `G = H/2` off the diagonal,
`H` the Hessian in the limits).  Derivatives with respect to infinite limits
are 0.  `err_*` estimate the absolute errors of the derivatives.

With `d × n` limits (a batch) every field is an array with one column (or
one `d × d` slice) per problem.  `gradient = :estimator` selects the
derivative of the QMC estimator instead of the closed form.
"""
mvnormcdf_grad(μ::Union{Nothing,_RealVec}, Σ::_RealMat, a::_RealVec, b::_RealVec; kw...) =
    _single_grad(_compute(:grad, μ, Σ, a, b, _options(; kw...);
                          p = zeros(1), abserr = zeros(1), what = "mvnormcdf_grad"))
mvnormcdf_grad(Σ::_RealMat, a::_RealVec, b::_RealVec; kw...) = mvnormcdf_grad(nothing, Σ, a, b; kw...)
function mvnormcdf_grad(μ::_MaybeMean, Σ::_RealArr, A::_RealMat, B::_RealMat; kw...)
    n = size(A, 2)
    r = _compute(:grad, μ, Σ, A, B, _options(; kw...); p = zeros(n), abserr = zeros(n),
                 what = "mvnormcdf_grad")
    return (p = r.p, err = r.abserr, a = r.d_lower, b = r.d_upper, μ = r.d_mean, Σ = r.d_sigma,
            err_a = r.err_lower, err_b = r.err_upper, err_Σ = r.err_sigma)
end

function _single_grad(r)
    return (p = r.p[1], err = r.abserr[1], a = vec(r.d_lower), b = vec(r.d_upper),
            μ = vec(r.d_mean), Σ = dropdims(r.d_sigma; dims = 3),
            err_a = vec(r.err_lower), err_b = vec(r.err_upper),
            err_Σ = dropdims(r.err_sigma; dims = 3))
end

"""
    mvnormlogcdf_grad(μ, Σ, a, b; kw...) -> NamedTuple
    mvnormlogcdf_grad(Σ, a, b; kw...) -> NamedTuple

`log P` and its derivatives `(logp, logerr, a, b, μ, Σ)`, computed in log
space: finite and accurate where `P` underflows; `logerr` estimates the
error of `logp` (as [`mvnormlogcdf`](@ref)).  Where `P = 0` exactly (an
empty box) the derivatives are NaN.
"""
mvnormlogcdf_grad(μ::Union{Nothing,_RealVec}, Σ::_RealMat, a::_RealVec, b::_RealVec; kw...) =
    _single_loggrad(_compute(:loggrad, μ, Σ, a, b, _options(; kw...); logp = zeros(1),
                             logerr = zeros(1), what = "mvnormlogcdf_grad"))
mvnormlogcdf_grad(Σ::_RealMat, a::_RealVec, b::_RealVec; kw...) =
    mvnormlogcdf_grad(nothing, Σ, a, b; kw...)
function mvnormlogcdf_grad(μ::_MaybeMean, Σ::_RealArr, A::_RealMat, B::_RealMat; kw...)
    n = size(A, 2)
    r = _compute(:loggrad, μ, Σ, A, B, _options(; kw...); logp = zeros(n), logerr = zeros(n),
                 what = "mvnormlogcdf_grad")
    return (logp = r.logp, logerr = r.logerr, a = r.d_lower, b = r.d_upper,
            μ = r.d_mean, Σ = r.d_sigma)
end

function _single_loggrad(r)
    return (logp = r.logp[1], logerr = r.logerr[1], a = vec(r.d_lower),
            b = vec(r.d_upper), μ = vec(r.d_mean), Σ = dropdims(r.d_sigma; dims = 3))
end

const _TAILS = Dict(:lower => Cint(0), :upper => Cint(1), :both => Cint(2))

"""
    mvnormquantile(p, μ, Σ; tail = :lower, kw...) -> (q, q_err, p_at_q, p_err)
    mvnormquantile(p, Σ; tail = :lower, kw...)

The equicoordinate quantile `q` of `X ~ N(μ, Σ)` (mvtnorm's `qmvnorm`):
`tail = :lower` solves `P(X .< q) = p`, `:upper` solves `P(X .> q) = p`,
`:both` solves `P(-q .< X .< q) = p` (`q ≥ 0`); the limits are on `X`
itself, with its mean.  `q_err` is the error of `P` at `q` propagated
through `dP/dq`; `p_at_q` is `P` at `q` with its error `p_err`, within the
tolerance (`abseps`, `releps`) of `p`.  Keyword arguments: see
`LibMvNorm.OPTIONS_DOC`.
"""
function mvnormquantile(p::Real, μ::Union{Nothing,_RealVec}, Σ::_RealMat;
                        tail::Symbol = :lower, kw...)
    haskey(_TAILS, tail) ||
        throw(ArgumentError("tail must be :lower, :upper or :both, not :$tail"))
    d = size(Σ, 1)
    size(Σ, 2) == d || throw(DimensionMismatch("Σ must be square, got $(size(Σ))"))
    μ === nothing || length(μ) == d ||
        throw(DimensionMismatch("μ has length $(length(μ)), Σ is $d × $d"))
    opts = _options(; kw...)
    sig = Matrix{Float64}(Σ)             # symmetric: row- and column-major agree
    mu = μ === nothing ? nothing : Vector{Float64}(μ)
    q, qe, pq, pe = Ref(NaN), Ref(NaN), Ref(NaN), Ref(NaN)
    _with_context(opts) do ctx
        rc = GC.@preserve sig mu begin
            mvn_quantile_equi(ctx, d, Float64(p), _TAILS[tail],
                              mu === nothing ? Ptr{Cdouble}(C_NULL) : pointer(mu),
                              pointer(sig), q, qe, pq, pe)
        end
        _check_status(ctx, rc, "mvnormquantile", opts.etol)
    end
    return (q[], qe[], pq[], pe[])
end
mvnormquantile(p::Real, Σ::_RealMat; kw...) = mvnormquantile(p, nothing, Σ; kw...)

_cptr(x::Nothing) = Ptr{Cdouble}(C_NULL)
_cptr(x::Vector{Float64}) = pointer(x)

"""
    mvtquantile(p, μ, Σ, df; tail = :lower, noncentrality = nothing, kw...) -> (q, q_err, p_at_q, p_err)
    mvtquantile(p, Σ, df; kw...)

The equicoordinate quantile of the multivariate t (mvtnorm's `qmvt`),
`T = μ + (Y + δ) / W` with `Y ~ N(0, Σ)`, `W = sqrt(χ²_df / df)` and
`δ = noncentrality` (Distributions.jl's `MvTDist` is `μ` alone; mvtnorm's
Kshirsagar type `δ` alone); `tail` and the outputs as `mvnormquantile`.
`df ≥ 0.01`, real (`Inf`: the normal with mean `μ + δ`).
"""
function mvtquantile(p::Real, μ::Union{Nothing,_RealVec}, Σ::_RealMat, df::Real;
                     tail::Symbol = :lower,
                     noncentrality::Union{Nothing,_RealVec} = nothing, kw...)
    haskey(_TAILS, tail) ||
        throw(ArgumentError("tail must be :lower, :upper or :both, not :$tail"))
    d = size(Σ, 1)
    size(Σ, 2) == d || throw(DimensionMismatch("Σ must be square, got $(size(Σ))"))
    for (name, v) in (("μ", μ), ("noncentrality", noncentrality))
        v === nothing || length(v) == d ||
            throw(DimensionMismatch("$name has length $(length(v)), Σ is $d × $d"))
    end
    opts = _options(; kw...)
    sig = Matrix{Float64}(Σ)             # symmetric: row- and column-major agree
    loc = μ === nothing ? nothing : Vector{Float64}(μ)
    δ = noncentrality === nothing ? nothing : Vector{Float64}(noncentrality)
    q, qe, pq, pe = Ref(NaN), Ref(NaN), Ref(NaN), Ref(NaN)
    _with_context(opts) do ctx
        rc = GC.@preserve sig loc δ begin
            mvn_quantile_equi_t(ctx, d, Float64(df), Float64(p), _TAILS[tail], _cptr(loc),
                                _cptr(δ), pointer(sig), q, qe, pq, pe)
        end
        _check_status(ctx, rc, "mvtquantile", opts.etol)
    end
    return (q[], qe[], pq[], pe[])
end
mvtquantile(p::Real, Σ::_RealMat, df::Real; kw...) = mvtquantile(p, nothing, Σ, df; kw...)

# The sizes checked; Σ as a Matrix{Float64} and the limits shifted by μ.
function _t_problem(μ, Σ, a, b, noncentrality)
    d = size(Σ, 1)
    size(Σ, 2) == d || throw(DimensionMismatch("Σ must be square, got $(size(Σ))"))
    for (name, v) in (("μ", μ), ("a", a), ("b", b), ("noncentrality", noncentrality))
        v === nothing || length(v) == d ||
            throw(DimensionMismatch("$name has length $(length(v)), Σ is $d × $d"))
    end
    sig = Matrix{Float64}(Σ)             # symmetric: row- and column-major agree
    shift(v) = v === nothing ? nothing :
               (μ === nothing ? Vector{Float64}(v) : Vector{Float64}(v .- μ))
    return d, sig, shift(a), shift(b)
end

"""
    mvtcdf(μ, Σ, df, a, b; noncentrality = nothing, log = false, kw...) -> (p, err)
    mvtcdf(Σ, df, a, b; kw...)

`P(a < T < b)` for the multivariate t with `df > 0` degrees of freedom
(any real; `Inf` is the normal) and scale matrix `Σ`, with an estimate of
its absolute error.  `μ` shifts `T` as in Distributions.jl's `MvTDist`
(`T = μ + Y / W`, `Y ~ N(0, Σ)`, `W = sqrt(χ²_df / df)`); `noncentrality`
is mvtnorm's (`T = (Y + δ) / W`).  With `log = true`, `(log p, err of
log p)`, accurate where `p` underflows.  Exact to about 1e-12 relative for
`d ≤ 3`; beyond, lattice QMC with the chi variable as one more coordinate
(doc/manual.md, section 5d).  Keyword arguments: see
`LibMvNorm.OPTIONS_DOC`.
"""
function mvtcdf(μ::Union{Nothing,_RealVec}, Σ::_RealMat, df::Real,
                a::Union{Nothing,_RealVec}, b::Union{Nothing,_RealVec};
                noncentrality::Union{Nothing,_RealVec} = nothing, log::Bool = false, kw...)
    d, sig, lo, up = _t_problem(μ, Σ, a, b, noncentrality)
    opts = _options(; kw...)
    δ = noncentrality === nothing ? nothing : Vector{Float64}(noncentrality)
    p, lp, e = Ref(NaN), Ref(NaN), Ref(NaN)
    _with_context(opts) do ctx
        rc = GC.@preserve sig lo up δ begin
            mvn_prob_t(ctx, d, Float64(df), _cptr(lo), _cptr(up), _cptr(δ), pointer(sig),
                       p, lp, e)
        end
        _check_status(ctx, rc, "mvtcdf", opts.etol)
    end
    log && return (lp[], p[] > 0 ? e[] / p[] : Inf)
    return (p[], e[])
end
mvtcdf(Σ::_RealMat, df::Real, a, b; kw...) = mvtcdf(nothing, Σ, df, a, b; kw...)

"""
    mvtcdf_grad(μ, Σ, df, a, b; noncentrality = nothing, kw...) -> (p, err, a, b, μ, Σ)
    mvtcdf_grad(Σ, df, a, b; kw...)

`P(a < T < b)` for the multivariate t `T = μ + (Y + δ) / W` (as
`mvtcdf`; `δ` the `noncentrality`, central when `nothing`) with its
derivatives in the limits `a`, `b`, the location `μ` and the scale matrix
`Σ` (`mvn_prob_t_grad_sigma`).  Central: each limit derivative is the t
density at a limit times a `(d-1)`-dimensional t probability with
`df + 1` degrees of freedom, exact to about 1e-12 for `d ≤ 4`; the `Σ`
derivative is a symmetric `d × d` matrix `G` with `dP = Σᵢⱼ Gᵢⱼ dΣᵢⱼ`
for a symmetric change (as `mvncdf_grad`'s), its off-diagonal entries
sums over the four corners of a pair's limits of `(d-2)`-dimensional t
probabilities with `df` degrees of freedom, exact for `d ≤ 5`.
Noncentral: the normal's derivatives under the integral over the chi
variable, exact to about 1e-12 for `d ≤ 3` (no derivative in `δ`).
Derivatives in an infinite limit are 0.
"""
function mvtcdf_grad(μ::Union{Nothing,_RealVec}, Σ::_RealMat, df::Real,
                     a::Union{Nothing,_RealVec}, b::Union{Nothing,_RealVec};
                     noncentrality::Union{Nothing,_RealVec} = nothing, kw...)
    d, sig, lo, up = _t_problem(μ, Σ, a, b, noncentrality)
    δ = noncentrality === nothing ? nothing : Vector{Float64}(noncentrality)
    opts = _options(; kw...)
    da, db, dΣ = fill(NaN, d), fill(NaN, d), fill(NaN, d, d)
    p, lp, e = Ref(NaN), Ref(NaN), Ref(NaN)
    _with_context(opts) do ctx
        # Σ and dΣ are symmetric: column-major reads as row-major.
        rc = GC.@preserve sig lo up δ da db dΣ begin
            mvn_prob_t_grad_sigma(ctx, d, Float64(df), _cptr(lo), _cptr(up), _cptr(δ),
                                  pointer(sig), p, lp, e, pointer(da), pointer(db),
                                  pointer(dΣ))
        end
        _check_status(ctx, rc, "mvtcdf_grad", opts.etol)
    end
    return (p[], e[], da, db, -(da .+ db), dΣ)
end
mvtcdf_grad(Σ::_RealMat, df::Real, a, b; kw...) = mvtcdf_grad(nothing, Σ, df, a, b; kw...)
