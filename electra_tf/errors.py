"""The one exception type for problems a user can fix, and how tools report it.

Library code raises `UsageError` with a message that names the file (or flag) and
the fix. Tools wrap their `main` in `report_usage_errors` so such an error prints
one clear line and exits non-zero, instead of a stack trace from deep inside
TensorFlow.
"""

import functools
import sys


class UsageError(ValueError):
    """Bad input a user can fix: missing file, wrong vocab, mismatched config, ...

    Args:
        message: str. What is wrong, naming the file or flag, and how to fix it.
    """


def report_usage_errors(main):
    """Decorates a tool's `main(argv)`: a `UsageError` prints `error: ...`, exits 2.

    Example:
    ```python
    @report_usage_errors
    def main(argv):
        ...
    ```
    """

    @functools.wraps(main)
    def wrapper(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except UsageError as error:
            print(f"error: {error}", file=sys.stderr, flush=True)
            sys.exit(2)

    return wrapper
