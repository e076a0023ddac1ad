# Options of one call, copied into a fresh context (lib/mvnorm.h section 5;
# the option values are pinned there).
const MVN_OPT_ABSEPS = Cint(1)
const MVN_OPT_RELEPS = Cint(2)
const MVN_OPT_MAXPTS = Cint(3)
const MVN_OPT_SEED = Cint(4)
const MVN_OPT_THREADS = Cint(5)
const MVN_OPT_METHOD = Cint(6)
const MVN_OPT_GRADIENT = Cint(11)

const _METHODS = (auto = 0, qmc = 1, tilted = 2)
const _GRADIENT_ROUTES = (closed = 0, estimator = 1)

const _MAXPTS_MIN = 1000
const _SEED_MAX = 2^53

"""
Keyword arguments every function of the package accepts:

- `m`: the evaluation budget (MVN_OPT_MAXPTS), at least 1000 (smaller values
  are raised to 1000); `nothing` keeps the library's default (10^7).  In
  MvNormalCDF.jl `m` is a fixed number of lattice points; here it bounds the
  evaluations spent to reach the tolerances.
- `abseps`, `releps`: absolute and relative tolerances (defaults 1e-5, 0);
  integration stops when `err <= max(abseps, releps * p)`.
- `rng`: an `AbstractRNG`; one integer drawn from it seeds the library's
  random lattice shifts, so a seeded `rng` gives reproducible numbers.
- `seed`: the library seed itself, an integer in [0, 2^53] (overrides `rng`).
  Without `rng` and `seed` the seed is 0: results are reproducible.
- `threads`: worker threads of the library (default 1, also inside a
  multi-threaded Julia session, so that Julia tasks calling in parallel do
  not oversubscribe the machine; 0 = as many as OpenMP offers).
- `method`: `:auto` (default), `:qmc` or `:tilted`.
- `etol`: what a missed tolerance does: `:warn` (default), `:ignore` or
  `:error` (throws an [`MvNormError`](@ref)).
"""
const OPTIONS_DOC = nothing

function _options(; m = nothing, abseps = nothing, releps = nothing, rng = nothing,
                  seed = nothing, threads::Integer = 1, method::Symbol = :auto,
                  gradient::Symbol = :closed, etol::Symbol = :warn)
    etol in (:warn, :ignore, :error) ||
        throw(ArgumentError("etol must be :warn, :ignore or :error, got :$etol"))
    haskey(_METHODS, method) ||
        throw(ArgumentError("method must be one of $(keys(_METHODS)), got :$method"))
    haskey(_GRADIENT_ROUTES, gradient) ||
        throw(ArgumentError("gradient must be one of $(keys(_GRADIENT_ROUTES)), got :$gradient"))
    opts = Pair{Cint,Float64}[]
    m === nothing || push!(opts, MVN_OPT_MAXPTS => Float64(max(_MAXPTS_MIN, Int(m))))
    abseps === nothing || push!(opts, MVN_OPT_ABSEPS => Float64(abseps))
    releps === nothing || push!(opts, MVN_OPT_RELEPS => Float64(releps))
    s = if seed !== nothing
        Int(seed)
    elseif rng !== nothing
        rng isa AbstractRNG || throw(ArgumentError("rng must be an AbstractRNG"))
        Int(rand(rng, UInt64) >> 11)   # uniform on [0, 2^53)
    else
        0
    end
    0 <= s <= _SEED_MAX || throw(ArgumentError("seed must be in [0, 2^53], got $s"))
    push!(opts, MVN_OPT_SEED => Float64(s))
    threads >= 0 || throw(ArgumentError("threads must be >= 0, got $threads"))
    push!(opts, MVN_OPT_THREADS => Float64(threads))
    push!(opts, MVN_OPT_METHOD => Float64(_METHODS[method]))
    push!(opts, MVN_OPT_GRADIENT => Float64(_GRADIENT_ROUTES[gradient]))
    return (settings = opts, etol = etol)
end

const _OPTION_NAMES = Dict(MVN_OPT_ABSEPS => "abseps", MVN_OPT_RELEPS => "releps",
                           MVN_OPT_MAXPTS => "m (maxpts)", MVN_OPT_SEED => "seed",
                           MVN_OPT_THREADS => "threads", MVN_OPT_METHOD => "method",
                           MVN_OPT_GRADIENT => "gradient")

# One context per call: Julia tasks migrate between threads, and a context
# must not be used by two threads at once.  Freed in `finally`, whatever
# happens; no finalizer is involved.
function _with_context(f, opts)
    ctx = mvn_context_alloc()
    ctx == C_NULL && throw(OutOfMemoryError())
    try
        for (opt, value) in opts.settings
            st = mvn_context_set(ctx, opt, value)
            st == MVN_OK || throw(ArgumentError(
                "option $(_OPTION_NAMES[opt]) = $value: " * _status_message(ctx, st, "mvn_context_set")))
        end
        return f(ctx)
    finally
        mvn_context_free(ctx)
    end
end
