/* test_names.c -- status, option and option-value names: every one
   round-trips through its name, look-ups are case- and prefix-tolerant,
   unknown names are refused, and messages use the C locale whatever
   LC_NUMERIC says. */
/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mvnorm.h"
#include "tap.h"

int main(void)
{
    int ok = 1;
    for (int s = 0; s < MVN_STATUS_COUNT; ++s) {
        const char *name = mvn_status_name(s);
        ok &= name != NULL && strncmp(name, "MVN_", 4) == 0 &&
              mvn_status_from_name(name) == s &&
              mvn_status_from_name(name + 4) == s;
    }
    tap_ok(ok, "every status round-trips through its name (with and without MVN_)");
    tap_ok(strcmp(mvn_status_name(MVN_ECANCELED), "MVN_ECANCELED") == 0 &&
           mvn_status_from_name("etol") == MVN_ETOL &&
           mvn_status_from_name("mvn_enotpd") == MVN_ENOTPD,
           "status names: case-insensitive look-up");
    tap_ok(mvn_status_name(-1) == NULL && mvn_status_name(MVN_STATUS_COUNT) == NULL &&
           mvn_status_from_name("nonsense") == -1 && mvn_status_from_name(NULL) == -1 &&
           mvn_status_from_name("MVN_") == -1,
           "unknown statuses and names are refused");

    ok = 1;
    for (int o = 1; o <= MVN_OPTION_MAX; ++o) {
        const char *name = mvn_option_name(o);
        char upper[64];
        size_t k = 0;
        for (const char *c = "MVN_OPT_"; *c; ++c)
            upper[k++] = *c;
        for (const char *c = name; c && *c && k < sizeof upper - 1; ++c)
            upper[k++] = (char)(*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c);
        upper[k] = '\0';
        ok &= name != NULL && mvn_option_from_name(name) == o &&
              mvn_option_from_name(upper) == o;
    }
    tap_ok(ok, "every option round-trips through its name (plain and MVN_OPT_ upper case)");
    tap_ok(mvn_option_from_name("error-factor") == MVN_OPT_ERROR_FACTOR &&
           mvn_option_from_name("bogus") == 0 && mvn_option_name(0) == NULL &&
           mvn_option_name(MVN_OPTION_MAX + 1) == NULL,
           "option look-up: '-' for '_', unknown names and values refused");

    static const int enums[4] = {MVN_OPT_METHOD, MVN_OPT_BACKEND, MVN_OPT_REORDER,
                                 MVN_OPT_GRADIENT};
    ok = 1;
    for (int e = 0; e < 4; ++e) {
        double lo, hi;
        mvn_option_bounds(enums[e], &lo, &hi, NULL);
        for (int v = (int)lo; v <= (int)hi; ++v) {
            const char *vn = mvn_option_value_name(enums[e], v);
            double got = -1;
            ok &= vn != NULL && mvn_option_parse(enums[e], vn, &got) == MVN_OK && got == v;
        }
        ok &= mvn_option_value_name(enums[e], (int)hi + 1) == NULL;
    }
    tap_ok(ok, "every value of every enumerated option round-trips through its name");
    double v = -1;
    tap_ok(mvn_option_parse(MVN_OPT_METHOD, "TILTED", &v) == MVN_OK && v == MVN_METHOD_TILTED &&
           mvn_option_parse(MVN_OPT_GRADIENT, "estimator", &v) == MVN_OK &&
           v == MVN_GRADIENT_ESTIMATOR &&
           mvn_option_parse(MVN_OPT_METHOD, "1", &v) == MVN_OK && v == MVN_METHOD_QMC,
           "enumerated options parse names (any case) and numbers");
    v = -1;
    tap_ok(mvn_option_parse(MVN_OPT_ABSEPS, "2.5e-4", &v) == MVN_OK && v == 2.5e-4,
           "numeric options parse C-locale numbers");
    v = 42;
    tap_ok(mvn_option_parse(MVN_OPT_ABSEPS, "abc", &v) == MVN_EINVAL &&
           mvn_option_parse(MVN_OPT_ABSEPS, "1e-3x", &v) == MVN_EINVAL &&
           mvn_option_parse(MVN_OPT_ABSEPS, "", &v) == MVN_EINVAL &&
           mvn_option_parse(MVN_OPT_SHIFTS, "2.5", &v) == MVN_EINVAL &&
           mvn_option_parse(MVN_OPT_SHIFTS, "65", &v) == MVN_EINVAL &&
           mvn_option_parse(MVN_OPT_METHOD, "fast", &v) == MVN_EINVAL &&
           mvn_option_parse(0, "1", &v) == MVN_EINVAL &&
           mvn_option_parse(MVN_OPT_SEED, NULL, &v) == MVN_EINVAL && v == 42,
           "bad option text: MVN_EINVAL, value untouched");
    tap_ok(mvn_option_value_name(MVN_OPT_ABSEPS, 0) == NULL &&
           mvn_option_value_name(MVN_OPT_METHOD, -1) == NULL,
           "value names only for enumerated options and their values");

    /* Locale: a host that uses ',' as the decimal separator must not
       change the library's messages.  Skip the check when no such
       locale is installed (said so in the output). */
    const char *decimal_comma[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8",
                                   "fr_FR.utf8", NULL};
    const char *got_locale = NULL;
    for (int i = 0; decimal_comma[i] && !got_locale; ++i) {
        char probe[32];
        if (setlocale(LC_NUMERIC, decimal_comma[i]) != NULL &&
            snprintf(probe, sizeof probe, "%g", 0.25) > 0 && strcmp(probe, "0,25") == 0)
            got_locale = decimal_comma[i];
    }
    mvn_context *ctx = mvn_context_alloc();
    if (got_locale) {
        int st = mvn_context_set(ctx, MVN_OPT_ABSEPS, 1.5);
        const char *m = mvn_context_message(ctx);
        tap_ok(st == MVN_EINVAL && strstr(m, "1.5") != NULL && strstr(m, "1,5") == NULL,
               "messages use the C locale under LC_NUMERIC %s: %s", got_locale, m);
        v = -1;
        tap_ok(mvn_option_parse(MVN_OPT_ABSEPS, "0.25", &v) == MVN_OK && v == 0.25,
               "option text parsed in the C locale under LC_NUMERIC %s", got_locale);
    } else {
        tap_skip("no decimal-comma locale installed (Debian: locales, de_DE.UTF-8)");
        tap_skip("no decimal-comma locale installed (Debian: locales, de_DE.UTF-8)");
    }
    setlocale(LC_NUMERIC, "C");
    mvn_context_free(ctx);
    return tap_exit();
}
