# A forked child that calls the library after its parent used two threads must finish.
# SPDX-License-Identifier: GPL-3.0-or-later
"""libgomp's thread pool does not survive fork(): without the binding's
fork handler, a child that calls with 2 threads after its parent did hangs
for ever.  The child runs under an alarm, so a regression fails instead of
hanging the suite."""

import os
import signal

import pytest
import torch

import mvnorm
from mvnorm import _settings

from conftest import spd


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork() on this platform")
def test_threaded_call_then_fork_then_threaded_call():
    d = 8
    cov = spd(d, seed=3)
    upper = torch.linspace(0.2, 1.0, d, dtype=torch.float64).expand(16, d)
    parent = mvnorm.normal_probability(upper=upper, covariance_matrix=cov, n_jobs=2,
                                       abseps=1e-4)
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        os.close(r)
        signal.alarm(60)
        try:
            child = mvnorm.normal_probability(upper=upper, covariance_matrix=cov, n_jobs=2,
                                              abseps=1e-4)
            same = bool(torch.equal(child, parent)) and _settings._forked_child
            os.write(w, b"same" if same else b"diff")
        finally:
            os._exit(0)
    os.close(w)
    _, status = os.waitpid(pid, 0)
    answer = os.read(r, 16)
    os.close(r)
    assert os.WIFEXITED(status), "the child was killed (hung past the alarm?)"
    assert answer == b"same", "the child's results differ from the parent's: %r" % answer
    assert not _settings._forked_child
