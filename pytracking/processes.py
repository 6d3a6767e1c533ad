"""Worker processes that do not outlive the run that started them."""
from __future__ import annotations

import os
import threading
import time
from typing import Optional


def exit_with_parent(parent: Optional[int] = None, interval: float = 0.5) -> threading.Thread:
    """End this process (``os._exit``) soon after its parent dies, even by ``kill -9``.

    A pool worker otherwise keeps tracking (and holding its network's memory) after the
    parent is gone: a daemon thread polls the parent's pid, which changes when the process
    is re-parented. ``parent`` is the pid the parent passed (a worker still importing when
    the parent died would otherwise take its new parent for the real one); default: the
    current parent. Call it first thing in a worker.
    """
    parent = os.getppid() if parent is None else parent

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os._exit(1)
            time.sleep(interval)

    thread = threading.Thread(target=watch, name="exit-with-parent", daemon=True)
    thread.start()
    return thread
