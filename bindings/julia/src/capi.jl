# The C API, one Julia function per C function, and nothing else: every
# ccall of the package is in this file, written with @ccall so that each
# argument carries its C type next to it.  tests/test_julia_ccall.sh checks
# each of them against lib/mvnorm.h and the symbols the built library
# exports (name, number of arguments, types).
#
# Pointers passed here must be kept alive by the caller with GC.@preserve.

"""
    @gcsafe_ccall lib.f(args...)::T

`@ccall` for calls that may compute for a long time.  From Julia 1.12 on the
call is made GC-safe (`gc_safe = true`), so a garbage collection requested by
another thread does not wait for it; the library neither allocates Julia
objects nor calls back into Julia, which is what makes this safe.  Older
Julia versions make a plain `@ccall`: there a long computation delays the
next collection (run long batches from one task, or keep them short).
"""
macro gcsafe_ccall(expr)
    ccall_macro = GlobalRef(Base, Symbol("@ccall"))
    if VERSION >= v"1.12.0-"
        return esc(Expr(:macrocall, ccall_macro, __source__, Expr(:(=), :gc_safe, true), expr))
    else
        return esc(Expr(:macrocall, ccall_macro, __source__, expr))
    end
end

# -- 2. version -------------------------------------------------------------
mvn_version_number() = @ccall libmvnorm().mvn_version_number()::Cuint
mvn_version_string() = @ccall libmvnorm().mvn_version_string()::Ptr{UInt8}

# -- 3. statuses -------------------------------------------------------------
mvn_strerror(status) = @ccall libmvnorm().mvn_strerror(status::Cint)::Cstring

mvn_status_name(status) = @ccall libmvnorm().mvn_status_name(status::Cint)::Ptr{UInt8}

# -- 10. names (0.2) -------------------------------------------------------------
mvn_option_from_name(name) = @ccall libmvnorm().mvn_option_from_name(name::Cstring)::Cint
mvn_option_parse(option, text, value) =
    @ccall libmvnorm().mvn_option_parse(option::Cint, text::Cstring, value::Ref{Cdouble})::Cint

# -- 11. progress and cancellation (0.2) -------------------------------------------
mvn_context_set_progress(ctx, fn, user) =
    @ccall libmvnorm().mvn_context_set_progress(ctx::Ptr{Cvoid}, fn::Ptr{Cvoid}, user::Ptr{Cvoid})::Cint

# -- 5. context and options ----------------------------------------------------
mvn_context_alloc() = @ccall libmvnorm().mvn_context_alloc()::Ptr{Cvoid}
mvn_context_free(ctx) = @ccall libmvnorm().mvn_context_free(ctx::Ptr{Cvoid})::Cvoid
mvn_context_set(ctx, option, value) =
    @ccall libmvnorm().mvn_context_set(ctx::Ptr{Cvoid}, option::Cint, value::Cdouble)::Cint
mvn_context_message(ctx) = @ccall libmvnorm().mvn_context_message(ctx::Ptr{Cvoid})::Cstring
mvn_context_evaluations(ctx) = @ccall libmvnorm().mvn_context_evaluations(ctx::Ptr{Cvoid})::Cdouble

# -- 14. multivariate t probabilities (0.2) --------------------------------------
mvn_prob_t(ctx, d, df, lower, upper, delta, sigma, p, logp, abserr) =
    @gcsafe_ccall libmvnorm().mvn_prob_t(ctx::Ptr{Cvoid}, d::Csize_t, df::Cdouble,
                                         lower::Ptr{Cdouble}, upper::Ptr{Cdouble},
                                         delta::Ptr{Cdouble}, sigma::Ptr{Cdouble},
                                         p::Ref{Cdouble}, logp::Ref{Cdouble},
                                         abserr::Ref{Cdouble})::Cint

mvn_prob_t_grad(ctx, d, df, lower, upper, delta, sigma, p, logp, abserr, d_lower, d_upper) =
    @gcsafe_ccall libmvnorm().mvn_prob_t_grad(ctx::Ptr{Cvoid}, d::Csize_t, df::Cdouble,
                                              lower::Ptr{Cdouble}, upper::Ptr{Cdouble},
                                              delta::Ptr{Cdouble}, sigma::Ptr{Cdouble},
                                              p::Ref{Cdouble}, logp::Ref{Cdouble},
                                              abserr::Ref{Cdouble}, d_lower::Ptr{Cdouble},
                                              d_upper::Ptr{Cdouble})::Cint

mvn_prob_t_grad_sigma(ctx, d, df, lower, upper, delta, sigma, p, logp, abserr, d_lower, d_upper,
                      d_sigma) =
    @gcsafe_ccall libmvnorm().mvn_prob_t_grad_sigma(ctx::Ptr{Cvoid}, d::Csize_t, df::Cdouble,
                                                    lower::Ptr{Cdouble}, upper::Ptr{Cdouble},
                                                    delta::Ptr{Cdouble}, sigma::Ptr{Cdouble},
                                                    p::Ref{Cdouble}, logp::Ref{Cdouble},
                                                    abserr::Ref{Cdouble},
                                                    d_lower::Ptr{Cdouble},
                                                    d_upper::Ptr{Cdouble},
                                                    d_sigma::Ptr{Cdouble})::Cint

# -- 13. equicoordinate quantiles (0.2) ------------------------------------------
mvn_quantile_equi(ctx, d, p, tail, mean, sigma, q, q_err, p_at_q, p_err) =
    @gcsafe_ccall libmvnorm().mvn_quantile_equi(ctx::Ptr{Cvoid}, d::Csize_t, p::Cdouble,
                                                tail::Cint, mean::Ptr{Cdouble},
                                                sigma::Ptr{Cdouble}, q::Ref{Cdouble},
                                                q_err::Ref{Cdouble}, p_at_q::Ref{Cdouble},
                                                p_err::Ref{Cdouble})::Cint

mvn_quantile_equi_t(ctx, d, df, p, tail, loc, delta, sigma, q, q_err, p_at_q, p_err) =
    @gcsafe_ccall libmvnorm().mvn_quantile_equi_t(ctx::Ptr{Cvoid}, d::Csize_t, df::Cdouble,
                                                  p::Cdouble, tail::Cint, loc::Ptr{Cdouble},
                                                  delta::Ptr{Cdouble}, sigma::Ptr{Cdouble},
                                                  q::Ref{Cdouble}, q_err::Ref{Cdouble},
                                                  p_at_q::Ref{Cdouble},
                                                  p_err::Ref{Cdouble})::Cint

# -- 12. batch descriptor (0.2): the one computing entry point used ------------
# Every array of a call, inputs and outputs, with its strides, in one
# struct (_BatchDesc, in arrays.jl, mirrors mvn_batch_desc).
mvn_batch_compute(ctx, computation, desc) =
    @gcsafe_ccall libmvnorm().mvn_batch_compute(ctx::Ptr{Cvoid}, computation::Cint,
                                                desc::Ref{_BatchDesc})::Cint

# -- exact sampling from the truncated normal (0.2) ----------------------------
mvn_sample_truncated(ctx, d, lower, upper, mean, sigma, n, x, accept_rate) =
    @gcsafe_ccall libmvnorm().mvn_sample_truncated(ctx::Ptr{Cvoid}, d::Csize_t,
                                                   lower::Ptr{Cdouble}, upper::Ptr{Cdouble},
                                                   mean::Ptr{Cdouble}, sigma::Ptr{Cdouble},
                                                   n::Csize_t, x::Ptr{Cdouble},
                                                   accept_rate::Ref{Cdouble})::Cint
