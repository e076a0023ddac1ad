# ChainRulesCore glue: reverse rules for the single-problem functions, built
# on the library's gradients (one C call gives the value and every
# derivative).  `err` is an error estimate, not a differentiable output: its
# cotangent is ignored.  Batches (matrix limits) have no rule.
module LibMvNormChainRulesCoreExt

using LibMvNorm
using ChainRulesCore
using ChainRulesCore: AbstractZero, NoTangent, ProjectTo, unthunk

const RealVec = AbstractVector{<:Real}
const RealMat = AbstractMatrix{<:Real}

# The cotangent of the first element of the returned tuple (p or logp).
function _dvalue(Δ)
    Δ = unthunk(Δ)
    Δ isa AbstractZero && return 0.0
    v = unthunk(Δ[1])
    return v isa AbstractZero ? 0.0 : Float64(v)
end

function _rule(grad, μ, Σ, a, b; kw...)
    g = grad(μ, Σ, a, b; kw...)
    value = hasproperty(g, :p) ? (g.p, g.err) : (g.logp, g.logerr)
    pμ, pΣ, pa, pb = (μ === nothing ? identity : ProjectTo(μ)), ProjectTo(Σ), ProjectTo(a), ProjectTo(b)
    function pullback(Δ)
        s = _dvalue(Δ)
        dμ = μ === nothing ? NoTangent() : pμ(s .* g.μ)
        return (NoTangent(), dμ, pΣ(s .* g.Σ), pa(s .* g.a), pb(s .* g.b))
    end
    return value, pullback
end

function ChainRulesCore.rrule(::typeof(mvnormcdf), μ::RealVec, Σ::RealMat, a::RealVec,
                              b::RealVec; kw...)
    return _rule(mvnormcdf_grad, μ, Σ, a, b; kw...)
end

function ChainRulesCore.rrule(::typeof(mvnormlogcdf), μ::RealVec, Σ::RealMat, a::RealVec,
                              b::RealVec; kw...)
    return _rule(mvnormlogcdf_grad, μ, Σ, a, b; kw...)
end

function ChainRulesCore.rrule(::typeof(mvnormcdf), Σ::RealMat, a::RealVec, b::RealVec; kw...)
    value, back = _rule(mvnormcdf_grad, nothing, Σ, a, b; kw...)
    pullback3(Δ) = (t = back(Δ); (t[1], t[3], t[4], t[5]))
    return value, pullback3
end

function ChainRulesCore.rrule(::typeof(mvnormlogcdf), Σ::RealMat, a::RealVec, b::RealVec; kw...)
    value, back = _rule(mvnormlogcdf_grad, nothing, Σ, a, b; kw...)
    pullback3(Δ) = (t = back(Δ); (t[1], t[3], t[4], t[5]))
    return value, pullback3
end

end # module
