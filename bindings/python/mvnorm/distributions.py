# torch.distributions.MultivariateNormal with a working cdf, log_cdf and rectangle probabilities.
# SPDX-License-Identifier: GPL-3.0-or-later
"""``mvnorm.MultivariateNormal``: a drop-in subclass of
``torch.distributions.MultivariateNormal`` whose ``cdf`` works.

The distribution's ``scale_tril`` (its Cholesky factor, which torch keeps
anyway) goes to the library as a Cholesky factor, so Sigma is neither formed
nor factored again, and gradients flow to whatever parameter the
distribution was built from (loc, covariance_matrix, precision_matrix or
scale_tril) through torch's own graph.
"""

import torch.distributions as _td

from ._api import normal_probability, log_normal_probability

__all__ = ["MultivariateNormal"]


class MultivariateNormal(_td.MultivariateNormal):
    """torch.distributions.MultivariateNormal plus

    - ``cdf(value)``: P(X <= value), batch shape broadcast(value[..., :-1],
      batch_shape);
    - ``log_cdf(value)``: log P(X <= value), accurate in the far tail;
    - ``probability(lower=None, upper=None)`` (alias ``prob_rectangle``):
      P(lower < X < upper), None / +-inf for open sides;
    - ``log_probability(lower=None, upper=None)``.

    Every method accepts ``return_error``, ``seed`` and the integration
    overrides of :func:`mvnorm.normal_probability` as keyword arguments.
    """

    def _args(self):
        return dict(loc=self.loc, scale_tril=self._unbroadcasted_scale_tril)

    def cdf(self, value, **kwargs):
        if self._validate_args:
            self._validate_sample(value)
        return normal_probability(upper=value, **self._args(), **kwargs)

    def log_cdf(self, value, **kwargs):
        if self._validate_args:
            self._validate_sample(value)
        return log_normal_probability(upper=value, **self._args(), **kwargs)

    def probability(self, lower=None, upper=None, **kwargs):
        return normal_probability(lower=lower, upper=upper, **self._args(), **kwargs)

    prob_rectangle = probability

    def log_probability(self, lower=None, upper=None, **kwargs):
        return log_normal_probability(lower=lower, upper=upper, **self._args(), **kwargs)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(MultivariateNormal, _instance)
        return super().expand(batch_shape, _instance=new)
