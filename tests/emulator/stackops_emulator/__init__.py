"""The stackops emulator: moto's server plus request accounting, fault injection and AWS behaviours.

It stands in for AWS in ``make demo``, in every test and in the benchmarks. See ``tests/emulator/README.md``.
"""

DEFAULT_PORT = 45123
CONTROL_PREFIX = "/_stackops"
