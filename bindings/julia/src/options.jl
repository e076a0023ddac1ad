# Options of one call, copied into a fresh context.  Option numbers and the
# names of enumerated values come from the library (mvn_option_from_name,
# mvn_option_parse: lib/mvnorm.h section 10), so no table is copied here.

const _MAXPTS_MIN = 1000
const _SEED_MAX = 2^53

"""
Keyword arguments every function of the package accepts:

- `m`: the evaluation budget (the library's `maxpts`), at least 1000
  (smaller values are raised to 1000); `nothing` keeps the library's
  default (10^7).  In MvNormalCDF.jl `m` is a fixed number of lattice points;
  here it bounds the evaluations spent to reach the tolerances.
- `abseps`, `releps`: absolute and relative tolerances (library defaults
  1e-5 and 0); integration stops when `err <= max(abseps, releps * p)`.
- `rng`: an `AbstractRNG`; one integer drawn from it seeds the library's
  random lattice shifts, so a seeded `rng` gives reproducible numbers.
- `seed`: the library seed itself, an integer in [0, 2^53] (overrides `rng`).
  Without `rng` and `seed` the seed is 0: results are reproducible.
- `threads`: worker threads of the library (default 1, also inside a
  multi-threaded Julia session, so that Julia tasks calling in parallel do
  not oversubscribe the machine; 0 = as many as OpenMP offers).
- `method`: `:auto` (default), `:qmc` or `:tilted`; `gradient`: `:closed`
  (default) or `:estimator` (the route of derivatives).
- `backend`: `nothing` (default: the library's choice, the CPU unless the
  environment variable MVN_BACKEND names another), `:auto`, `:cpu` or
  `:cuda` (the library's plugin; MVN_EBACKEND, an `MvNormError`, when it
  cannot load).
- `etol`: what a missed tolerance does: `:warn` (default), `:ignore` or
  `:error` (throws an [`MvNormError`](@ref)).
- `progress`: `nothing`, or a function `(done, total, evaluations) -> Bool`
  called on the calling thread while the library computes (between lattice
  sizes and between problems, about every 50 ms); returning `true` stops the
  call, which then throws an `MvNormError` with status MVN_ECANCELED.  An
  exception thrown by the function (an `InterruptException` from Ctrl-C, for
  example) stops the call and is rethrown after it.
"""
const OPTIONS_DOC = nothing

struct _Options
    settings::Vector{Pair{String,String}}   # option name => value as text
    etol::Symbol
    progress::Any
end

_text(x::Real) = x isa Integer ? string(x) : repr(Float64(x))
_text(x::Symbol) = String(x)

function _options(; m = nothing, abseps = nothing, releps = nothing, rng = nothing,
                  seed = nothing, threads::Integer = 1, method::Symbol = :auto,
                  gradient::Symbol = :closed, backend::Union{Nothing,Symbol} = nothing,
                  etol::Symbol = :warn, progress = nothing)
    etol in (:warn, :ignore, :error) ||
        throw(ArgumentError("etol must be :warn, :ignore or :error, got :$etol"))
    settings = Pair{String,String}[]
    m === nothing || push!(settings, "maxpts" => _text(max(_MAXPTS_MIN, Int(m))))
    abseps === nothing || push!(settings, "abseps" => _text(abseps))
    releps === nothing || push!(settings, "releps" => _text(releps))
    s = if seed !== nothing
        Int(seed)
    elseif rng !== nothing
        rng isa AbstractRNG || throw(ArgumentError("rng must be an AbstractRNG"))
        Int(rand(rng, UInt64) >> 11)   # uniform on [0, 2^53)
    else
        0
    end
    0 <= s <= _SEED_MAX || throw(ArgumentError("seed must be in [0, 2^53], got $s"))
    push!(settings, "seed" => _text(s))
    # Always set: 1 unless the caller asks for more (see lib/mvnorm.h "Threads").
    push!(settings, "threads" => _text(threads))
    push!(settings, "method" => _text(method))
    push!(settings, "gradient" => _text(gradient))
    # Unset by default: the library's own choice (MVN_BACKEND) stands.
    backend === nothing || push!(settings, "backend" => _text(backend))
    return _Options(settings, etol, progress)
end

# Sets each option through the library's own parser: an unknown value
# ("method = :fast") is refused with the library's bounds check.
function _set_options!(ctx::Ptr{Cvoid}, opts::_Options)
    value = Ref{Cdouble}(0.0)
    for (name, text) in opts.settings
        opt = mvn_option_from_name(name)
        opt == 0 && throw(ArgumentError("libmvnorm has no option named $name"))
        st = mvn_option_parse(opt, text, value)
        st == MVN_OK || throw(ArgumentError(
            "option $name = $text is not accepted by libmvnorm (" *
            unsafe_string(mvn_strerror(st)) * ")"))
        st = mvn_context_set(ctx, opt, value[])
        st == MVN_OK || throw(ArgumentError(
            "option $name = $text: " * _status_message(ctx, st, "mvn_context_set")))
    end
    return nothing
end

# The library's progress callback (lib/mvnorm.h section 11).  It must return
# normally: exceptions are caught, kept, and rethrown after the call.
struct _ProgressInfo   # C: mvn_progress (prefix)  -- the C struct may grow at its end
    problems::Csize_t
    problems_done::Csize_t
    evaluations::Cdouble
end

mutable struct _ProgressState
    f::Any
    error::Any
end

function _progress_trampoline(user::Ptr{Cvoid}, info::Ptr{_ProgressInfo})::Cint
    state = unsafe_pointer_to_objref(user)::_ProgressState
    try
        i = unsafe_load(info)
        stop = state.f(Int(i.problems_done), Int(i.problems), Float64(i.evaluations))
        return stop === true ? Cint(1) : Cint(0)
    catch err
        state.error = err
        return Cint(1)
    end
end

# One context per call: Julia tasks migrate between threads, and a context
# must not be used by two threads at once.  Freed in `finally`, whatever
# happens; no finalizer is involved.
function _with_context(f, opts::_Options)
    ctx = mvn_context_alloc()
    ctx == C_NULL && throw(OutOfMemoryError())
    try
        _set_options!(ctx, opts)
        opts.progress === nothing && return f(ctx)
        state = _ProgressState(opts.progress, nothing)
        callback = @cfunction(_progress_trampoline, Cint, (Ptr{Cvoid}, Ptr{_ProgressInfo}))  # C: mvn_progress_fn
        result = GC.@preserve state begin
            st = mvn_context_set_progress(ctx, callback, pointer_from_objref(state))
            st == MVN_OK || _throw_status(st, _status_message(ctx, st, "mvn_context_set_progress"))
            try
                f(ctx)
            catch
                # A cancellation caused by the callback's own exception
                # reports that exception, not MVN_ECANCELED.
                state.error === nothing || throw(state.error)
                rethrow()
            end
        end
        state.error === nothing || throw(state.error)
        return result
    finally
        mvn_context_free(ctx)
    end
end
