# Test suite of LibMvNorm (Julia's Test stdlib).  Run with
#     MVNORM_LIBRARY=/path/to/libmvnorm.so.1 julia --project=bindings/julia -e 'using Pkg; Pkg.test()'
# tests/test_julia_runtests.sh runs it from `make check` where `julia` exists.
# References are exact (orthant probabilities, products of univariate terms,
# SciPy's norm.logcdf for the tail); derivatives are checked against central
# finite differences of the library's own probabilities.
using Test
using LinearAlgebra
using Random
using LibMvNorm
using LibMvNorm: MvNormError
# Loading these activates the package extensions under test.
using Distributions
using ForwardDiff
using ChainRulesCore

struct Stop <: Exception end

# Exact references.
orthant2(ρ) = 1 / 4 + asin(ρ) / (2π)
orthant3(r12, r13, r23) = 1 / 8 + (asin(r12) + asin(r13) + asin(r23)) / (4π)
equicorr(d, ρ) = [i == j ? 1.0 : ρ for i in 1:d, j in 1:d]
const LOGPHI_M40 = -804.6084420137539   # scipy.stats.norm.logcdf(-40.0)
const PHI_M1 = 0.15865525393145707      # Φ(-1)
const PHI_BOX = 0.624655260005155       # Φ(0.5) - Φ(-1.5)

const TIGHT = (abseps = 1e-10, releps = 0.0)

