dnl m4/mvn_options.m4 -- build options and compiler features.
dnl SPDX-License-Identifier: GPL-3.0-or-later

dnl --enable-openmp[=auto|yes|no]: threads over lattice points and batch
dnl items.  "yes" fails when the compiler has no OpenMP.
AC_DEFUN([MVN_ARG_OPENMP], [
  AC_ARG_ENABLE([openmp],
    [AS_HELP_STRING([--enable-openmp@<:@=auto|yes|no@:>@], [use OpenMP threads (default: auto)])],
    [], [enable_openmp=auto])
  OPENMP_CFLAGS=
  mvn_openmp_result=no
  AS_IF([test "x$enable_openmp" != xno], [
    AC_OPENMP
    AS_IF([test -n "$OPENMP_CFLAGS"], [mvn_openmp_result=yes],
      [AS_IF([test "x$enable_openmp" = xyes],
         [AC_MSG_ERROR([--enable-openmp was given but $CC does not support OpenMP])])])
  ])
  AC_SUBST([OPENMP_CFLAGS])
  AS_IF([test "$mvn_openmp_result" = yes],
    [AC_DEFINE([MVN_HAVE_OPENMP], [1], [Define to 1 when built with OpenMP.])])
])

dnl --disable-simd: build only the portable kernel set (GCC/Clang vector
dnl extensions), without the AVX2 and AVX-512 sets.
AC_DEFUN([MVN_ARG_SIMD], [
  AC_ARG_ENABLE([simd],
    [AS_HELP_STRING([--disable-simd], [build only the portable kernel set, no AVX2/AVX-512])],
    [], [enable_simd=yes])
  AS_IF([test "x$enable_simd" = xyes],
    [AC_DEFINE([MVN_ENABLE_SIMD], [1], [Define to 1 to build SIMD kernels.])])
  AM_CONDITIONAL([ENABLE_SIMD], [test "x$enable_simd" = xyes])
  dnl The AVX2 / AVX-512 kernel sets, when the compiler can build them (the
  dnl CPU is asked at run time).
  mvn_simd_x86=no
  AS_IF([test "x$enable_simd" = xyes], [
    AS_CASE([$host_cpu], [x86_64|i?86], [
      mvn_save_CFLAGS=$CFLAGS
      CFLAGS="$CFLAGS -mavx512f -ffp-contract=off"
      AC_MSG_CHECKING([whether $CC builds AVX2/AVX-512 kernels])
      AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <immintrin.h>
typedef double v8 __attribute__((vector_size(64)));]],
        [[v8 x = {1}; x = x * 2.0; __m512d y = _mm512_sqrt_pd((__m512d)x); (void)y;
          __builtin_cpu_init(); return __builtin_cpu_supports("avx512f");]])],
        [mvn_simd_x86=yes])
      AC_MSG_RESULT([$mvn_simd_x86])
      CFLAGS=$mvn_save_CFLAGS])])
  AS_IF([test "x$mvn_simd_x86" = xyes],
    [AC_DEFINE([MVN_SIMD_X86], [1], [Define to 1 when the AVX2 and AVX-512 kernels are built.])])
  AM_CONDITIONAL([SIMD_X86], [test "x$mvn_simd_x86" = xyes])
])

dnl --enable-debug: -O0 -g3 and internal assertions.
AC_DEFUN([MVN_ARG_DEBUG], [
  AC_ARG_ENABLE([debug],
    [AS_HELP_STRING([--enable-debug], [build with -O0 -g3 and internal checks])],
    [], [enable_debug=no])
  AS_IF([test "x$enable_debug" = xyes],
    [CFLAGS="$CFLAGS -O0 -g3"
     AC_DEFINE([MVN_DEBUG], [1], [Define to 1 for internal consistency checks.])],
    [AC_DEFINE([NDEBUG], [1], [Define to 1 to disable assert().])])
])

dnl -fvisibility=hidden when the compiler has it.
AC_DEFUN([MVN_CHECK_VISIBILITY], [
  MVN_VISIBILITY_CFLAGS=
  mvn_save_CFLAGS=$CFLAGS
  CFLAGS="$CFLAGS -fvisibility=hidden -Werror"
  AC_MSG_CHECKING([whether $CC accepts -fvisibility=hidden])
  AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[__attribute__((visibility("default"))) int f(void);]], [[]])],
    [MVN_VISIBILITY_CFLAGS=-fvisibility=hidden; AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no])])
  CFLAGS=$mvn_save_CFLAGS
  AC_SUBST([MVN_VISIBILITY_CFLAGS])
])

dnl A GNU ld version script, when the linker takes one.
AC_DEFUN([MVN_CHECK_VERSION_SCRIPT], [
  AC_MSG_CHECKING([whether the linker accepts a version script])
  mvn_save_LDFLAGS=$LDFLAGS
  echo '{ global: main; local: *; };' > conftest.map
  LDFLAGS="$LDFLAGS -Wl,--version-script=conftest.map"
  AC_LINK_IFELSE([AC_LANG_PROGRAM([[]], [[]])],
    [mvn_have_vscript=yes], [mvn_have_vscript=no])
  rm -f conftest.map
  LDFLAGS=$mvn_save_LDFLAGS
  AC_MSG_RESULT([$mvn_have_vscript])
  AM_CONDITIONAL([HAVE_VERSION_SCRIPT], [test "$mvn_have_vscript" = yes])
])
