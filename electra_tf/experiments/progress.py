"""One progress line per unit of work: phase, position, elapsed time and ETA.

The ETA extrapolates from work done in this process only: parts skipped on a
resume count as done but not as speed, so a resumed experiment does not
promise to finish at once.
"""

import time


def format_seconds(seconds):
    """`h:mm:ss` (or `--:--:--` when unknown)."""
    if seconds is None:
        return "--:--:--"
    seconds = int(round(max(seconds, 0)))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """Tracks one phase's work (jobs, or FLOPs for pretraining) and logs lines.

    Args:
        phase: str. Shown first on every line ("pretraining", "fine-tuning").
        total: float. Work in the phase (any unit: jobs, FLOPs).
        log: callable taking a str.
        clock: callable returning seconds (for tests).

    Example:
    ```python
    progress = Progress("fine-tuning", total=20)
    progress.skip(5, "electra rt seed 1")        # finished earlier
    progress.done(1, "electra rt seed 2: 81.2")  # one line with elapsed and ETA
    ```
    """

    def __init__(self, phase, total, log=print, clock=time.time):
        self.phase, self.total, self.log, self.clock = phase, float(total), log, clock
        self.start = clock()
        self.completed = 0.0  # done or skipped
        self.worked = 0.0  # done in this process: what the speed is measured on

    def eta(self):
        """Seconds left at this process's speed so far (None before any work)."""
        if self.worked <= 0:
            return None
        rate = self.worked / max(self.clock() - self.start, 1e-9)
        return max(self.total - self.completed, 0.0) / rate

    def _line(self, what):
        share = 100.0 * self.completed / self.total if self.total else 100.0
        return (f"[{self.phase} {share:5.1f}% | elapsed {format_seconds(self.clock() - self.start)}"
                f" | ETA {format_seconds(self.eta())}] {what}")

    def note(self, what):
        """Logs a line without counting work (e.g. a job starting)."""
        self.log(self._line(what))

    def skip(self, amount, what):
        """Counts work finished by an earlier run; logs it as skipped."""
        self.completed += amount
        self.log(self._line(f"{what}: finished earlier, skipped"))

    def done(self, amount, what):
        """Counts work done now and logs it."""
        self.completed += amount
        self.worked += amount
        self.log(self._line(what))
