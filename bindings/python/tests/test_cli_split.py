# The CLI scale-out recipe: a JSON Lines file split into pieces (split -l), each piece run on its own
# (as on separate machines), gives, concatenated, the lines of one run (the "line" field counts within a piece).
# SPDX-License-Identifier: GPL-3.0-or-later
import json
import os
import shutil
import subprocess

import numpy as np
import pytest


def _program():
    lib = os.environ.get("MVNORM_LIBRARY", "")
    cands = []
    if lib:
        top = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(lib))))
        cands.append(os.path.join(top, "cli", "mvnorm"))
    here = os.path.dirname(os.path.abspath(__file__))
    cands.append(os.path.normpath(os.path.join(here, "..", "..", "..", "cli", "mvnorm")))
    for c in cands:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


def test_split_runs_concatenate_to_one_run(tmp_path):
    prog = _program()
    if prog is None:
        pytest.skip("the mvnorm program (cli/mvnorm) is not built")
    if shutil.which("split") is None:
        pytest.skip("no split(1)")
    rng = np.random.default_rng(1)
    lines = []
    for k in range(40):
        d = 2 + k % 6
        a = rng.standard_normal((d, d))
        s = a @ a.T / d + np.eye(d)
        row = {"id": "p%d" % k, "upper": list(rng.standard_normal(d) + 0.5),
               "cov": s.tolist()}
        if k % 3 == 0:
            row["lower"] = list(np.array(row["upper"]) - 2.0)
        if k == 13:
            row["cov"] = (-np.eye(d)).tolist()  # a bad line: its own status, others intact
        lines.append(json.dumps(row))
    src = tmp_path / "problems.jsonl"
    src.write_text("\n".join(lines) + "\n")
    opts = ["--abseps", "1e-4", "--seed", "9"]
    one = subprocess.run([prog] + opts + ["--threads", "1", str(src)], capture_output=True,
                         text=True, timeout=300).stdout.splitlines()
    assert len(one) == 40
    subprocess.run(["split", "-l", "7", "-d", str(src), str(tmp_path / "part-")], check=True)
    parts = sorted(p for p in os.listdir(tmp_path) if p.startswith("part-"))
    assert len(parts) == 6
    out = []
    offset = 0
    for p in parts:
        res = subprocess.run([prog] + opts + ["--threads", "2", str(tmp_path / p)],
                             capture_output=True, text=True, timeout=300).stdout.splitlines()
        for r in res:
            obj = json.loads(r)
            # line numbers (the "line" field and a message's "line N:")
            # count within each piece
            msg = obj.get("message", "")
            if msg.startswith("line %d:" % obj["line"]):
                obj["message"] = "line %d:" % (obj["line"] + offset) + msg.split(":", 1)[1]
            obj["line"] += offset
            out.append(json.dumps(obj))
        offset += sum(1 for _ in open(tmp_path / p))
    ref = [json.dumps(json.loads(r)) for r in one]
    assert out == ref
    assert json.loads(one[13])["status"] != "ok"
    assert sum(json.loads(r)["status"] == "ok" for r in one) == 39
