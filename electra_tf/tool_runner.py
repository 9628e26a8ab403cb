"""How every tool starts: absl's `app.run`, with `--help` a success.

absl exits with status 1 after printing `--help` (and `--helpfull`), so a
script or CI step that asks a tool for its help sees a failure. The tools run
through `run_tool`, which keeps absl's parsing and output and exits 0 instead.
"""

import sys

from absl import app
from absl import flags

from electra_tf.errors import UsageError

HELP_FLAGS = ("--help", "-help", "-h", "-?", "--helpshort", "--helpfull", "--helpxml")


def run_tool(main, argv=None):
    """Runs `main` under `absl.app.run`; `--help` and its kin exit with status 0.

    Args:
        main: callable taking argv (a tool's `main`, usually wrapped in
            `errors.report_usage_errors`).
        argv: list of str or None (`sys.argv`).

    Example:
    ```python
    if __name__ == "__main__":
        run_tool(main)
    ```
    """
    argv = sys.argv if argv is None else argv
    asks_help = any(arg.split("=")[0] in HELP_FLAGS for arg in argv[1:])
    # `--help` lists the main script's flags. Started as a console script, the
    # main script is the generated wrapper, which defines none: adopt the tool's.
    for flag in flags.FLAGS.get_key_flags_for_module(main.__module__):
        flags.FLAGS.register_key_flag_for_module(argv[0], flag)
    try:
        app.run(main, argv=argv)
    except SystemExit as exit_:
        # absl raises SystemExit(1) right after printing the help text.
        if asks_help and exit_.code == 1:
            sys.exit(0)
        raise


def check_command_line(argv, required=()):
    """Refuses positional arguments and missing required flags, naming each flag's help.

    Args:
        argv: list of str. What absl left after parsing flags (argv[0] is the program).
        required: iterable of str. Flag names that must be set.

    Raises:
        UsageError: a positional argument, or a required flag unset.

    Example:
    ```python
    def main(argv):
        check_command_line(argv, required=("model_dir",))
    ```
    """
    if len(argv) > 1:
        raise UsageError(f"unexpected arguments {argv[1:]}; flags look like --name=value.")
    for name in required:
        if not flags.FLAGS[name].value:
            raise UsageError(f"--{name} is required ({flags.FLAGS[name].help})")
