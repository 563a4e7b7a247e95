"""Tests of the tickrec Python package (run from test/python/*.test.ts with Debian python3)."""
