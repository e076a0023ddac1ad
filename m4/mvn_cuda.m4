dnl m4/mvn_cuda.m4 -- the CUDA backend module (cuda/mvnorm_cuda.la).
dnl SPDX-License-Identifier: GPL-3.0-or-later
dnl
dnl --with-cuda[=DIR]   auto by default: the module is built when nvcc is
dnl                     found on PATH (or in DIR/bin).  An explicit
dnl                     --with-cuda or --with-cuda=DIR fails when nvcc is
dnl                     missing (hwloc's and FFTW's habit: a requested
dnl                     feature never silently disappears).
dnl --without-cuda      never builds it.
dnl --with-cuda-arch=LIST  nvcc -gencode list; default SASS for sm_80 and
dnl                     sm_90 plus compute_90 PTX (CUDA 13 starts at
dnl                     compute_75; the PTX lets newer GPUs JIT it).
dnl
dnl Sets NVCC, CUDA_CPPFLAGS, CUDA_LIBS, NVCC_ARCHFLAGS; AM_CONDITIONAL
dnl HAVE_CUDA; AC_DEFINE MVN_HAVE_CUDA_PLUGIN (the library's loader message
dnl and mvn_build_info say whether this build installs the module).
dnl Only the module links the CUDA runtime, statically (libcudart_static),
dnl so it needs nothing but libc, libstdc++ and the driver (dlopen'ed by
dnl cudart) at run time; libmvnorm never links CUDA.
AC_DEFUN([MVN_ARG_CUDA], [
  AC_ARG_WITH([cuda],
    [AS_HELP_STRING([--with-cuda@<:@=DIR@:>@],
      [build the CUDA backend module with nvcc from PATH or DIR/bin (default: auto)])],
    [], [with_cuda=auto])
  AC_ARG_WITH([cuda-arch],
    [AS_HELP_STRING([--with-cuda-arch=GENCODE],
      [nvcc -gencode flags (default: SASS for sm_80 and sm_90, PTX for compute_90)])],
    [], [with_cuda_arch=default])
  mvn_cuda_result=no
  NVCC=
  CUDA_HOME_DIR=
  AS_CASE([$with_cuda],
    [no], [],
    [yes|auto], [AC_PATH_PROG([NVCC], [nvcc], [], [$PATH])],
    [AS_IF([test -x "$with_cuda/bin/nvcc"], [NVCC="$with_cuda/bin/nvcc"])])
  dnl The module is a shared object: a static-only build has none.
  AS_IF([test "x$enable_shared" = xno && test "x$with_cuda" != xno], [
    AS_IF([test "x$with_cuda" = xauto],
      [AC_MSG_NOTICE([static-only build (--disable-shared): the CUDA backend module will not be built]); with_cuda=no; NVCC=],
      [AC_MSG_ERROR([the CUDA backend module is a shared object: --with-cuda needs --enable-shared])])])
  AS_IF([test "x$with_cuda" != xno && test -z "$NVCC"], [
    AS_IF([test "x$with_cuda" = xauto],
      [AC_MSG_NOTICE([nvcc not found: the CUDA backend module will not be built])],
      [AS_IF([test "x$with_cuda" = xyes],
        [AC_MSG_ERROR([--with-cuda was given but nvcc is not on PATH; give --with-cuda=DIR (DIR/bin/nvcc) or --without-cuda])],
        [AC_MSG_ERROR([--with-cuda=$with_cuda was given but $with_cuda/bin/nvcc does not exist or is not executable])])])])
  AS_IF([test -n "$NVCC"], [
    CUDA_HOME_DIR=`AS_DIRNAME(["$NVCC"])`
    CUDA_HOME_DIR=`cd "$CUDA_HOME_DIR/.." && pwd`
    AS_IF([test "x$with_cuda_arch" = xdefault || test "x$with_cuda_arch" = xyes],
      [NVCC_ARCHFLAGS="-gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 -gencode arch=compute_90,code=compute_90"],
      [NVCC_ARCHFLAGS="$with_cuda_arch"])
    CUDA_CPPFLAGS="-I$CUDA_HOME_DIR/include"
    mvn_cuda_libdir=
    for mvn_d in "$CUDA_HOME_DIR/lib64" "$CUDA_HOME_DIR/lib" "$CUDA_HOME_DIR/targets/x86_64-linux/lib"; do
      AS_IF([test -f "$mvn_d/libcudart_static.a"], [mvn_cuda_libdir=$mvn_d; break])
    done
    AC_MSG_CHECKING([for the static CUDA runtime])
    AS_IF([test -z "$mvn_cuda_libdir"], [
      AC_MSG_RESULT([no])
      AS_IF([test "x$with_cuda" = xauto],
        [AC_MSG_WARN([nvcc found but no libcudart_static.a under $CUDA_HOME_DIR: the CUDA module will not be built]); NVCC=],
        [AC_MSG_ERROR([CUDA requested but libcudart_static.a was not found under $CUDA_HOME_DIR])])],
      [AC_MSG_RESULT([$mvn_cuda_libdir/libcudart_static.a])])
    CUDA_LIBS="-L$mvn_cuda_libdir -lcudart_static -ldl -lrt -lpthread -lstdc++"
  ])
  AS_IF([test -n "$NVCC"], [
    dnl The arch list must compile: a bad --with-cuda-arch fails here, not
    dnl in the middle of make.
    AC_MSG_CHECKING([whether $NVCC compiles for $NVCC_ARCHFLAGS])
    cat > conftest.cu <<'MVNEOF'
__global__ void k(double *x) { x@<:@threadIdx.x@:>@ *= 2.0; }
int main(void) { return 0; }
MVNEOF
    AS_IF([$NVCC $NVCC_ARCHFLAGS -c conftest.cu -o conftest.o >&AS_MESSAGE_LOG_FD 2>&1],
      [AC_MSG_RESULT([yes]); mvn_cuda_result=yes],
      [AC_MSG_RESULT([no])
       AS_IF([test "x$with_cuda" = xauto && test "x$with_cuda_arch" = xdefault],
         [AC_MSG_WARN([$NVCC cannot compile the default architectures: the CUDA module will not be built]); NVCC=],
         [AC_MSG_ERROR([$NVCC cannot compile with $NVCC_ARCHFLAGS (see config.log)])])])
    rm -f conftest.cu conftest.o
  ])
  AS_IF([test "$mvn_cuda_result" = yes],
    [AC_DEFINE([MVN_HAVE_CUDA_PLUGIN], [1], [Define to 1 when the CUDA backend module is built and installed.])
     mvn_cuda_summary="yes ($NVCC; $NVCC_ARCHFLAGS)"],
    [mvn_cuda_summary=no])
  AC_SUBST([NVCC])
  AC_SUBST([NVCC_ARCHFLAGS])
  AC_SUBST([CUDA_CPPFLAGS])
  AC_SUBST([CUDA_LIBS])
  AM_CONDITIONAL([HAVE_CUDA], [test "$mvn_cuda_result" = yes])
])
