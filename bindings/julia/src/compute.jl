# The one body behind every public function: checks the shapes, describes
# every array (inputs and outputs) by pointer and strides in one batch
# descriptor, makes one context, calls mvn_batch_compute and turns its
# status into Julia exceptions.
#
#   kind = :prob     MVN_COMPUTE_PROB      p, logp, abserr, logerr
#   kind = :grad     MVN_COMPUTE_GRAD      and dP/d(a, b, μ, Σ) with errors
#   kind = :loggrad  MVN_COMPUTE_LOG_GRAD  and dlogP/d(a, b, μ, Σ)
#
# Outputs p, logp, abserr, logerr may be given (length n, any stride: views
# are written in place) or left `nothing` (not computed).  Derivatives are
# allocated here as d × n and d × d × n arrays (column t is problem t).
#
# `status`: when given (an integer vector of length n) the status of each
# problem is written there and failed problems do not throw (their outputs
# are NaN); when `nothing`, the first failure throws.
function _compute(kind::Symbol, μ, Σ, a, b, opts; p = nothing, logp = nothing,
                  abserr = nothing, logerr = nothing, status = nothing,
                  what::AbstractString = "LibMvNorm")
    haskey(MVN_COMPUTE, kind) || throw(ArgumentError("unknown computation $kind"))
    d, n = _problem_shape(μ, Σ, a, b)
    status === nothing || length(status) == n ||
        throw(DimensionMismatch("status has length $(length(status)), expected $n"))
    lo, up, mu, sig = _f64(a), _f64(b), _f64(μ), _f64(Σ)
    pb = _out_vector(p, n, "p")
    lpb = _out_vector(logp, n, "logp")
    eb = _out_vector(abserr, n, "abserr")
    leb = _out_vector(logerr, n, "logerr")
    st = fill(Cint(-1), n)   # -1: not written by the library
    grad = kind !== :prob
    g_lo = grad ? Matrix{Float64}(undef, d, n) : nothing
    g_up = grad ? Matrix{Float64}(undef, d, n) : nothing
    g_mu = grad ? Matrix{Float64}(undef, d, n) : nothing
    g_sig = grad ? Array{Float64}(undef, d, d, n) : nothing
    e_lo = kind === :grad ? Matrix{Float64}(undef, d, n) : nothing
    e_up = kind === :grad ? Matrix{Float64}(undef, d, n) : nothing
    e_sig = kind === :grad ? Array{Float64}(undef, d, d, n) : nothing
    evaluations = 0.0
    if n > 0
        evaluations = _with_context(opts) do ctx
            rc = GC.@preserve lo up mu sig pb lpb eb leb st g_lo g_up g_mu g_sig e_lo e_up e_sig begin
                desc = Ref(_batch_desc(n, d, lo, up, mu, sig, pb, lpb, eb, leb, st,
                                       g_lo, g_up, g_mu, g_sig, e_lo, e_up, e_sig))
                mvn_batch_compute(ctx, MVN_COMPUTE[kind], desc)
            end
            # With a status vector, per-problem failures are reported there;
            # a call that failed before writing them (-1 left) still throws.
            if status === nothing || rc == MVN_ETOL || any(==(Cint(-1)), st)
                _check_status(ctx, rc, what, opts.etol)
            end
            mvn_context_evaluations(ctx)
        end
    end
    _copy_back!(p, pb)
    _copy_back!(logp, lpb)
    _copy_back!(abserr, eb)
    _copy_back!(logerr, leb)
    status === nothing || copyto!(status, st)
    return (d = d, n = n, p = pb, logp = lpb, abserr = eb, logerr = leb, status = st,
            d_lower = g_lo, d_upper = g_up, d_mean = g_mu, d_sigma = g_sig,
            err_lower = e_lo, err_upper = e_up, err_sigma = e_sig,
            evaluations = evaluations)
end
