// Payment runs (issue 24): filled in by its helper.
#include <doctest/doctest.h>
