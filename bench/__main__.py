"""``python -m bench [registry] [options]``: run a benchmark (only ``registry`` so far)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen benchmark."""
    args_list = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("benchmark", nargs="?", default="registry", choices=["registry"])
    parser.add_argument("--quick", action="store_true", help="a tenth of the counts (smoke run)")
    parser.add_argument("--skip-mlflow", action="store_true", help="run aweigh's sides only")
    parser.add_argument("--skip-postgres", action="store_true", help="no PostgreSQL side")
    parser.add_argument("--no-profile", action="store_true", help="skip the pyinstrument run")
    args = parser.parse_args(args_list)

    from bench import registry

    return registry.main(
        quick=args.quick,
        skip_mlflow=args.skip_mlflow,
        skip_postgres=args.skip_postgres,
        profile=not args.no_profile,
        command=" ".join(["python -m bench", *args_list]),
    )


if __name__ == "__main__":
    sys.exit(main())
