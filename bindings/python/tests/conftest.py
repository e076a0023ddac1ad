# pytest configuration for the mvnorm binding: make the package importable from the source tree.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The tests import ``mvnorm`` from this source tree (bindings/python) unless
PYTHONPATH already provides it, and load libmvnorm as the package does:
set MVNORM_LIBRARY to the build tree's libmvnorm.so.1 to test a build."""

import os
import sys

import pytest

try:  # the NumPy and Dask tests run without torch
    import torch
except ImportError:  # pragma: no cover
    torch = None

HERE = os.path.dirname(os.path.abspath(__file__))
PKG_ROOT = os.path.dirname(HERE)
if PKG_ROOT not in sys.path:
    sys.path.insert(0, PKG_ROOT)

F64 = torch.float64 if torch is not None else None


def spd(d, batch=(), seed=0, scale=1.0):
    """A random well-conditioned covariance (float64) of shape batch + (d, d)."""
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(tuple(batch) + (d, d), generator=g, dtype=F64)
    return scale * (a @ a.transpose(-1, -2) / d + torch.eye(d, dtype=F64))


def randn(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=F64)


@pytest.fixture(autouse=True)
def _reset_settings():
    import mvnorm
    mvnorm.integration.reset()
    yield
    mvnorm.integration.reset()
