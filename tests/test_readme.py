"""README's commands are what users run and what CI runs: keep them true."""

import os
import re

from tests.conftest import REPO


def _bash_blocks(path):
    text = open(os.path.join(REPO, path), encoding="utf-8").read()
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def test_quick_start_is_two_commands_and_ci_runs_the_test_command_verbatim():
    blocks = _bash_blocks("README.md")
    install_and_run, test_command = blocks[0].strip(), blocks[1].strip()
    assert install_and_run == "pip install -e . && python tools/pretrain.py"
    ci = open(os.path.join(REPO, ".ci", "run"), encoding="utf-8").read().splitlines()
    assert test_command in [line.strip() for line in ci]


def test_every_tool_named_in_readme_exists():
    text = open(os.path.join(REPO, "README.md"), encoding="utf-8").read()
    for tool in set(re.findall(r"tools/(\w+)\.py", text)):
        assert os.path.isfile(os.path.join(REPO, "tools", f"{tool}.py")), tool
