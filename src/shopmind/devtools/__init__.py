"""Tools for developing and measuring shopmind (tests, benchmarks); not used at run time."""
