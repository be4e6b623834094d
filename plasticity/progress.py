"""The one progress bar of the package: a tqdm bar on stderr, moved by a polling thread.

Simulations poll the progress file their compiled program writes; sweeps
poll the status log of their points. Both go through :class:`ProgressBar`.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["ProgressBar"]


class ProgressBar:
    """A progress bar over ``total`` units, or nothing when disabled.

    Parameters
    ----------
    total : float
        Length of the bar.
    unit, desc : str
        tqdm's unit and description.
    enabled : bool
        False makes every method a no-op (quiet runs, ``-q``).
    leave : bool
        Keep the finished bar on the terminal.
    """

    def __init__(self, total: float, *, unit: str, desc: str, enabled: bool = True,
                 leave: bool = True) -> None:
        self.total, self.unit, self.desc = total, unit, desc
        self.enabled, self.leave = enabled, leave
        self._bar: Any = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Show the bar (on first call; later calls do nothing)."""
        if self.enabled and self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, unit=self.unit, desc=self.desc, file=sys.stderr,
                             leave=self.leave, dynamic_ncols=True)

    def set(self, position: float, **postfix: Any) -> None:
        """Move the bar forward to ``position`` (never back), with optional postfix values."""
        with self._lock:
            if self._bar is None:
                return
            self._bar.update(max(0.0, position - self._bar.n))
            if postfix:
                self._bar.set_postfix(**postfix, refresh=False)

    @contextlib.contextmanager
    def polling(self, read: Callable[[], tuple[float, dict[str, Any]] | None],
                period_s: float = 0.25) -> Iterator[None]:
        """Call ``read()`` every ``period_s`` in a thread and move the bar to what it returns.

        ``read`` returns ``(position, postfix)`` or None when nothing is known
        yet; it is called once more when the block ends.
        """
        if not self.enabled:
            yield
            return
        self.start()
        stop = threading.Event()

        def poll() -> None:
            while True:
                finished = stop.wait(period_s)
                with contextlib.suppress(OSError, ValueError, IndexError):
                    value = read()
                    if value is not None:
                        self.set(value[0], **value[1])
                if finished:
                    return

        thread = threading.Thread(target=poll, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    def close(self) -> None:
        """Remove the bar (safe to call more than once)."""
        with self._lock:
            if self._bar is not None:
                self._bar.close()
                self._bar = None
