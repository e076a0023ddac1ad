# The one body behind every public function: checks the shapes, describes
# the arrays by pointer and strides, makes one context, calls one batch entry
# point of the library and turns its status into Julia exceptions.
#
#   kind = :prob     mvn_logprob_batch        p, logp, abserr, logerr
#   kind = :grad     mvn_prob_grad_err_batch  p, abserr and dP/d(a, b, μ, Σ)
#                                             with their error estimates
#   kind = :loggrad  mvn_logprob_grad_batch   p, logp, abserr, dlogP/d(...)
#
# Outputs p, logp, abserr, logerr may be given (length n; written in place)
# or left `nothing` (not computed).  Derivatives are allocated here as d × n
# and d × d × n arrays: the library writes them item-major and contiguous,
# d_lower[t*d + i], which is exactly Julia's column-major d × n layout.
#
# `status`: when given (an integer vector of length n) the status of each
# problem is written there and failed problems do not throw (their outputs
# are NaN); when `nothing`, the first failure throws.
function _compute(kind::Symbol, μ, Σ, a, b, opts; p = nothing, logp = nothing,
                  abserr = nothing, logerr = nothing, status = nothing,
                  what::AbstractString = "LibMvNorm")
    d, n = _problem_shape(μ, Σ, a, b)
    status === nothing || length(status) == n ||
        throw(DimensionMismatch("status has length $(length(status)), expected $n"))
    lo, up, mu, sig = _f64(a), _f64(b), _f64(μ), _f64(Σ)
    lo_s, up_s, mu_s, sig_s = _limit_strides(lo), _limit_strides(up),
                              _limit_strides(mu), _sigma_strides(sig)
    pb = _out_vector(p, n, "p")
    lpb = _out_vector(logp, n, "logp")
    eb = _out_vector(abserr, n, "abserr")
    leb = _out_vector(logerr, n, "logerr")
    st = Vector{Cint}(undef, n)
    grad = kind !== :prob
    g_lo = grad ? Matrix{Float64}(undef, d, n) : nothing
    g_up = grad ? Matrix{Float64}(undef, d, n) : nothing
    g_mu = grad ? Matrix{Float64}(undef, d, n) : nothing
    g_sig = grad ? Array{Float64}(undef, d, d, n) : nothing
    e_lo = kind === :grad ? Matrix{Float64}(undef, d, n) : nothing
    e_up = kind === :grad ? Matrix{Float64}(undef, d, n) : nothing
    e_sig = kind === :grad ? Array{Float64}(undef, d, d, n) : nothing
    kind in (:prob, :grad, :loggrad) || throw(ArgumentError("unknown computation $kind"))
    evaluations = 0.0
    if n > 0
        evaluations = _with_context(opts) do ctx
            rc = GC.@preserve lo up mu sig lo_s up_s mu_s sig_s pb lpb eb leb st g_lo g_up g_mu g_sig e_lo e_up e_sig begin
                args = (ctx, n, d, _ptr(lo), pointer(lo_s), _ptr(up), pointer(up_s),
                        _ptr(mu), pointer(mu_s), _ptr(sig), pointer(sig_s), Cint(0))
                if kind === :prob
                    mvn_logprob_batch(args..., _ptr(pb), _ptr(lpb), _ptr(eb), _ptr(leb), _iptr(st))
                elseif kind === :grad
                    mvn_prob_grad_err_batch(args..., _ptr(pb), _ptr(lpb), _ptr(eb), _iptr(st),
                                            _ptr(g_lo), _ptr(g_up), _ptr(g_mu), _ptr(g_sig),
                                            _ptr(e_lo), _ptr(e_up), _ptr(e_sig))
                else
                    mvn_logprob_grad_batch(args..., _ptr(pb), _ptr(lpb), _ptr(eb), _iptr(st),
                                           _ptr(g_lo), _ptr(g_up), _ptr(g_mu), _ptr(g_sig))
                end
            end
            if status === nothing || rc == MVN_ETOL
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
