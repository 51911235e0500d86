"""Type-check the public API from a user's side: ``python tests/typing/check_types.py``.

``example_usage.py`` must pass ``mypy --strict``; in ``mistakes.py`` mypy must report an
error on exactly the lines marked ``# expect: <code>``, each with that code. mock_ecr's own
modules are read for their types but not reported on, as for an installed package.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CONFIG = HERE / "mypy.ini"
ERROR = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: .*\[(?P<code>[a-z-]+)\]$")


def mypy(path: Path) -> tuple[int, list[tuple[int, str]], str]:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(CONFIG), "--no-incremental", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    found = []
    for line in done.stdout.splitlines():
        match = ERROR.match(line)
        if match and Path(match["file"]).name == path.name:
            found.append((int(match["line"]), match["code"]))
    return done.returncode, sorted(found), done.stdout + done.stderr


def expected(path: Path) -> list[tuple[int, str]]:
    return sorted(
        (number, match[1])
        for number, text in enumerate(path.read_text().splitlines(), 1)
        if (match := re.search(r"# expect: ([a-z-]+)$", text))
    )


def main() -> int:
    failures = []
    status, found, output = mypy(HERE / "example_usage.py")
    if status != 0:
        failures.append(f"example_usage.py does not pass mypy --strict:\n{output}")
    want = expected(HERE / "mistakes.py")
    status, found, output = mypy(HERE / "mistakes.py")
    if found != want:
        missed = sorted(set(want) - set(found))
        extra = sorted(set(found) - set(want))
        failures.append(f"mistakes.py: mypy missed {missed}, reported unexpected {extra}:\n{output}")
    for failure in failures:
        print(failure)
    if not failures:
        print(f"typing: example_usage.py passes mypy --strict; mypy flags all {len(want)} mistakes")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
