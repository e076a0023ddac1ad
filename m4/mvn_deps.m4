dnl m4/mvn_deps.m4 -- external libraries found through pkg-config.
dnl SPDX-License-Identifier: GPL-3.0-or-later

dnl MVN_CHECK_BLAS_LAPACKE: OpenBLAS (CBLAS) and LAPACKE.  Debian's OpenBLAS
dnl carries no LAPACKE symbols, so liblapacke is linked as well.
AC_DEFUN([MVN_CHECK_BLAS_LAPACKE], [
  PKG_CHECK_MODULES([BLAS_LAPACKE], [openblas lapacke], [],
    [AC_MSG_ERROR([OpenBLAS and LAPACKE are required but were not found by pkg-config:
$BLAS_LAPACKE_PKG_ERRORS
On Debian or Ubuntu: apt-get install libopenblas-dev liblapacke-dev])])
  mvn_save_LIBS=$LIBS
  mvn_save_CFLAGS=$CFLAGS
  LIBS="$BLAS_LAPACKE_LIBS $LIBS"
  CFLAGS="$BLAS_LAPACKE_CFLAGS $CFLAGS"
  AC_MSG_CHECKING([that LAPACKE_dpotrf and cblas_dtrmv link])
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <lapacke.h>
#include <cblas.h>]], [[double a = 4.0, x = 1.0;
  cblas_dtrmv(CblasRowMajor, CblasLower, CblasNoTrans, CblasNonUnit, 1, &a, 1, &x, 1);
  return LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', 1, &a, 1);]])],
    [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no])
     AC_MSG_ERROR([cannot link LAPACKE_dpotrf / cblas_dtrmv with $BLAS_LAPACKE_LIBS.
On Debian or Ubuntu: apt-get install libopenblas-dev liblapacke-dev])])
  LIBS=$mvn_save_LIBS
  CFLAGS=$mvn_save_CFLAGS
])

dnl MVN_CHECK_JANSSON: the JSON library of the mvnorm program.
AC_DEFUN([MVN_CHECK_JANSSON], [
  PKG_CHECK_MODULES([JANSSON], [jansson >= 2.10], [],
    [AC_MSG_ERROR([jansson (>= 2.10) is required for the mvnorm program:
$JANSSON_PKG_ERRORS
On Debian or Ubuntu: apt-get install libjansson-dev])])
])

dnl MVN_CHECK_PYTHON: an interpreter that imports torch, for the Python
dnl binding's tests and installation.  PYTHON=... overrides the probe.
AC_DEFUN([MVN_CHECK_PYTHON], [
  AC_ARG_VAR([PYTHON], [Python interpreter with torch for the binding (default: probe /usr/bin/python3, then python3)])
  AC_MSG_CHECKING([for a Python interpreter that imports torch])
  MVN_PYTHON=
  for mvn_py in "$PYTHON" /usr/bin/python3 python3; do
    test -n "$mvn_py" || continue
    if "$mvn_py" -c 'import torch' >/dev/null 2>&1; then
      MVN_PYTHON=$mvn_py
      break
    fi
  done
  AS_IF([test -n "$MVN_PYTHON"], [AC_MSG_RESULT([$MVN_PYTHON])],
        [AC_MSG_RESULT([none; the Python tests will be skipped])])
  AC_SUBST([MVN_PYTHON])
  dnl Install under ${prefix} in the interpreter's own layout; Debian's
  dnl python3 searches PREFIX/lib/python3.X/dist-packages (for /usr and
  dnl /usr/local alike), not site-packages.
  AS_IF([test -n "$MVN_PYTHON"],
    [mvn_pysite=`"$MVN_PYTHON" -c "import sysconfig; print(sysconfig.get_path('purelib', 'posix_prefix', vars={'base': '/MVNPFX'}))" 2>/dev/null | sed -e 's|^/MVNPFX|${prefix}|' -e 's|/site-packages$|/dist-packages|'`])
  AS_IF([test -z "$mvn_pysite"], [mvn_pysite='${prefix}/lib/python3/dist-packages'])
  AC_SUBST([mvnpythondir], [$mvn_pysite])
  AM_CONDITIONAL([HAVE_TORCH_PYTHON], [test -n "$MVN_PYTHON"])
])
