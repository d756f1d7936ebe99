"""``python -m bench [all|registry|serving|events|validation|privacy|drift] [options]``: run
benchmarks (default: all)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen benchmark (every one by default)."""
    args_list = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "benchmark",
        nargs="?",
        default="all",
        choices=["all", "registry", "serving", "events", "validation", "privacy", "drift"],
    )
    parser.add_argument("--quick", action="store_true", help="short runs (smoke test)")
    parser.add_argument("--skip-mlflow", action="store_true", help="registry: aweigh's sides only")
    parser.add_argument("--skip-postgres", action="store_true", help="registry: no PostgreSQL")
    parser.add_argument("--skip-peers", action="store_true", help="serving: no MLServer/BentoML")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="serving: only servers whose name contains NAME (repeatable; 'demo' for its RSS)",
    )
    parser.add_argument(
        "--model", action="append", choices=["light", "heavy"], help="serving: only this model"
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the profiler runs")
    parser.add_argument(
        "--gc-check",
        action="store_true",
        help="serving: only time aweigh's garbage collections, as shipped and with gc.freeze()",
    )
    args = parser.parse_args(args_list)
    command = " ".join(["python -m bench", *args_list])
    status = 0

    if args.benchmark in ("all", "registry"):
        from bench import registry

        status |= registry.main(
            quick=args.quick,
            skip_mlflow=args.skip_mlflow,
            skip_postgres=args.skip_postgres,
            profile=not args.no_profile,
            command=command,
        )
    if args.benchmark == "serving" and args.gc_check:
        from bench import serving

        return serving.gc_main(quick=args.quick, command=command)
    if args.benchmark in ("all", "serving"):
        from bench import serving

        status |= serving.main(
            quick=args.quick,
            skip_peers=args.skip_peers,
            profile_aweigh=not args.no_profile,
            only=args.only,
            models=tuple(args.model) if args.model else serving.MODELS,
            command=command,
        )
    if args.benchmark == "events":
        from bench import event_log

        status |= event_log.main(["--events", "100000"] if args.quick else [])
    if args.benchmark in ("all", "validation"):
        status |= _script("bench.validation_online")
        status |= _script(
            "bench/validation_batch.py", *(["--rows", "200000"] if args.quick else [])
        )
    if args.benchmark in ("all", "privacy"):
        status |= _script("bench.privacy_scan", *(["--rows", "200000"] if args.quick else []))
        status |= _script("bench.privacy_redaction")
    if args.benchmark in ("all", "drift"):
        from bench import drift

        status |= drift.main(quick=args.quick, command=command)
    return status


def _script(module: str, *extra: str) -> int:
    """Run a stand-alone benchmark module with this interpreter (each prints its table)."""
    import subprocess

    print(f"\n== python -m {module} {' '.join(extra)}".rstrip(), flush=True)
    return subprocess.run([sys.executable, "-m", module, *extra], check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
