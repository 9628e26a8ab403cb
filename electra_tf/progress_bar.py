"""Progress of long work, readable on a terminal and in a log file.

Keras' `Progbar` writes ANSI colours, carriage returns and backspaces even
when stdout is a file, and its first ETA divides the first step's time (which
includes tracing and XLA compilation) into the whole run: hundreds of hours
for a job of minutes. `ProgressBar` rewrites one line on a terminal and writes
plain, spaced-out lines otherwise, and shows an ETA only once a rate has been
measured after the first update.
"""

import sys
import time


def _format_seconds(seconds):
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class ProgressBar:
    """Counts toward `target` and prints progress, elapsed time, ETA and metrics.

    Args:
        target: int or None. The final count (None: unknown, no ETA).
        unit_name: str. What is counted ("step", "byte").
        stateful_metrics: iterable of str. Metrics shown as given; the others
            are averaged over the updates.
        verbose: int. 0 prints nothing.
        stream: file or None (stdout). On a terminal the line is rewritten in
            place; otherwise each print is a new line.
        interval: float or None. Least seconds between prints (default 0.5 on
            a terminal, 30 otherwise); the final update always prints.

    Example:
    ```python
    bar = ProgressBar(1000, stateful_metrics=["lr"])
    for step in range(1, 1001):
        bar.update(step, [("loss", 0.7), ("lr", 1e-4)])
    ```
    """

    def __init__(self, target, unit_name="step", stateful_metrics=(), verbose=1, stream=None,
                 interval=None):
        self.target = target
        self.unit_name = unit_name
        self.stateful = set(stateful_metrics or ())
        self.verbose = verbose
        self.stream = stream or sys.stdout
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval if interval is not None else (0.5 if self.tty else 30.0)
        self.start = time.time()
        self._first = None  # (time, count) of the first update: the rate is measured after it
        self._sums, self._counts, self._last = {}, {}, {}
        self._printed_at, self._width, self._seen = None, 0, 0

    def update(self, current, values=None, finalize=None):
        """Records `current` (the count so far) and `values` [(name, value)], maybe prints.

        Args:
            current: int.
            values: list of (str, float) or None.
            finalize: bool or None. Print now and end the line (default: when
                `current` reaches `target`).
        """
        now = time.time()
        steps = max(current - self._seen, 1)
        self._seen = current
        for name, value in values or ():
            value = float(value)
            if name in self.stateful:
                self._last[name] = value
            else:
                self._sums[name] = self._sums.get(name, 0.0) + value * steps
                self._counts[name] = self._counts.get(name, 0) + steps
                self._last[name] = self._sums[name] / self._counts[name]
        if self._first is None:
            self._first = (now, current)
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        if not self.verbose:
            return
        if (not finalize and self._printed_at is not None
                and now - self._printed_at < self.interval):
            return
        self._printed_at = now
        self._print(self.line(current, now), finalize)

    def line(self, current, now=None):
        """The progress line for `current` (without printing it)."""
        now = time.time() if now is None else now
        parts = [f"{current}/{self.target}" if self.target is not None else f"{current}",
                 f"{self.unit_name}s", f"{_format_seconds(now - self.start)} elapsed"]
        first_time, first_count = self._first or (now, current)
        if self.target is not None and current > first_count and now > first_time:
            rate = (current - first_count) / (now - first_time)
            if current < self.target:
                parts.append(f"ETA {_format_seconds((self.target - current) / rate)}")
        metrics = " - ".join(f"{name}: {value:.4g}" for name, value in self._last.items())
        return " ".join(parts) + (f" - {metrics}" if metrics else "")

    def _print(self, line, finalize):
        if self.tty:
            padding = " " * max(self._width - len(line), 0)
            self._width = len(line)
            self.stream.write("\r" + line + padding + ("\n" if finalize else ""))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
