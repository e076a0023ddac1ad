# ForwardDiff glue: dual numbers through the library's gradients.  One C
# call gives the value and the derivatives with respect to every input;
# each dual partial is the chain rule over them,
#     ∂p = Σ_i ∂p/∂a_i ∂a_i + ∂p/∂b_i ∂b_i + ∂p/∂μ_i ∂μ_i + Σ_ij G_ij ∂Σ_ij,
# with G the symmetric dP/dΣ of the library (exact for symmetric ∂Σ, which
# is what a symmetric Σ(θ) gives).  This adds methods to LibMvNorm's own
# internal function for ForwardDiff's Dual: no piracy.  Second derivatives
# (nested duals) are not supported and raise an error.
module LibMvNormForwardDiffExt

using LibMvNorm
using ForwardDiff: ForwardDiff, Dual, Partials, value, partials

_values(::Nothing) = nothing
_values(x::AbstractArray) = map(_float_value, x)
_float_value(x::Real) = Float64(x)
_float_value(x::Dual) = _float_value_dual(value(x))
_float_value_dual(v::Real) = Float64(v)
_float_value_dual(::Dual) = throw(ArgumentError(
    "LibMvNorm: second derivatives (nested ForwardDiff duals) are not supported"))

# Σ_k g[k] * partials(x[k]), for the duals of tag T with N partials.
function _accumulate(acc::Partials{N,Float64}, g, x, ::Type{Dual{T,V,N}}) where {T,V,N}
    x === nothing && return acc
    for k in eachindex(x, g)
        xk = x[k]
        xk isa Dual{T} || continue
        gk = g[k]
        iszero(gk) && continue   # infinite limits (NaN derivatives propagate)
        acc += Partials{N,Float64}(map(Float64, partials(xk).values)) * gk
    end
    return acc
end

function _dual_result(::Type{D}, v, g, μ, Σ, a, b) where {T,V,N,D<:Dual{T,V,N}}
    acc = zero(Partials{N,Float64})
    acc = _accumulate(acc, g.a, a, D)
    acc = _accumulate(acc, g.b, b, D)
    acc = _accumulate(acc, g.μ, μ, D)
    acc = _accumulate(acc, g.Σ, Σ, D)
    return Dual{T}(v, acc)
end

function LibMvNorm._cdf(::Val{L}, ::Type{D}, μ, Σ, a, b; kw...) where {L,D<:Dual}
    vμ, vΣ, va, vb = _values(μ), _values(Σ), _values(a), _values(b)
    if L
        g = mvnormlogcdf_grad(vμ, vΣ, va, vb; kw...)
        return (_dual_result(D, g.logp, g, μ, Σ, a, b), g.logerr)
    else
        g = mvnormcdf_grad(vμ, vΣ, va, vb; kw...)
        return (_dual_result(D, g.p, g, μ, Σ, a, b), g.err)
    end
end

end # module
