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

# Strides {problem, element} of a limit or mean argument: a vector is shared
# by every problem (stride 0), a d × n matrix gives one column per problem.
_limit_strides(::Nothing) = Cptrdiff_t[0, 0]
_limit_strides(x::AbstractVector) = Cptrdiff_t[0, stride(x, 1)]
_limit_strides(x::AbstractMatrix) = Cptrdiff_t[stride(x, 2), stride(x, 1)]

# Strides {problem, row, column} of Σ: one d × d matrix for every problem
# (factored once by the library), or a d × d × n array.
_sigma_strides(S::AbstractMatrix) = Cptrdiff_t[0, stride(S, 1), stride(S, 2)]
_sigma_strides(S::AbstractArray{<:Any,3}) = Cptrdiff_t[stride(S, 3), stride(S, 1), stride(S, 2)]

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

# An output vector of length n.  The 0.1 batch entry points write outputs
# contiguously: a vector with unit stride is written in place, any other is
# filled through a temporary (see _copy_back!).
function _out_vector(x, n::Int, name::AbstractString)
    x === nothing && return nothing
    length(x) == n || throw(DimensionMismatch("$name has length $(length(x)), expected $n"))
    x isa StridedVector{Float64} && stride(x, 1) == 1 && return x
    return Vector{Float64}(undef, n)
end
_copy_back!(dest, buf) = (dest === nothing || dest === buf || copyto!(dest, buf); nothing)
