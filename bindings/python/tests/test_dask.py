# mvnorm.dask: chunked computations on the threaded scheduler and on a LocalCluster of 2 worker
# processes give bitwise the numbers of one in-process call; bad problems stay local; clean shutdown.
# SPDX-License-Identifier: GPL-3.0-or-later
import os
import time

import numpy as np
import pytest

da = pytest.importorskip("dask.array", reason="python3-dask is not installed")
distributed = pytest.importorskip("distributed", reason="python3-distributed is not installed")

import mvnorm  # noqa: E402
import mvnorm.dask as mvd  # noqa: E402
import mvnorm.numpy as mvn  # noqa: E402
from conftest import PKG_ROOT  # noqa: E402

N, D = 256, 5
KW = dict(abseps=1e-3, releps=1e-3, seed=3)
KINDS = ["prob", "logprob", "grad", "loggrad"]


def data():
    rng = np.random.default_rng(11)
    a = rng.standard_normal((N, D, D))
    s = a @ np.swapaxes(a, -1, -2) / D + np.eye(D)
    x = rng.standard_normal((N, D)) + 0.3
    lo = x - 1.5 - rng.random((N, D))
    x[17, 2] = np.nan                  # bad problems: a NaN limit, a matrix not PD
    s[100] = -np.eye(D)
    return lo, x, s


BAD = (17, 100)


def reference(kind, lo, up, s, shared=False):
    sig = s[0] if shared else s
    common = dict(lower=lo, upper=up, covariance_matrix=sig, errors="nan", return_status=True,
                  return_error=True, **KW)
    if kind == "prob":
        return mvn.normal_probability(**common)
    if kind == "logprob":
        return mvn.log_normal_probability(**common)
    fn = mvn.normal_probability_grad if kind == "grad" else mvn.log_normal_probability_grad
    return tuple(v for v in fn(**common) if v is not None)


def distributed_call(kind, lo, up, s, chunks, shared=False):
    size = -(-N // chunks)
    dlo = da.from_array(lo, chunks=(size, D))
    dup = da.from_array(up, chunks=(size, D))
    sig = s[0] if shared else da.from_array(s, chunks=(size, D, D))
    common = dict(lower=dlo, upper=dup, covariance_matrix=sig, return_status=True,
                  return_error=True, **KW)
    if kind == "prob":
        out = mvd.normal_probability(**common)
    elif kind == "logprob":
        out = mvd.log_normal_probability(**common)
    else:
        fn = mvd.normal_probability_grad if kind == "grad" else mvd.log_normal_probability_grad
        out = tuple(v for v in fn(**common) if v is not None)
    assert all(isinstance(v, da.Array) for v in out)      # lazy
    assert out[0].numblocks[0] == chunks
    return out


def same(ref, got):
    assert len(ref) == len(got)
    for r, g in zip(ref, got):
        assert r.shape == g.shape and r.dtype == g.dtype
        assert np.array_equal(r, g, equal_nan=True)
        # bitwise, NaN payloads aside: compare the bytes of the finite values
        fin = np.isfinite(r)
        assert r[fin].tobytes() == g[fin].tobytes()


def check_bad(ref):
    status = ref[-1]
    assert mvn.STATUS[int(status[17])] == "MVN_ENAN"
    assert mvn.STATUS[int(status[100])] == "MVN_ENOTPD"
    ok = np.ones(N, bool)
    ok[list(BAD)] = False
    assert (status[ok] == 0).all()
    assert np.isnan(ref[0][list(BAD)]).all() and np.isfinite(ref[0][ok]).all()


# --- the threaded scheduler (no cluster) --------------------------------------

@pytest.mark.parametrize("chunks", [1, 7, 64])
@pytest.mark.parametrize("kind", KINDS)
def test_threaded_scheduler_bitwise(kind, chunks):
    lo, up, s = data()
    ref = reference(kind, lo, up, s)
    check_bad(ref)
    out = distributed_call(kind, lo, up, s, chunks)
    got = [np.asarray(v) for v in __import__("dask").compute(*out, scheduler="threads")]
    same(ref, got)


def test_shared_covariance_and_numpy_in_numpy_out():
    lo, up, s = data()
    ref = reference("grad", lo, up, s, shared=True)
    g = mvd.normal_probability_grad(lower=lo, upper=up, covariance_matrix=s[0], chunks=37,
                                    return_status=True, return_error=True, **KW)
    assert all(isinstance(v, np.ndarray) for v in g if v is not None)
    same(ref, tuple(v for v in g if v is not None))
    # scale_tril, a shared loc, the default chunking
    L = np.linalg.cholesky(s[:50])
    p = mvd.log_normal_probability(upper=up[:50], loc=np.full(D, 0.1), scale_tril=L, **KW)
    assert np.array_equal(p, mvn.log_normal_probability(upper=up[:50], loc=np.full(D, 0.1),
                                                        scale_tril=L, errors="nan", **KW),
                          equal_nan=True)


def test_settings_are_read_on_the_client():
    lo, up, s = data()
    mvnorm.integration.seed = 5
    lazy = mvd.normal_probability(lower=da.from_array(lo, chunks=50), upper=up,
                                  covariance_matrix=s, abseps=1e-3, releps=1e-3)
    mvnorm.integration.seed = 0       # changed after the graph was built: no effect
    got = lazy.compute(scheduler="threads")
    ref = mvn.normal_probability(lower=lo, upper=up, covariance_matrix=s, abseps=1e-3,
                                 releps=1e-3, seed=5, errors="nan")
    assert np.array_equal(got, ref, equal_nan=True)


def test_errors_raise_and_shape_checks():
    lo, up, s = data()
    with pytest.raises(ValueError):
        mvd.normal_probability(upper=up, covariance_matrix=s, errors="raise", chunks=64, **KW)
    with pytest.raises(ValueError, match="one batch axis"):
        mvd.normal_probability(upper=up.reshape(16, 16, D), covariance_matrix=s[0])
    with pytest.raises(ValueError, match="problem axes"):
        mvd.normal_probability(upper=up[:10], covariance_matrix=s)
    assert mvd.threads_per_task() >= 1


# --- a LocalCluster of 2 worker processes -----------------------------------

@pytest.fixture(scope="module")
def client():
    # The worker processes are spawned: they find the package and the
    # library through the environment.
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (PKG_ROOT, os.environ.get("PYTHONPATH")) if p)
    if os.path.exists(mvnorm.library_path):
        os.environ["MVNORM_LIBRARY"] = os.path.abspath(mvnorm.library_path)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", silence_logs=40) as cluster, \
            distributed.Client(cluster) as c:
        yield c


