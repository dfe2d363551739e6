"""Running ansible-playbook / ansible-doc / ansible-galaxy on the collection in this repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).parents[2]
COLLECTIONS = REPO / "ansible"
COLLECTION = COLLECTIONS / "ansible_collections" / "hybridfw" / "hybrid"
BIN = Path(sys.executable).parent


def ansible(tool: str, *args: str, tmp: Path, ns: str | None = None, cwd: Path | None = None,
            timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """Run an ansible tool of this interpreter with the repository's collection and a private
    ANSIBLE_HOME; modules run with this interpreter (where hybridfw is installed)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(COLLECTIONS), ANSIBLE_HOME=str(tmp / "ansible"),
               ANSIBLE_LOCAL_TEMP=str(tmp / "ansible-tmp"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0", PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    prefix = ["ip", "netns", "exec", ns] if ns else []
    return subprocess.run([*prefix, str(BIN / tool), *args], capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=timeout, check=False)
