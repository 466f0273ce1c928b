"""The dashboard's chart library, uPlot, fetched once from the npm registry into a git-ignored folder
(`make` runs `python -m api.chart_lib` when setting the project up). The pages load it from this
server, never from a CDN; without it they still serve and say that charts are unavailable."""

from __future__ import annotations

import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "uplot@1.6.32"  # exact: the file shipped is the one reviewed
VENDOR = Path(__file__).resolve().parent / "static" / "vendor"
FILES = {"package/dist/uPlot.iife.min.js": "uPlot.iife.min.js", "package/dist/uPlot.min.css": "uPlot.min.css"}
SCRIPT = VENDOR / "uPlot.iife.min.js"
NPM_TIMEOUT = 300  # seconds: a registry that does not answer is a failure, not a hang


def present(folder: Path | None = None) -> bool:
    """Whether the library's files are in `folder` (default: VENDOR, looked up at each call)."""
    folder = folder or VENDOR
    return all((folder / name).is_file() for name in FILES.values())


def fetch(folder: Path | None = None) -> None:
    """`npm pack` the exact package and keep its two dist files; raises CalledProcessError or
    OSError (npm missing, registry unreachable)."""
    folder = folder or VENDOR
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", PACKAGE, "--silent", "--pack-destination", tmp],
                       check=True, timeout=NPM_TIMEOUT, capture_output=True, cwd=tmp)
        (tarball,) = Path(tmp).glob("*.tgz")
        folder.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as tar:
            for member, name in FILES.items():
                source = tar.extractfile(member)
                if source is None:
                    raise OSError(f"{PACKAGE} has no {member}")
                (folder / name).write_bytes(source.read())


def main() -> int:
    if present():
        return 0
    try:
        fetch()
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"chart library {PACKAGE} not fetched ({exc}); the dashboard will serve its pages "
              "without charts. Run `python -m api.chart_lib` again once npm can reach its registry.",
              file=sys.stderr)
        return 1
    print(f"chart library {PACKAGE} saved in {VENDOR}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
