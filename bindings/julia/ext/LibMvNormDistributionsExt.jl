# Distributions.jl glue: our functions accept an MvNormal (any
# AbstractMvNormal with mean and cov).  No method is added to a function
# Distributions owns (cdf, logcdf, ...) for a type it owns: that would be
# type piracy.
module LibMvNormDistributionsExt

using LibMvNorm
using Distributions: AbstractMvNormal, mean, cov

_sigma(d::AbstractMvNormal) = Matrix{Float64}(cov(d))

"""
    mvnormcdf(d::AbstractMvNormal, a, b; kw...) -> (p, err)

`P(a < X < b)` for `X ~ d`, as MvNormalCDF.jl's method for `MvNormal`.
"""
LibMvNorm.mvnormcdf(d::AbstractMvNormal, a::AbstractVecOrMat{<:Real},
                    b::AbstractVecOrMat{<:Real}; kw...) =
    mvnormcdf(mean(d), _sigma(d), a, b; kw...)

LibMvNorm.mvnormlogcdf(d::AbstractMvNormal, a::AbstractVecOrMat{<:Real},
                       b::AbstractVecOrMat{<:Real}; kw...) =
    mvnormlogcdf(mean(d), _sigma(d), a, b; kw...)

LibMvNorm.mvnormcdf_grad(d::AbstractMvNormal, a::AbstractVecOrMat{<:Real},
                         b::AbstractVecOrMat{<:Real}; kw...) =
    mvnormcdf_grad(mean(d), _sigma(d), a, b; kw...)

LibMvNorm.mvnormlogcdf_grad(d::AbstractMvNormal, a::AbstractVecOrMat{<:Real},
                            b::AbstractVecOrMat{<:Real}; kw...) =
    mvnormlogcdf_grad(mean(d), _sigma(d), a, b; kw...)

LibMvNorm.mvnormcdf!(p, err, d::AbstractMvNormal, A, B; kw...) =
    mvnormcdf!(p, err, mean(d), _sigma(d), A, B; kw...)

LibMvNorm.mvnormlogcdf!(logp, logerr, d::AbstractMvNormal, A, B; kw...) =
    mvnormlogcdf!(logp, logerr, mean(d), _sigma(d), A, B; kw...)

end # module
