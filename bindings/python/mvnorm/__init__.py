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

Exact sampling from the truncated normal (NumPy or torch)::

    X = mvnorm.sample_truncated(lower, upper, mean, cov, n, seed=1)   # (n, d)

NumPy (no torch needed) and Dask::

    import mvnorm.numpy as mvn            # NumPy arrays in and out
    import mvnorm.dask as mvd             # Dask arrays, lazily, across a cluster

See doc/python.md (installed as the package README) for the full guide.
"""

from ._library import (ToleranceWarning, library_path, version as library_version,
                       version_number as library_version_number, has_gradients, has_hessian)
from ._settings import integration, IntegrationSettings
from ._sample import sample_truncated

__version__ = "0.1.0"

# The torch API is imported on first use (PEP 562), so that the NumPy API
# (mvnorm.numpy) and the Dask layer (mvnorm.dask) import, and run on Dask
# workers, in a Python without torch.  With torch installed nothing changes
# for the caller: ``mvnorm.normal_probability`` and ``from mvnorm import
# MultivariateNormal`` work as before.
_TORCH_NAMES = {
    "multivariate_normal_cdf": "_api", "normal_probability": "_api",
    "log_normal_probability": "_api", "MultivariateNormal": "distributions",
    "t_probability": "_t",
}


def __getattr__(name):
    module = _TORCH_NAMES.get(name)
    if module is None:
        if name == "distributions":
            module = name
        else:
            raise AttributeError("module 'mvnorm' has no attribute %r" % name)
    import importlib
    try:
        mod = importlib.import_module("." + module, __name__)
    except ImportError as exc:
        if getattr(exc, "name", None) == "torch":
            raise ImportError("mvnorm.%s needs PyTorch, which is not installed; the "
                              "NumPy API (mvnorm.numpy) and mvnorm.dask work without "
                              "it" % name, name="torch") from exc
        raise
    value = mod if name == "distributions" else getattr(mod, name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_TORCH_NAMES) | {"distributions"})


__all__ = [
    "multivariate_normal_cdf", "normal_probability", "log_normal_probability",
    "t_probability",
    "MultivariateNormal", "integration", "IntegrationSettings", "ToleranceWarning",
    "library_path", "library_version", "library_version_number",
    "has_gradients", "has_hessian", "sample_truncated",
]
