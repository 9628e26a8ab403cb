"""Tools start through `run_tool`: `--help` succeeds (absl alone exits 1), errors still fail."""

import subprocess
import sys

import pytest

from electra_tf.tool_runner import run_tool
from tests.conftest import REPO


def _main(argv):
    del argv
    return None


@pytest.mark.parametrize("flag", ["--help", "--helpfull", "-?"])
def test_help_exits_zero(flag, capsys):
    with pytest.raises(SystemExit) as exit_:
        run_tool(_main, argv=["tool", flag])
    assert exit_.value.code == 0
    assert "flags" in capsys.readouterr().out.lower()


def test_unknown_flag_still_fails():
    with pytest.raises(SystemExit) as exit_:
        run_tool(_main, argv=["tool", "--no_such_flag_anywhere=1"])
    assert exit_.value.code == 1


def test_a_real_tool_answers_help_with_status_zero():
    result = subprocess.run([sys.executable, "tools/build_vocab.py", "--help"], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "--vocab_size" in result.stdout


def test_command_line_check_names_the_missing_flag_and_its_help():
    from absl import flags

    from electra_tf.errors import UsageError
    from electra_tf.tool_runner import check_command_line

    flags.DEFINE_string("runner_test_dir", None, "Where the test writes.")
    flags.FLAGS(["prog"])
    with pytest.raises(UsageError, match=r"--runner_test_dir is required \(Where the test"):
        check_command_line(["prog"], required=("runner_test_dir",))
    with pytest.raises(UsageError, match="unexpected arguments"):
        check_command_line(["prog", "stray"])
    check_command_line(["prog"])


def test_in_process_runs_report_crashes_and_leave_no_flags_behind(monkeypatch, tmp_path):
    """The harness most tool tests use: a crash is a traceback and status 1, as in a
    subprocess (so `assert_clean_error` fails on it), and each run's flags are gone after."""
    from absl import flags

    from electra_tf.export import exporter
    from tests.conftest import assert_clean_error
    from tests.conftest import run_tool_in_process

    def crash(*args, **kwargs):
        raise RuntimeError("deep inside")

    # A flag some other module defined in this process (saved_model_cli defines
    # --overwrite and --output_dir) does not collide with the tool's own.
    defined_here = "overwrite" not in flags.FLAGS
    if defined_here:
        flags.DEFINE_bool("overwrite", False, "Defined elsewhere.")
    elsewhere = flags.FLAGS["overwrite"]
    monkeypatch.setattr(exporter, "export_model_dir", crash)
    result = run_tool_in_process("export", f"--model_dir={tmp_path}")
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "RuntimeError: deep inside" in result.stderr
    with pytest.raises(AssertionError):
        assert_clean_error(result)
    assert "top_k" not in flags.FLAGS and flags.FLAGS["overwrite"] is elsewhere
    # The same flag names defined again by another tool, and by this one once more.
    assert run_tool_in_process("build_vocab", "--help").returncode == 0
    helped = run_tool_in_process("export", "--help")
    assert helped.returncode == 0 and "--top_k" in helped.stdout
    if defined_here:
        delattr(flags.FLAGS, "overwrite")
