// End-to-end tests of the built `fundtrail` binary (see fixture.h, run.h).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
