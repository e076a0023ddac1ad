# Every module of the package is installed by `make install` (Makefile.am's
# mvnormpy_DATA): mvnorm/_sample.py was missing from that list, so an
# installed `import mvnorm` failed on `from ._sample import ...`.
# SPDX-License-Identifier: GPL-3.0-or-later
import os
import re

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = os.path.join(HERE, "..", "mvnorm")
MAKEFILE_AM = os.path.join(HERE, "..", "..", "..", "Makefile.am")


@pytest.mark.skipif(not os.path.exists(MAKEFILE_AM), reason="not in the source tree")
def test_every_module_is_installed():
    text = open(MAKEFILE_AM).read()
    block = re.search(r"mvnormpy_DATA\s*=((?:[^\n]*\\\n)*[^\n]*)", text).group(1)
    listed = {os.path.basename(f) for f in re.findall(r"bindings/python/mvnorm/(\S+\.py)", block)}
    present = {f for f in os.listdir(PACKAGE) if f.endswith(".py")}
    assert present - listed == set(), "not in mvnormpy_DATA: %s" % sorted(present - listed)
    assert listed - present == set(), "listed but missing: %s" % sorted(listed - present)
