# Module-wide integration settings (Torch-MvNorm's mvnorm.integration) and their mapping to options.
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ``mvnorm.integration`` settings object.

Torch-MvNorm users set ``mvnorm.integration.maxpts``, ``abseps``,
``releps`` and ``n_jobs``; these keep working and map onto libmvnorm's
options.  Unlike Torch-MvNorm, a misspelt attribute (``integration.relesp``)
raises AttributeError instead of being silently ignored.
"""

from ._library import OPT

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
        the OpenMP runtime offers"; 1 means no threading.  Default None
        (Torch-MvNorm ran one job by default; results never depend on the
        number of threads, so using them all changes only the speed).
    seed : int
        Seed of the randomized lattice shifts (MVN_OPT_SEED); default 0.
        Results depend only on inputs, options and seed.
    """

    _fields = ("maxpts", "abseps", "releps", "n_jobs", "seed")
    _defaults = {"maxpts": None, "abseps": 1e-6, "releps": 1e-6, "n_jobs": None, "seed": 0}

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


def _threads(n_jobs):
    if n_jobs is None or n_jobs in (0, -1):
        return 0
    n = int(n_jobs)
    if n < 0:
        # joblib's convention: -2 means all but one, and so on.  The library
        # only knows "all" (0) or an explicit count, so count the CPUs here.
        import os
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
        opts.append((OPT.METHOD, {"auto": 0, "qmc": 1}.get(method, method)))
    if extra:
        opts.extend(extra)
    return tuple(opts)
