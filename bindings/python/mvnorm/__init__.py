# mvnorm: multivariate normal probabilities and their gradients for PyTorch, on libmvnorm.
# SPDX-License-Identifier: GPL-3.0-or-later
"""mvnorm -- multivariate normal probabilities for PyTorch, backed by libmvnorm.

Drop-in for Torch-MvNorm::

    from mvnorm import multivariate_normal_cdf as Phi
    P = Phi(x, m, C)                  # P(X <= x), X ~ N(m, C), differentiable
    mvnorm.integration.abseps = 1e-5  # settings: maxpts, abseps, releps, n_jobs, seed

New API (torch.distributions vocabulary)::

    mvnorm.normal_probability(lower=a, upper=b, loc=m, covariance_matrix=S)
    mvnorm.normal_probability(upper=b, scale_tril=L, return_error=True, seed=1)
    mvnorm.log_normal_probability(lower=a, loc=m, covariance_matrix=S)
    mvnorm.MultivariateNormal(m, S).cdf(x)

See doc/python.md (installed as the package README) for the full guide.
"""

from ._library import (ToleranceWarning, library_path, version as library_version,
                       version_number as library_version_number, has_gradients, has_hessian)
from ._settings import integration, IntegrationSettings
from ._api import multivariate_normal_cdf, normal_probability, log_normal_probability
from .distributions import MultivariateNormal

__version__ = "0.1.0"

__all__ = [
    "multivariate_normal_cdf", "normal_probability", "log_normal_probability",
    "MultivariateNormal", "integration", "IntegrationSettings", "ToleranceWarning",
    "library_path", "library_version", "library_version_number",
    "has_gradients", "has_hessian",
]
