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
mvn_option_name(option) = @ccall libmvnorm().mvn_option_name(option::Cint)::Ptr{UInt8}
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

# -- 7. batch API --------------------------------------------------------------
function mvn_logprob_batch(ctx, n, d, lower, lower_strides, upper, upper_strides,
                           mean, mean_strides, sigma, sigma_strides, sigma_kind,
                           p, logp, abserr, logerr, status)
    return @gcsafe_ccall libmvnorm().mvn_logprob_batch(
        ctx::Ptr{Cvoid}, n::Csize_t, d::Csize_t,
        lower::Ptr{Cdouble}, lower_strides::Ptr{Cptrdiff_t},
        upper::Ptr{Cdouble}, upper_strides::Ptr{Cptrdiff_t},
        mean::Ptr{Cdouble}, mean_strides::Ptr{Cptrdiff_t},
        sigma::Ptr{Cdouble}, sigma_strides::Ptr{Cptrdiff_t},
        sigma_kind::Cint,
        p::Ptr{Cdouble}, logp::Ptr{Cdouble}, abserr::Ptr{Cdouble},
        logerr::Ptr{Cdouble}, status::Ptr{Cint})::Cint
end

# -- 9. derivatives --------------------------------------------------------------
function mvn_prob_grad_err_batch(ctx, n, d, lower, lower_strides, upper, upper_strides,
                                 mean, mean_strides, sigma, sigma_strides, sigma_kind,
                                 p, logp, abserr, status, d_lower, d_upper, d_mean,
                                 d_sigma, err_lower, err_upper, err_sigma)
    return @gcsafe_ccall libmvnorm().mvn_prob_grad_err_batch(
        ctx::Ptr{Cvoid}, n::Csize_t, d::Csize_t,
        lower::Ptr{Cdouble}, lower_strides::Ptr{Cptrdiff_t},
        upper::Ptr{Cdouble}, upper_strides::Ptr{Cptrdiff_t},
        mean::Ptr{Cdouble}, mean_strides::Ptr{Cptrdiff_t},
        sigma::Ptr{Cdouble}, sigma_strides::Ptr{Cptrdiff_t},
        sigma_kind::Cint,
        p::Ptr{Cdouble}, logp::Ptr{Cdouble}, abserr::Ptr{Cdouble}, status::Ptr{Cint},
        d_lower::Ptr{Cdouble}, d_upper::Ptr{Cdouble}, d_mean::Ptr{Cdouble},
        d_sigma::Ptr{Cdouble},
        err_lower::Ptr{Cdouble}, err_upper::Ptr{Cdouble}, err_sigma::Ptr{Cdouble})::Cint
end

function mvn_logprob_grad_batch(ctx, n, d, lower, lower_strides, upper, upper_strides,
                                mean, mean_strides, sigma, sigma_strides, sigma_kind,
                                p, logp, abserr, status, d_lower, d_upper, d_mean, d_sigma)
    return @gcsafe_ccall libmvnorm().mvn_logprob_grad_batch(
        ctx::Ptr{Cvoid}, n::Csize_t, d::Csize_t,
        lower::Ptr{Cdouble}, lower_strides::Ptr{Cptrdiff_t},
        upper::Ptr{Cdouble}, upper_strides::Ptr{Cptrdiff_t},
        mean::Ptr{Cdouble}, mean_strides::Ptr{Cptrdiff_t},
        sigma::Ptr{Cdouble}, sigma_strides::Ptr{Cptrdiff_t},
        sigma_kind::Cint,
        p::Ptr{Cdouble}, logp::Ptr{Cdouble}, abserr::Ptr{Cdouble}, status::Ptr{Cint},
        d_lower::Ptr{Cdouble}, d_upper::Ptr{Cdouble}, d_mean::Ptr{Cdouble},
        d_sigma::Ptr{Cdouble})::Cint
end
