# Exact sampling from the truncated normal: mvn_sample_truncated.

"""
    mvnormrand(μ, Σ, a, b, n; seed, rng, threads) -> (X, accept_rate)
    mvnormrand(Σ, a, b, n; kw...) -> (X, accept_rate)

`n` exact samples of `X ~ N(μ, Σ)` (zero mean in the second form) given
`a < X < b`, as the columns of the `d × n` matrix `X`, by Botev's
minimax-tilted acceptance-rejection (the C function `mvn_sample_truncated`),
and the fraction of proposals accepted.  The law is exactly the truncated
normal, also deep in a tail (acceptance about 0.67 at `d = 20`, `P = 1e-20`).
`a` may hold `-Inf`, `b` `+Inf`; `Σ` must be positive definite.  The samples
depend only on the arguments and the seed (`seed`, or one draw from `rng`;
default 0), never on `threads`, and every entry lies in `[a_i, b_i]`.

Errors: `ArgumentError` (NaN, an empty box `a_i >= b_i`),
`DimensionMismatch` (`n = 0`, shapes), `LinearAlgebra.PosDefException` (`Σ`
not positive semidefinite), `MvNormError` (a singular `Σ`:
`MVN_EUNSUPPORTED`).  A proposal budget that runs out warns and leaves the
undrawn columns NaN.
"""
function mvnormrand(μ::Union{Nothing,_RealVec}, Σ::_RealMat, a::_RealVec, b::_RealVec,
                    n::Integer; seed = nothing, rng = nothing, threads::Integer = 1)
    d = size(Σ, 1)
    size(Σ, 2) == d || throw(DimensionMismatch("Σ must be square, got size $(size(Σ))"))
    for (v, name) in ((a, "a"), (b, "b"), (μ, "μ"))
        v === nothing || length(v) == d ||
            throw(DimensionMismatch("$name has length $(length(v)), expected d = $d"))
    end
    n >= 0 || throw(DimensionMismatch("n must be nonnegative, got $n"))
    lo, up, sig = Vector{Float64}(a), Vector{Float64}(b), Matrix{Float64}(Σ)
    mu = μ === nothing ? zeros(d) : Vector{Float64}(μ)
    X = Matrix{Float64}(undef, d, n)   # the library's n × d row-major rows
    rate = Ref{Cdouble}(NaN)
    opts = _options(; seed = seed, rng = rng, threads = threads)
    _with_context(opts) do ctx
        rc = GC.@preserve lo up mu sig X begin
            mvn_sample_truncated(ctx, d, lo, up, mu, sig, n, X, rate)
        end
        _check_status(ctx, rc, "mvnormrand", opts.etol)
    end
    return (X, rate[])
end
mvnormrand(Σ::_RealMat, a::_RealVec, b::_RealVec, n::Integer; kw...) =
    mvnormrand(nothing, Σ, a, b, n; kw...)