def test_workers_load_the_library(client):
    info = mvd.prepare_workers(client)
    assert len(info) == 2
    assert len({i["pid"] for i in info.values()}) == 2 and os.getpid() not in \
        {i["pid"] for i in info.values()}
    assert all(i["version"] == mvnorm.library_version for i in info.values())
    n = mvd.threads_per_task(client)
    cpus = min(i["cpus"] for i in info.values())
    assert n >= 1 and (n == 1 or 2 * n <= cpus)


@pytest.mark.parametrize("chunks", [1, 7, 64])
@pytest.mark.parametrize("kind", KINDS)
def test_local_cluster_bitwise(client, kind, chunks):
    lo, up, s = data()
    ref = reference(kind, lo, up, s)
    out = distributed_call(kind, lo, up, s, chunks)
    got = client.compute(list(out), sync=True)
    same(ref, [np.asarray(v) for v in got])
    check_bad(tuple(np.asarray(v) for v in got))


def test_local_cluster_numpy_in_shared_covariance(client):
    lo, up, s = data()
    ref = reference("loggrad", lo, up, s, shared=True)
    g = mvd.log_normal_probability_grad(lower=lo, upper=up, covariance_matrix=s[0], chunks=20,
                                        return_status=True, return_error=True, **KW)
    same(ref, tuple(v for v in g if v is not None))


def test_cluster_shuts_down_cleanly():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", silence_logs=40) as cluster:
        with distributed.Client(cluster) as c:
            pids = [i["pid"] for i in mvd.prepare_workers(c).values()]
            lo, up, s = data()
            p = mvd.normal_probability(lower=lo, upper=up, covariance_matrix=s, chunks=30, **KW)
            assert np.array_equal(p, mvn.normal_probability(lower=lo, upper=up,
                                                            covariance_matrix=s,
                                                            errors="nan", **KW),
                                  equal_nan=True)
    assert cluster.status.name == "closed"
    deadline = time.time() + 10
    alive = pids
    while alive and time.time() < deadline:
        alive = [p for p in pids if _alive(p)]
        time.sleep(0.1)
    assert not alive, "worker processes still running: %s" % alive


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def test_example_runs():
    import subprocess
    import sys
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in (PKG_ROOT, os.environ.get("PYTHONPATH")) if p))
    if os.path.exists(mvnorm.library_path):
        env["MVNORM_LIBRARY"] = os.path.abspath(mvnorm.library_path)
    r = subprocess.run([sys.executable, os.path.join(PKG_ROOT, "examples", "dask_rectangles.py"),
                        "--n", "3000", "--workers", "2", "--chunk", "500"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "bitwise equal to the in-process call: True" in r.stdout