@testset "LibMvNorm" begin
    @testset "library" begin
        @test isfile(LibMvNorm.libmvnorm()) || !isempty(LibMvNorm.libmvnorm())
        @test LibMvNorm.library_version() >= v"0.2.0"
    end

    @testset "values against exact references" begin
        Σ2 = [1.0 0.3; 0.3 1.0]
        p, err = mvnormcdf(Σ2, [-Inf, -Inf], [0.0, 0.0]; TIGHT...)
        @test p ≈ orthant2(0.3) atol = 1e-12
        @test 0 <= err <= 1e-9
        # with a mean: P(X < μ) for X ~ N(μ, Σ) is the same orthant
        p, _ = mvnormcdf([1.0, -2.0], Σ2, [-Inf, -Inf], [1.0, -2.0]; TIGHT...)
        @test p ≈ orthant2(0.3) atol = 1e-12
        S3 = [1.0 0.2 -0.4; 0.2 1.0 0.5; -0.4 0.5 1.0]
        p, _ = mvnormcdf(S3, fill(-Inf, 3), zeros(3); TIGHT...)
        @test p ≈ orthant3(0.2, -0.4, 0.5) atol = 1e-12
        # d = 6: QMC; equicorrelated ρ = 1/2 orthant = 1/(d+1)
        p, err = mvnormcdf(equicorr(6, 0.5), fill(-Inf, 6), zeros(6); abseps = 1e-6)
        @test abs(p - 1 / 7) <= max(5 * err, 1e-6)
        # diagonal Σ: a product of univariate terms
        p, _ = mvnormcdf(Diagonal([1.0, 4.0]), [-Inf, -1.5 * 2], [-1.0, 0.5 * 2]; TIGHT...)
        @test p ≈ PHI_M1 * PHI_BOX rtol = 1e-12
        # integer inputs are converted
        p1, _ = mvnormcdf([1 0; 0 1], [-1, -1], [1, 1])
        p2, _ = mvnormcdf([1.0 0; 0 1], [-1.0, -1], [1.0, 1])
        @test p1 == p2
    end

    @testset "MvNormalCDF.jl-compatible calls" begin
        Σ = equicorr(5, 0.3)
        a, b = fill(-1.0, 5), fill(1.5, 5)
        p0, e0 = mvnormcdf(zeros(5), Σ, a, b)
        p1, e1 = mvnormcdf(Σ, a, b)
        @test (p0, e0) == (p1, e1)
        # rng seeds the library: the same seeded rng gives the same numbers
        r1 = mvnormcdf(Σ, a, b; rng = MersenneTwister(7), m = 20_000, etol = :ignore)
        r2 = mvnormcdf(Σ, a, b; rng = MersenneTwister(7), m = 20_000, etol = :ignore)
        @test r1 == r2
        @test mvnormcdf(Σ, a, b; seed = 3) == mvnormcdf(Σ, a, b; seed = 3)
        # threads never change the numbers
        @test mvnormcdf(Σ, a, b; threads = 2) == mvnormcdf(Σ, a, b; threads = 1)
    end

    @testset "log-probabilities" begin
        Σ = [1.0 0.0; 0.0 1.0]
        lp, lerr = mvnormlogcdf(Σ, [-Inf, -Inf], [-40.0, -40.0]; abseps = 0.0, releps = 1e-8)
        @test lp ≈ 2 * LOGPHI_M40 rtol = 1e-10
        @test isfinite(lerr)
        p, _ = mvnormcdf(Σ, [-Inf, -Inf], [-40.0, -40.0])
        @test p == 0.0   # underflows, the logarithm does not
        lp, _ = mvnormlogcdf([0.5, 0.0], [1.0 0.3; 0.3 1.0], [-1.0, -Inf], [1.0, 0.5]; TIGHT...)
        p, _ = mvnormcdf([0.5, 0.0], [1.0 0.3; 0.3 1.0], [-1.0, -Inf], [1.0, 0.5]; TIGHT...)
        @test exp(lp) ≈ p rtol = 1e-12
    end

    @testset "batches, strides, in place" begin
        d, n = 3, 5
        S = [1.0 0.2 0.1; 0.2 1.0 0.3; 0.1 0.3 1.0]
        A = [-1.0 - 0.1 * (i + t) for i in 1:d, t in 1:n]
        B = [0.5 + 0.2 * (i * t) for i in 1:d, t in 1:n]
        single = [mvnormcdf(S, A[:, t], B[:, t]) for t in 1:n]
        p, err = mvnormcdf(S, A, B)
        @test p == first.(single)
        @test err == last.(single)
        # reversed columns: a negative stride, no copy
        Ar, Br = view(A, :, n:-1:1), view(B, :, n:-1:1)
        @test stride(Ar, 2) < 0
        pr, _ = mvnormcdf(S, Ar, Br)
        @test pr == reverse(p)
        # rows of a larger matrix (stride 2 in the element direction)
        Abig = zeros(2d, n); Abig[1:2:end, :] .= A
        pv, _ = mvnormcdf(S, view(Abig, 1:2:2d, :), B)
        @test pv == p
        # strided output vectors
        out = fill(NaN, 2n)
        mvnormcdf!(view(out, 2:2:2n), nothing, nothing, S, A, B)
        @test out[2:2:end] == p
        @test all(isnan, out[1:2:end])
        # a reversed output vector (negative stride), written in place
        back = zeros(n)
        mvnormcdf!(view(back, n:-1:1), nothing, nothing, S, A, B)
        @test back == reverse(p)
        # one Σ per problem (d × d × n) and one mean per problem (d × n)
        Ss = cat((S for _ in 1:n)...; dims = 3)
        M = zeros(d, n)
        p3, _ = mvnormcdf(M, Ss, A, B)
        @test p3 == p
        # nothing = infinite limits
        pinf = mvnormcdf!(zeros(n), nothing, nothing, S, nothing, B)[1]
        @test pinf == mvnormcdf(S, fill(-Inf, d, n), B)[1]
        # log batch
        lp, le = mvnormlogcdf(S, A, B)
        @test exp.(lp) ≈ p rtol = 1e-12
        # status vector: a bad problem does not throw, it is reported
        Bbad = copy(B); Bbad[1, 2] = A[1, 2] - 1
        st = zeros(Int, n)
        pb = zeros(n)
        mvnormcdf!(pb, nothing, nothing, S, A, Bbad; status = st)
        @test st[2] != 0 && count(!=(0), st) == 1
        @test isnan(pb[2]) && pb[1] == p[1]
        @test_throws ArgumentError mvnormcdf(S, A, Bbad)
    end

    @testset "gradients against finite differences" begin
        μ = [0.2, -0.1, 0.3]
        S = [1.0 0.4 0.2; 0.4 1.5 -0.3; 0.2 -0.3 0.8]
        a = [-1.0, -Inf, -0.5]
        b = [0.8, 1.2, Inf]
        kw = TIGHT
        g = mvnormcdf_grad(μ, S, a, b; kw...)
        @test g.p ≈ mvnormcdf(μ, S, a, b; kw...)[1] rtol = 1e-12
        P(μ, S, a, b) = mvnormcdf(μ, S, a, b; kw...)[1]
        h = 1e-5
        for i in 1:3
            e = zeros(3); e[i] = h
            if isfinite(a[i])
                @test g.a[i] ≈ (P(μ, S, a + e, b) - P(μ, S, a - e, b)) / 2h atol = 1e-7
            else
                @test g.a[i] == 0
            end
            if isfinite(b[i])
                @test g.b[i] ≈ (P(μ, S, a, b + e) - P(μ, S, a, b - e)) / 2h atol = 1e-7
            else
                @test g.b[i] == 0
            end
            @test g.μ[i] ≈ (P(μ + e, S, a, b) - P(μ - e, S, a, b)) / 2h atol = 1e-7
        end
        @test g.μ ≈ -(g.a + g.b) atol = 1e-12
        @test g.Σ ≈ g.Σ' atol = 1e-14
        for i in 1:3, j in i:3
            E = zeros(3, 3); E[i, j] = h; E[j, i] = h
            fd = (P(μ, S + E, a, b) - P(μ, S - E, a, b)) / 2h
            # dP = sum(G .* dΣ) for the symmetric perturbation E
            @test (i == j ? g.Σ[i, i] : 2 * g.Σ[i, j]) ≈ fd atol = 1e-7
        end
        lg = mvnormlogcdf_grad(μ, S, a, b; kw...)
        @test lg.logp ≈ log(g.p) rtol = 1e-12
        @test lg.logerr ≈ mvnormlogcdf(μ, S, a, b; kw...)[2] rtol = 1e-6
        @test lg.a ≈ g.a / g.p rtol = 1e-8
        @test lg.Σ ≈ g.Σ / g.p rtol = 1e-8
        # batch gradients: one column per problem
        gb = mvnormcdf_grad(μ, S, hcat(a, a), hcat(b, b); kw...)
        @test size(gb.a) == (3, 2) && size(gb.Σ) == (3, 3, 2)
        @test gb.a[:, 2] == g.a
    end

    @testset "errors" begin
        S = [1.0 0.5; 0.5 1.0]
        @test_throws ArgumentError mvnormcdf(S, [1.0, 0.0], [0.0, 1.0])       # a > b
        @test_throws ArgumentError mvnormcdf(S, [NaN, 0.0], [1.0, 1.0])
        @test_throws ArgumentError mvnormcdf([1.0 0.5; 0.4 1.0], [0.0, 0.0], [1.0, 1.0])
        @test_throws DimensionMismatch mvnormcdf(S, [0.0], [1.0, 1.0])
        @test_throws DimensionMismatch mvnormcdf(zeros(3), S, [0.0, 0.0], [1.0, 1.0])
        @test_throws PosDefException mvnormcdf([1.0 2.0; 2.0 1.0], [0.0, 0.0], [1.0, 1.0])
        @test_throws ArgumentError mvnormcdf(S, [0.0, 0.0], [1.0, 1.0]; method = :fast)
        @test_throws ArgumentError mvnormcdf(S, [0.0, 0.0], [1.0, 1.0]; backend = :tpu)
        @test_throws ArgumentError mvnormcdf(S, [0.0, 0.0], [1.0, 1.0]; abseps = -1)
        # the message names the status and repeats the library's reason
        msg = try
            mvnormcdf(S, [1.0, 0.0], [0.0, 1.0]); ""
        catch e
            sprint(showerror, e)
        end
        @test occursin("MVN_EBOUNDS", msg)
        # a missed tolerance: a warning by default, an error on request
        Σ = equicorr(8, 0.5)
        a, b = fill(-Inf, 8), fill(0.0, 8)
        @test_logs (:warn,) match_mode = :any mvnormcdf(Σ, a, b; m = 1000, abseps = 1e-14)
        @test_throws MvNormError mvnormcdf(Σ, a, b; m = 1000, abseps = 1e-14, etol = :error)
        @test_logs mvnormcdf(Σ, a, b; m = 1000, abseps = 1e-14, etol = :ignore)
    end

    @testset "progress and cancellation" begin
        Σ = equicorr(10, 0.5)
        a, b = fill(-Inf, 10), fill(0.0, 10)
        calls = Ref(0)
        p, _ = mvnormcdf(Σ, a, b; abseps = 1e-5, progress = (done, total, ev) -> (calls[] += 1; false))
        @test calls[] >= 1
        err = try
            mvnormcdf(Σ, a, b; abseps = 1e-9, progress = (done, total, ev) -> true); nothing
        catch e
            e
        end
        @test err isa MvNormError && err.status == 11
        @test_throws Stop mvnormcdf(Σ, a, b; abseps = 1e-9, progress = (x...) -> throw(Stop()))
    end

    @testset "exact sampling from the truncated normal" begin
        # N(0, 1) given -0.5 < X < 1: the mean from the closed form, within
        # 5 standard errors.
        n = 50_000
        X, rate = mvnormrand(fill(1.0, 1, 1), [-0.5], [1.0], n; seed = 3)
        @test size(X) == (1, n) && rate == 1.0
        @test all(x -> -0.5 <= x <= 1.0, X)
        φ(x) = exp(-x^2 / 2) / sqrt(2π)
        Z = mvnormcdf(fill(1.0, 1, 1), [-0.5], [1.0])[1]
        m = (φ(-0.5) - φ(1.0)) / Z
        v = 1 + (-0.5 * φ(-0.5) - φ(1.0)) / Z - m^2
        @test abs(sum(X) / n - m) <= 5 * sqrt(v / n)
        # d = 10 equicorrelated 0.5, all X_i > 6 (P = 8.5e-20): inside, useful rate
        S = fill(0.5, 10, 10) + 0.5I
        Y, r = mvnormrand(S, fill(6.0, 10), fill(Inf, 10), 500; seed = 1)
        @test all(>=(6.0), Y) && r > 0.05
        # reproducible from the seed, independent of threads
        @test mvnormrand(S, fill(6.0, 10), fill(Inf, 10), 500; seed = 1, threads = 2)[1] == Y
        @test mvnormrand(S, fill(6.0, 10), fill(Inf, 10), 500; seed = 2)[1] != Y
        # errors
        @test_throws ArgumentError mvnormrand(S, fill(1.0, 10), fill(1.0, 10), 5)
        @test_throws MvNormError mvnormrand(ones(2, 2), [0.0, 0.0], [1.0, 1.0], 5)
        @test_throws DimensionMismatch mvnormrand(S, fill(1.0, 10), fill(Inf, 10), 0)
    end

    @testset "extension: Distributions" begin
        μ, S = [0.1, 0.2], [1.0 0.3; 0.3 2.0]
        D = MvNormal(μ, S)
        @test mvnormcdf(D, [-1.0, -1.0], [1.0, 1.0]) == mvnormcdf(μ, S, [-1.0, -1.0], [1.0, 1.0])
        @test mvnormlogcdf(D, [-1.0, -1.0], [1.0, 1.0]) ==
              mvnormlogcdf(μ, S, [-1.0, -1.0], [1.0, 1.0])
        # no piracy: Distributions' own cdf for MvNormal is left alone
        @test !hasmethod(cdf, Tuple{typeof(D),Vector{Float64}}) ||
              parentmodule(which(cdf, Tuple{typeof(D),Vector{Float64}})) !== LibMvNorm
    end

    @testset "extension: ForwardDiff" begin
        μ = [0.2, -0.1, 0.3]
        S = [1.0 0.4 0.2; 0.4 1.5 -0.3; 0.2 -0.3 0.8]
        a, b = [-1.0, -2.0, -0.5], [0.8, 1.2, 1.0]
        g = mvnormcdf_grad(μ, S, a, b; TIGHT...)
        @test ForwardDiff.gradient(x -> mvnormcdf(μ, S, a, x; TIGHT...)[1], b) ≈ g.b rtol = 1e-12
        @test ForwardDiff.gradient(x -> mvnormcdf(x, S, a, b; TIGHT...)[1], μ) ≈ g.μ rtol = 1e-12
        # Σ(θ) = θ S, symmetric: dP/dθ = sum(G .* S)
        dθ = ForwardDiff.derivative(θ -> mvnormcdf(μ, θ * S, a, b; TIGHT...)[1], 1.0)
        @test dθ ≈ sum(g.Σ .* S) rtol = 1e-10
        lg = mvnormlogcdf_grad(μ, S, a, b; TIGHT...)
        @test ForwardDiff.gradient(x -> mvnormlogcdf(μ, S, x, b; TIGHT...)[1], a) ≈ lg.a rtol = 1e-12
    end

    @testset "equicoordinate quantiles" begin
        # mvtnorm: qmvnorm(0.95, sigma = diag(2), tail = "both") = 2.236477
        q, qe, pq, pe = mvnormquantile(0.95, [1.0 0.0; 0.0 1.0]; tail = :both)
        @test abs(q - 2.236477) < 5e-7
        @test abs(pq - 0.95) < 1e-10
        # independence: Phi^-1(p^(1/d)); upper tail of X = -(lower tail of -X)
        S = [1.0 0.0 0.0; 0.0 1.0 0.0; 0.0 0.0 1.0]
        ql = mvnormquantile(0.9, S)[1]
        @test abs(ql - 1.8182808) < 1e-6   # Phi^-1(0.9^(1/3)) = 1.81828077...
        R = [1.0 0.5 0.2; 0.5 1.0 0.3; 0.2 0.3 1.0]
        m = [0.3, -0.2, 1.0]
        @test mvnormquantile(0.25, m, R; tail = :upper)[1] ==
              -mvnormquantile(0.25, -m, R; tail = :lower)[1]
        @test_throws ArgumentError mvnormquantile(0.5, S; tail = :left)
        @test_throws ArgumentError mvnormquantile(1.5, S)
    end

    @testset "multivariate t" begin
        # df = 1 (Cauchy): 1/2 + atan(x)/pi; orthants keep the normal's values
        p, e = mvtcdf(reshape([1.0], 1, 1), 1, nothing, [0.7])
        @test abs(p - (0.5 + atan(0.7) / pi)) < 1e-12
        R = [1.0 0.5 0.5; 0.5 1.0 0.5; 0.5 0.5 1.0]
        @test abs(mvtcdf(R, 2.5, zeros(3), nothing)[1] - 0.25) < 1e-12
        # SciPy's stats.nct.cdf(1.5, 4, 0.8) for mvtnorm's noncentrality
        @test abs(mvtcdf(reshape([1.0], 1, 1), 4, nothing, [1.5]; noncentrality = [0.8])[1] -
                  0.7048766285121866) < 1e-10
        @test_throws ArgumentError mvtcdf(R, 0, nothing, ones(3))
        # qmvt: R's qt(0.95, 5), the two-sided qt(0.975, 5), a round trip
        one = reshape([1.0], 1, 1)
        @test abs(mvtquantile(0.95, one, 5)[1] - 2.0150483733330224) < 1e-9
        @test abs(mvtquantile(0.95, one, 5; tail = :both)[1] - 2.5705818356363137) < 1e-9
        q = mvtquantile(0.9, [0.1, 0.2, -0.1], R, 6.5)[1]
        @test abs(mvtcdf([0.1, 0.2, -0.1], R, 6.5, nothing, fill(q, 3))[1] - 0.9) < 1e-9
        @test_throws ArgumentError mvtquantile(0.9, R, 0.001)
        # t derivatives: d = 1 is the t density (SciPy t.pdf); d(loc) = -(da + db)
        g = mvtcdf_grad(reshape([2.0], 1, 1), 3, [-1.0], [0.7])
        @test abs(g[4][1] - 0.22213531342053117) < 1e-14
        @test g[5] == -(g[3] .+ g[4])
        # d = 1: dP/dΣ = -(a dP/da + b dP/db) / (2 Σ) (scale invariance)
        @test abs(g[6][1, 1] + (-1.0 * g[3][1] + 0.7 * g[4][1]) / 4.0) < 1e-15
        # d = 2: the off-diagonal entry in closed form, half the signed sum over
        # the corners of (1 + Q/df)^(-df/2) / (2π sqrt(det Σ))
        S2 = [1.3 0.6; 0.6 0.9]
        lo2, up2 = [-0.7, -1.3], [1.1, 0.4]
        g2 = mvtcdf_grad(S2, 1.0, lo2, up2)
        K(x, y) = (1 + [x, y]' * (S2 \ [x, y]))^(-0.5) / (2π * sqrt(det(S2)))
        G12 = 0.5 * (K(up2[1], up2[2]) + K(lo2[1], lo2[2]) - K(up2[1], lo2[2]) -
                     K(lo2[1], up2[2]))
        @test abs(g2[6][1, 2] - G12) < 1e-14 && g2[6][1, 2] == g2[6][2, 1]
        # Noncentral, d = 1, Σ = 2: T / √2 is SciPy's nct(3, 0.5 / √2), so
        # dP/db = nct.pdf(0.7 / √2, 3, 0.5 / √2) / √2 (SciPy 1.10.1)
        gn = mvtcdf_grad(reshape([2.0], 1, 1), 3, [-Inf], [0.7]; noncentrality = [0.5])
        @test abs(gn[4][1] - 0.2510464944659046) < 1e-10 && gn[3][1] == 0
    end

    @testset "extension: ChainRulesCore" begin
        μ = [0.2, -0.1]
        S = [1.0 0.4; 0.4 1.5]
        a, b = [-1.0, -2.0], [0.8, 1.2]
        g = mvnormcdf_grad(μ, S, a, b)
        (p, err), back = ChainRulesCore.rrule(mvnormcdf, μ, S, a, b)
        @test p == g.p
        t = back(Tangent{Tuple{Float64,Float64}}(2.0, 0.0))
        @test t[1] isa NoTangent
        @test t[2] ≈ 2 .* g.μ
        @test t[3] ≈ 2 .* g.Σ
        @test t[4] ≈ 2 .* g.a
        @test t[5] ≈ 2 .* g.b
        (lp, _), back3 = ChainRulesCore.rrule(mvnormlogcdf, S, a, b)
        t3 = back3((1.0, 0.0))
        @test length(t3) == 4
    end
end
