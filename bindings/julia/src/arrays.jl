# Arrays as the C API sees them: a pointer to the first element and element
# strides (lib/mvnorm.h section 7).  Julia arrays are column-major, so the
# columns of a d × n matrix are the problems:
#     element k of problem t  at  (t-1)*stride(A, 2) + (k-1)*stride(A, 1)
# which is the C layout with strides {stride(A, 2), stride(A, 1)}.  Strided
# arrays of Float64 (Array, views with ranges, reversed ranges, reshapes)
# go in without copies, negative strides included; anything else (other
# element types, Symmetric, Diagonal, views with index vectors) is copied
# once into an Array{Float64}.

_f64(::Nothing) = nothing
_f64(x::StridedArray{Float64}) = x
_f64(x::AbstractArray{<:Real}) = Array{Float64}(x)

_ptr(::Nothing) = Ptr{Cdouble}(C_NULL)
_ptr(x::StridedArray{Float64}) = pointer(x)
_iptr(::Nothing) = Ptr{Cint}(C_NULL)
_iptr(x::Vector{Cint}) = pointer(x)

_nproblems(::Nothing) = nothing
_nproblems(::AbstractVector) = nothing
_nproblems(x::AbstractMatrix) = size(x, 2)
_nproblems(S::AbstractArray{<:Any,3}) = size(S, 3)

# The dimension d and the number of problems n of a call, with every size
# checked here: the library trusts d and n, so a short array must never
# reach it.
function _problem_shape(μ, Σ, a, b)
    ndims(Σ) in (2, 3) || throw(DimensionMismatch("Σ must be a d × d matrix or a d × d × n array"))
    d = size(Σ, 1)
    size(Σ, 2) == d || throw(DimensionMismatch("Σ is $(size(Σ, 1)) × $(size(Σ, 2)), not square"))
    d >= 1 || throw(DimensionMismatch("the dimension must be at least 1"))
    counts = filter(!isnothing, [_nproblems(a), _nproblems(b), _nproblems(μ), _nproblems(Σ)])
    n = isempty(counts) ? 1 : first(counts)
    all(==(n), counts) ||
        throw(DimensionMismatch("the arguments disagree on the number of problems: $counts"))
    for (name, x) in (("a", a), ("b", b), ("μ", μ))
        x === nothing && continue
        size(x, 1) == d || throw(DimensionMismatch(
            "$name has $(size(x, 1)) rows, but Σ is $d × $d"))
    end
    return d, n
end

# An output vector of length n.  A strided Float64 vector (any stride, a
# negative one included) is written in place through the batch descriptor;
# anything else is filled through a temporary (see _copy_back!).
function _out_vector(x, n::Int, name::AbstractString)
    x === nothing && return nothing
    length(x) == n || throw(DimensionMismatch("$name has length $(length(x)), expected $n"))
    x isa StridedVector{Float64} && return x
    return Vector{Float64}(undef, n)
end
_copy_back!(dest, buf) = (dest === nothing || dest === buf || copyto!(dest, buf); nothing)

# The batch descriptor of lib/mvnorm.h section 12 (ABI 0.2): every array of
# a call, inputs and outputs, as pointer + strides.  This struct mirrors
# mvn_batch_desc field by field (tests/test_julia_ccall.sh checks it); it is
# a prefix of the C struct, which may grow at its end: struct_size tells the
# library how much of it we wrote.
struct _BatchDesc   # C: mvn_batch_desc (prefix)
    struct_size::Csize_t
    n::Csize_t
    d::Csize_t
    memory::Cint
    sigma_kind::Cint
    stream::Ptr{Cvoid}
    lower::Ptr{Cdouble}
    lower_strides::NTuple{2,Cptrdiff_t}
    upper::Ptr{Cdouble}
    upper_strides::NTuple{2,Cptrdiff_t}
    mean::Ptr{Cdouble}
    mean_strides::NTuple{2,Cptrdiff_t}
    sigma::Ptr{Cdouble}
    sigma_strides::NTuple{3,Cptrdiff_t}
    p::Ptr{Cdouble}
    p_stride::Cptrdiff_t
    logp::Ptr{Cdouble}
    logp_stride::Cptrdiff_t
    abserr::Ptr{Cdouble}
    abserr_stride::Cptrdiff_t
    logerr::Ptr{Cdouble}
    logerr_stride::Cptrdiff_t
    status::Ptr{Cint}
    status_stride::Cptrdiff_t
    d_lower::Ptr{Cdouble}
    d_lower_strides::NTuple{2,Cptrdiff_t}
    d_upper::Ptr{Cdouble}
    d_upper_strides::NTuple{2,Cptrdiff_t}
    d_mean::Ptr{Cdouble}
    d_mean_strides::NTuple{2,Cptrdiff_t}
    d_sigma::Ptr{Cdouble}
    d_sigma_strides::NTuple{3,Cptrdiff_t}
    err_lower::Ptr{Cdouble}
    err_lower_strides::NTuple{2,Cptrdiff_t}
    err_upper::Ptr{Cdouble}
    err_upper_strides::NTuple{2,Cptrdiff_t}
    err_sigma::Ptr{Cdouble}
    err_sigma_strides::NTuple{3,Cptrdiff_t}
end

const MVN_COMPUTE = (prob = Cint(0), grad = Cint(1), loggrad = Cint(2))

_s2(x::AbstractVector) = (Cptrdiff_t(0), Cptrdiff_t(stride(x, 1)))
_s2(x::AbstractMatrix) = (Cptrdiff_t(stride(x, 2)), Cptrdiff_t(stride(x, 1)))
_s2(::Nothing) = (Cptrdiff_t(0), Cptrdiff_t(0))
_s3(S::AbstractMatrix) = (Cptrdiff_t(0), Cptrdiff_t(stride(S, 1)), Cptrdiff_t(stride(S, 2)))
_s3(S::AbstractArray{<:Any,3}) = (Cptrdiff_t(stride(S, 3)), Cptrdiff_t(stride(S, 1)), Cptrdiff_t(stride(S, 2)))
_s3(::Nothing) = (Cptrdiff_t(0), Cptrdiff_t(0), Cptrdiff_t(0))
_s1(x::AbstractVector) = Cptrdiff_t(stride(x, 1))
_s1(::Nothing) = Cptrdiff_t(0)

# Pointers into the arrays: valid only inside GC.@preserve of those arrays.
function _batch_desc(n, d, lo, up, mu, sig, p, logp, abserr, logerr, st,
                     g_lo, g_up, g_mu, g_sig, e_lo, e_up, e_sig)
    return _BatchDesc(sizeof(_BatchDesc), n, d, Cint(0), Cint(0), C_NULL,
                      _ptr(lo), _s2(lo), _ptr(up), _s2(up), _ptr(mu), _s2(mu), _ptr(sig), _s3(sig),
                      _ptr(p), _s1(p), _ptr(logp), _s1(logp), _ptr(abserr), _s1(abserr),
                      _ptr(logerr), _s1(logerr), _iptr(st), Cptrdiff_t(1),
                      _ptr(g_lo), _s2(g_lo), _ptr(g_up), _s2(g_up), _ptr(g_mu), _s2(g_mu),
                      _ptr(g_sig), _s3(g_sig), _ptr(e_lo), _s2(e_lo), _ptr(e_up), _s2(e_up),
                      _ptr(e_sig), _s3(e_sig))
end
