"""``backstride watch DIR...``: activity files imported as they appear in folders.

Events come from the operating system through ``watchfiles`` (inotify, FSEvents, ReadDirectoryChangesW;
``force_polling`` only for network shares that send none). A file that appears or changes is *pending*
until it is complete: its size and modification time have not changed for :data:`SETTLE_S` seconds and
its content is whole (:func:`looks_complete`: a FIT file as long as its header says, a gzip stream with
its end, an XML file with its closing root tag, a zip with its central directory). Then it goes through
:func:`backstride.ingest.files.import_paths`, the same path as ``backstride import`` (de-duplication, the
lap-button hook), and each outcome is handed to ``on_outcome`` (the CLI prints one line per run).

A file that fails to import is not retried until it changes again.
"""

from __future__ import annotations

import os
import struct
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from backstride.importers.sources import ACTIVITY_SUFFIXES
from backstride.ingest.files import import_paths
from backstride.ingest.saving import Outcome, SavedHook

#: Seconds a file must stay unchanged before it is taken as complete.
SETTLE_S = 2.0
#: How often pending files are looked at when no event comes (milliseconds).
TICK_MS = 500
WATCHED_SUFFIXES = (*ACTIVITY_SUFFIXES, ".zip")


def is_watched(path: str) -> bool:
    name = os.path.basename(path).lower()
    return not name.startswith(".") and name.endswith(WATCHED_SUFFIXES)


def looks_complete(path: str) -> bool:
    """True when the file's content is whole (see the module's docstring); False while it grows."""
    try:
        size = os.path.getsize(path)
        if size == 0:
            return False
        with open(path, "rb") as handle:
            head = handle.read(14)
            name = path.lower()
            if name.endswith(".fit") and len(head) >= 12 and head[8:12] == b".FIT":
                header_size = head[0]
                data_size = struct.unpack("<I", head[4:8])[0]
                return size >= header_size + data_size + 2
            if name.endswith(".gz"):
                handle.seek(0)
                decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
                while not decompressor.eof and (data := handle.read(1024 * 1024)):
                    while data and not decompressor.eof:  # output is dropped: only the end matters
                        decompressor.decompress(data, 1024 * 1024)
                        data = decompressor.unconsumed_tail
                return decompressor.eof
            if name.endswith((".gpx", ".tcx")):
                handle.seek(max(0, size - 256))
                tail = handle.read().rstrip().lower()
                return tail.endswith((b"</gpx>", b"</trainingcenterdatabase>"))
            if name.endswith(".zip"):
                return zipfile.is_zipfile(path)
    except (OSError, zlib.error):
        return False
    return True


@dataclass
class _Pending:
    size: int
    mtime: float
    since: float


@dataclass
class Watcher:
    """The state of one watch: pending files, and what each file looked like when last imported."""

    engine: Engine
    user_id: int
    on_outcome: Callable[[Outcome], None]
    sports: Sequence[str] | None = ("running",)
    on_saved: SavedHook | None = None
    settle_s: float = SETTLE_S
    clock: Callable[[], float] = time.monotonic
    pending: dict[str, _Pending] = field(default_factory=dict)
    done: dict[str, tuple[int, float]] = field(default_factory=dict)

    def seen(self, path: str) -> None:
        """A file appeared or changed: it is pending until complete."""
        if not is_watched(path):
            return
        try:
            stat = os.stat(path)
        except OSError:
            self.pending.pop(path, None)
            return
        if self.done.get(path) == (stat.st_size, stat.st_mtime):
            return
        previous = self.pending.get(path)
        if previous is None or (previous.size, previous.mtime) != (stat.st_size, stat.st_mtime):
            self.pending[path] = _Pending(stat.st_size, stat.st_mtime, self.clock())

    def tick(self) -> list[Outcome]:
        """Import the pending files that are complete now; returns their outcomes."""
        ready: list[str] = []
        now = self.clock()
        for path, entry in list(self.pending.items()):
            try:
                stat = os.stat(path)
            except OSError:
                del self.pending[path]
                continue
            if (stat.st_size, stat.st_mtime) != (entry.size, entry.mtime):
                self.pending[path] = _Pending(stat.st_size, stat.st_mtime, now)
                continue
            if now - entry.since >= self.settle_s and looks_complete(path):
                ready.append(path)
        outcomes: list[Outcome] = []
        for path in sorted(ready):
            entry = self.pending.pop(path)
            self.done[path] = (entry.size, entry.mtime)
            summary = import_paths(
                self.engine,
                [path],
                user_id=self.user_id,
                sports=self.sports,
                workers=1,
                on_saved=self.on_saved,
            )
            for outcome in summary.outcomes:
                self.on_outcome(outcome)
                outcomes.append(outcome)
        return outcomes

    def scan_existing(self, folders: Sequence[str]) -> None:
        """Treat every activity file already in ``folders`` as new (``--existing``)."""
        for folder in folders:
            for root, dirs, files in os.walk(folder):
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                for name in sorted(files):
                    path = os.path.join(root, name)
                    self.seen(path)
                    if path in self.pending:
                        self.pending[path].since = self.clock() - self.settle_s


def watch(
    folders: Sequence[str],
    watcher: Watcher,
    *,
    stop: threading.Event | None = None,
    existing: bool = False,
    force_polling: bool = False,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Watch ``folders`` until ``stop`` is set (or Ctrl-C), importing files as they complete."""
    from watchfiles import Change
    from watchfiles import watch as watch_changes

    missing = [f for f in folders if not os.path.isdir(f)]
    if missing:
        from backstride.errors import ValidationError

        raise ValidationError(f"not a folder: {', '.join(missing)}")
    if existing:
        watcher.scan_existing(folders)
        watcher.tick()
    events: Any = watch_changes(
        *folders,
        stop_event=stop,
        rust_timeout=TICK_MS,
        yield_on_timeout=True,
        debounce=200,
        step=50,
        force_polling=force_polling,
        raise_interrupt=False,
    )
    ready = False
    for changes in events:
        if not ready and on_ready is not None:
            on_ready()  # the first answer (a timeout at the latest) comes once the folders are watched
        ready = True
        for change, path in changes:
            if change in (Change.added, Change.modified):
                watcher.seen(path)
            else:
                watcher.pending.pop(path, None)
                watcher.done.pop(path, None)
        watcher.tick()


__all__ = ["SETTLE_S", "Watcher", "is_watched", "looks_complete", "watch"]
