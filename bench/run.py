"""`make bench`: every benchmark in bench/ (each `bench_*.py`, run in turn as its own process, with its own
options and targets), then one line per benchmark: PASS or FAIL. Not part of the test suite.

    .venv/bin/python bench/run.py                                   # every benchmark, full size
    .venv/bin/python bench/run.py referral_file                     # one of them
    .venv/bin/python bench/run.py referral_file --rows 20000 --runs 1 --profile   # with that one's options
    .venv/bin/python bench/bench_referral_file.py --help            # a benchmark's options
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def benches() -> dict[str, Path]:
    return {p.stem.removeprefix("bench_"): p for p in sorted(HERE.glob("bench_*.py"))}


def main(argv: list[str]) -> int:
    found = benches()
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        print("Benchmarks:", ", ".join(found))
        return 0
    if argv and not argv[0].startswith("-"):
        name, options = argv[0], argv[1:]
        if name not in found:
            print(f"No benchmark {name!r}; there are: {', '.join(found)}", file=sys.stderr)
            return 2
        chosen = {name: found[name]}
    else:
        chosen, options = found, argv
    verdicts = {}
    for name, path in chosen.items():
        print(f"=== {name} ({path.name}) ===", flush=True)
        verdicts[name] = subprocess.run([sys.executable, str(path), *options], check=False).returncode
    print()
    for name, code in verdicts.items():
        print(f"{name:20s} {'PASS' if code == 0 else f'FAIL (exit {code})'}")
    return 0 if all(code == 0 for code in verdicts.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
