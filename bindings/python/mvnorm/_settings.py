# Module-wide integration settings (Torch-MvNorm's mvnorm.integration) and their mapping to options.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``mvnorm.integration`` settings object.

Torch-MvNorm users set ``mvnorm.integration.maxpts``, ``abseps``,
``releps`` and ``n_jobs``; these keep working and map onto libmvnorm's
options.  Unlike Torch-MvNorm, a misspelt attribute (``integration.relesp``)
raises AttributeError instead of being silently ignored.
"""

import os

from ._library import OPT, option_value

__all__ = ["IntegrationSettings", "integration", "options_for"]


class IntegrationSettings:
    """Defaults used by every call that does not override them.

    Attributes
    ----------
    maxpts : int or None
        Budget of integrand evaluations per problem (MVN_OPT_MAXPTS);
        None means the library default (10**7).
    abseps : float
        Absolute error tolerance (MVN_OPT_ABSEPS).  Default 1e-6, as in
        Torch-MvNorm.
    releps : float
        Relative error tolerance (MVN_OPT_RELEPS).  Default 1e-6, as in
        Torch-MvNorm.  Integration stops when abserr <= max(abseps, releps*P).
    n_jobs : int or None
        Worker threads (MVN_OPT_THREADS).  None, 0 or -1 mean "as many as
        the OpenMP runtime offers"; 1 means no threading.  Default 1, as in
        Torch-MvNorm, so that a program that calls from several threads or
        processes never oversubscribes the machine; results never depend
        on the number of threads, so raising it changes only the speed.
        In a child created by fork() every call uses one thread (the
        OpenMP thread pool does not survive fork: see _after_fork).
    seed : int
        Seed of the randomized lattice shifts (MVN_OPT_SEED); default 0.
        Results depend only on inputs, options and seed.
    """

    _fields = ("maxpts", "abseps", "releps", "n_jobs", "seed")
    _defaults = {"maxpts": None, "abseps": 1e-6, "releps": 1e-6, "n_jobs": 1, "seed": 0}

    def __init__(self):
        for k, v in self._defaults.items():
            object.__setattr__(self, k, v)

    def __setattr__(self, name, value):
        if name not in self._fields:
            raise AttributeError("mvnorm.integration has no setting %r (settings: %s)"
                                 % (name, ", ".join(self._fields)))
        object.__setattr__(self, name, value)

    def reset(self):
        """Restore the defaults."""
        self.__init__()

    def __repr__(self):
        return "IntegrationSettings(%s)" % ", ".join(
            "%s=%r" % (k, getattr(self, k)) for k in self._fields)


integration = IntegrationSettings()


# Set in a child process created by fork(): libgomp's thread pool does not
# survive fork, and a child that starts OpenMP threads after its parent did
# can hang for ever (R's parallel::mclapply and Python's multiprocessing
# fork exactly so).  One thread in the child is always safe.
_forked_child = False


def _after_fork():
    global _forked_child
    _forked_child = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def _threads(n_jobs):
    if _forked_child:
        return 1
    if n_jobs is None or n_jobs in (0, -1):
        return 0
    n = int(n_jobs)
    if n < 0:
        # joblib's convention: -2 means all but one, and so on.  The library
        # only knows "all" (0) or an explicit count, so count the CPUs here.
        n = max(1, (os.cpu_count() or 1) + 1 + n)
    return n


def options_for(maxpts=None, abseps=None, releps=None, n_jobs=None, seed=None,
                method=None, extra=None):
    """The (option, value) list for one call: explicit arguments override
    the module settings."""
    s = integration
    maxpts = s.maxpts if maxpts is None else maxpts
    abseps = s.abseps if abseps is None else abseps
    releps = s.releps if releps is None else releps
    n_jobs = s.n_jobs if n_jobs is None else n_jobs
    seed = s.seed if seed is None else seed
    opts = []
    if maxpts is not None:
        opts.append((OPT.MAXPTS, int(maxpts)))
    opts.append((OPT.ABSEPS, float(abseps)))
    opts.append((OPT.RELEPS, float(releps)))
    opts.append((OPT.THREADS, _threads(n_jobs)))
    opts.append((OPT.SEED, int(seed)))
    if method is not None:
        opts.append((OPT.METHOD, option_value(OPT.METHOD, method)
                     if isinstance(method, str) else method))
    if extra:
        opts.extend(extra)
    return tuple(opts)
