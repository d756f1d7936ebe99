"""aweigh's benchmarks: ``python -m bench [registry]`` (see BENCHMARKS.md).

Each benchmark runs aweigh and the peer users would otherwise pick in the same run,
each side in its own process (peers in their own virtualenv under ``.bench-venvs/``),
and reports ratios, because the machines these run on are shared and noisy.
"""
