"""`make bench`: run every benchmark in this folder (never part of `make test`)."""
import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

if __name__ == "__main__":
    for script in sorted(HERE.glob("*.py")):
        # locustfile.py holds bench/load.py's locust users and harness.py what the benchmarks share:
        # neither is a benchmark of its own.
        if script.name in {"run.py", "__init__.py", "locustfile.py", "harness.py"}:
            continue
        print(f"== {script.stem}")
        sys.argv = [str(script)]
        runpy.run_path(str(script), run_name="__main__")
