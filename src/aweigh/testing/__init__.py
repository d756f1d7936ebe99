"""Test support: contract suites every backend passes, and throwaway real servers."""
