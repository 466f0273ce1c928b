"""One process per Telegram session: a lock file beside the session, held with flock while it runs."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType


class SessionLockError(Exception):
    """The session lock could not be taken; the message is one line saying what to do."""


class SessionLocked(SessionLockError):
    """Another live process holds the session."""

    def __init__(self, session: Path, pid: int | None) -> None:
        who = f"pid {pid}" if pid else "pid unknown"
        super().__init__(
            f"another ChannelPulse process ({who}) is using {session} — stop it first; "
            "two clients on one session end in 'database is locked' or AuthKeyDuplicated"
        )
        self.pid = pid


def lock_path(session: Path) -> Path:
    """`data/pulse.session` is guarded by `data/pulse.session.lock`."""
    return session.with_name(session.name + ".lock")


class SessionLock:
    """Context manager: take the session's lock at once or raise `SessionLocked`; never wait."""

    def __init__(self, session: Path) -> None:
        self.session = Path(session)
        self.path = lock_path(self.session)
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise SessionLockError(
                f"cannot create the session lock {self.path}: {exc.strerror}; "
                "make its folder writable by this user"
            ) from None
        try:
            # flock, not a pid file: the kernel drops it when the process dies, even on kill -9.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise SessionLocked(self.session, pid) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        # The file stays: unlinking it would let a third process lock a fresh inode beside a holder.
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> SessionLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def lock_holder(session: Path, proc_locks: Path = Path("/proc/locks")) -> int | None:
    """The pid holding `session`'s lock, or None when it is free; OSError when the OS cannot say.

    Read from the kernel's lock table rather than by trying the lock: a probe that took it even
    for a moment could make a `run` starting at that instant refuse to start.
    """
    try:
        st = os.stat(lock_path(session))
    except FileNotFoundError:
        return None
    inode = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in proc_locks.read_text().splitlines():
        fields = line.split()
        # "7: FLOCK  ADVISORY  WRITE 9293 fe:00:2150124 0 EOF"
        if len(fields) >= 6 and fields[1] == "FLOCK" and fields[5] == inode:
            return int(fields[4])
    return None


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode().strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None
