# mvnorm.t_probability: the torch face of the t probabilities, with autograd.
# SPDX-License-Identifier: GPL-3.0-or-later
import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import mvnorm  # noqa: E402
import mvnorm.numpy as mvn  # noqa: E402

F64 = torch.float64


def test_batch_matches_numpy_and_broadcasts():
    S = torch.tensor([[1.3, 0.6, -0.3], [0.6, 0.9, 0.2], [-0.3, 0.2, 1.1]], dtype=F64)
    up = torch.tensor([[1.1, 0.4, 0.8], [0.2, -0.5, 2.0]], dtype=F64)
    lo = torch.tensor([-0.7, -1.3, -math.inf], dtype=F64)
    p = mvnorm.t_probability(lo, up, df=4.5, loc=0.1, shape=S)
    assert p.shape == (2,) and p.dtype == F64
    for i in range(2):
        want = mvn.t_probability(lo.numpy(), up[i].numpy(), df=4.5, loc=0.1, shape=S.numpy())
        assert p[i].item() == want
    p32, err = mvnorm.t_probability(upper=up.float(), df=4.5, shape=S.float(),
                                    return_error=True)
    assert p32.dtype == torch.float32 and err.shape == (2,) and (err < 1e-10).all()


def test_gradients_are_the_library_derivatives():
    S = torch.tensor([[1.3, 0.6], [0.6, 0.9]], dtype=F64, requires_grad=True)
    lo = torch.tensor([-0.7, -1.3], dtype=F64, requires_grad=True)
    up = torch.tensor([1.1, 0.4], dtype=F64, requires_grad=True)
    mu = torch.tensor([0.05, -0.1], dtype=F64, requires_grad=True)
    p = mvnorm.t_probability(lo, up, df=3.0, loc=mu, shape=S)
    p.backward()
    g = mvn.t_probability_grad(lo.detach().numpy(), up.detach().numpy(), df=3.0,
                               loc=mu.detach().numpy(), shape=S.detach().numpy())
    assert np.array_equal(lo.grad.numpy(), g.lower)
    assert np.array_equal(up.grad.numpy(), g.upper)
    assert np.allclose(mu.grad.numpy(), g.loc, rtol=0, atol=1e-16)
    assert np.array_equal(S.grad.numpy(), g.shape)


def test_shape_gradient_matches_finite_differences():
    # A symmetric perturbation E: dP = sum_ij G_ij E_ij (d = 2, exact kernels).
    S = torch.tensor([[1.0, -0.4], [-0.4, 2.0]], dtype=F64, requires_grad=True)
    up = torch.tensor([0.3, 1.5], dtype=F64)
    p = mvnorm.t_probability(upper=up, df=1.5, shape=S, abseps=1e-14)
    (G,) = torch.autograd.grad(p, S)
    E = torch.tensor([[0.3, 0.7], [0.7, -0.2]], dtype=F64)
    D = []
    for h in (2e-3, 1e-3):
        pp = mvnorm.t_probability(upper=up, df=1.5, shape=S.detach() + h * E, abseps=1e-14)
        pm = mvnorm.t_probability(upper=up, df=1.5, shape=S.detach() - h * E, abseps=1e-14)
        D.append(((pp - pm) / (2 * h)).item())
    fd = (4 * D[1] - D[0]) / 3
    assert abs((G * E).sum().item() - fd) < 1e-11


def test_df_is_not_differentiable():
    df = torch.tensor(3.0, requires_grad=True)
    with pytest.raises(ValueError, match="df"):
        mvnorm.t_probability(upper=[0.0, 0.0], df=df, shape=torch.eye(2))


def test_python_numbers_keep_double_precision():
    # torch.as_tensor(0.1) is float32; a Python limit or loc used to reach the
    # library as 0.10000000149 (P off by 5.9e-10 here).  They stay exact now and
    # do not decide the result's dtype.
    from scipy.special import ndtr
    S64 = torch.eye(1, dtype=F64)
    p = mvnorm.normal_probability(upper=0.1, covariance_matrix=S64)
    assert p.dtype == F64 and abs(p.item() - ndtr(0.1)) < 1e-16
    p = mvnorm.normal_probability(upper=[0.3], loc=0.2, covariance_matrix=S64)
    assert abs(p.item() - ndtr(0.1)) < 1e-16
    want = mvn.t_probability(None, 0.1, 4.0, shape=[[1.0]])
    assert abs(mvnorm.t_probability(upper=0.1, df=4.0, shape=S64).item() - want) < 1e-16
    # float32 tensors with Python numbers: float32 results, as before.
    S32 = torch.eye(2, dtype=torch.float32)
    x32 = torch.tensor([0.5, 1.0])
    assert mvnorm.normal_probability(upper=x32, loc=0.1, covariance_matrix=S32).dtype == torch.float32
    assert mvnorm.multivariate_normal_cdf(x32, 0.0, 0.5 * S32 + 0.5).dtype == torch.float32
    assert mvnorm.multivariate_normal_cdf(x32, 0.0, S32).dtype == torch.float32
    assert mvnorm.t_probability(upper=x32, df=3.0, shape=S32).dtype == torch.float32


def test_noncentral_values_and_gradients():
    # Kshirsagar's noncentrality: the same numbers as mvnorm.numpy, and the
    # gradients are the library's noncentral derivatives (exact for d <= 3).
    S = torch.tensor([[1.3, 0.6], [0.6, 0.9]], dtype=F64, requires_grad=True)
    lo = torch.tensor([-0.7, -1.3], dtype=F64, requires_grad=True)
    up = torch.tensor([1.1, 0.4], dtype=F64, requires_grad=True)
    nc = torch.tensor([0.4, -0.2], dtype=F64)
    p = mvnorm.t_probability(lo, up, df=3.5, shape=S, noncentrality=nc)
    p.backward()
    g = mvn.t_probability_grad(lo.detach().numpy(), up.detach().numpy(), df=3.5,
                               shape=S.detach().numpy(), noncentrality=nc.numpy())
    assert p.item() == g.probability
    assert p.item() != mvn.t_probability(lo.detach().numpy(), up.detach().numpy(), df=3.5,
                                         shape=S.detach().numpy())
    assert np.array_equal(lo.grad.numpy(), g.lower)
    assert np.array_equal(up.grad.numpy(), g.upper)
    assert np.array_equal(S.grad.numpy(), g.shape)
    # A batch of noncentralities broadcasts against one box.
    pb = mvnorm.t_probability(lo.detach(), up.detach(), df=3.5, shape=S.detach(),
                              noncentrality=torch.tensor([[0.4, -0.2], [0.0, 0.0]], dtype=F64))
    assert pb.shape == (2,) and pb[0].item() == g.probability
    with pytest.raises(ValueError, match="noncentrality"):
        mvnorm.t_probability(lo, up, df=3.5, shape=S,
                             noncentrality=nc.clone().requires_grad_(True))
