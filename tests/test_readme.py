"""The README's examples run exactly as written (in a fresh folder, on embedded defaults)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_readme_python_example_runs_on_embedded_defaults(tmp_path: Path) -> None:
    blocks = _python_blocks()
    assert blocks, "the README must show the Python API"
    script = tmp_path / "example.py"
    script.write_text(blocks[0])
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWEIGH_USER": "readme"}
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "income/1" in done.stdout
    assert (tmp_path / ".aweigh" / "aweigh.db").is_file()


def test_the_quick_start_has_exactly_the_two_commands() -> None:
    text = README.read_text()
    quick = text.split("## Quick start", 1)[1].split("##", 1)[0]
    commands = re.findall(r"```bash\n(.*?)```", quick, flags=re.S)
    assert commands == ["make demo\nmake test\n"]
