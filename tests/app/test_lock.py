import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.lock import SessionLock, SessionLocked, SessionLockError, lock_holder, lock_path

ROOT = Path(__file__).resolve().parents[2]
HOLD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from app.lock import SessionLock
    with SessionLock(Path(sys.argv[1])):
        print("locked", flush=True)
        sys.stdin.read()  # hold until the test closes our stdin (or kills us)
""")
TRY = textwrap.dedent("""
    import sys
    from pathlib import Path
    from app.lock import SessionLock, SessionLocked
    try:
        with SessionLock(Path(sys.argv[1])):
            print("acquired")
    except SessionLocked as exc:
        print(exc)
        sys.exit(3)
""")


def _python(code: str, *args: str, **kwargs: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], env=env, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs,  # type: ignore[call-overload]
    )


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], Path]]:
    session = tmp_path / "data" / "pulse.session"
    proc = _python(HOLD, str(session))
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    yield proc, session
    if proc.poll() is None:
        proc.kill()
    proc.communicate(timeout=60)


def test_a_second_process_is_refused_at_once_with_the_holders_pid(
    holder: tuple[subprocess.Popen[str], Path],
) -> None:
    proc, session = holder
    second = _python(TRY, str(session))
    out, _ = second.communicate(timeout=60)
    assert second.returncode == 3
    assert out.strip() == (
        f"another ChannelPulse process (pid {proc.pid}) is using {session} — stop it first; "
        "two clients on one session end in 'database is locked' or AuthKeyDuplicated"
    )


def test_the_lock_is_free_again_after_the_holder_exits(holder: tuple[subprocess.Popen[str], Path]) -> None:
    proc, session = holder
    with pytest.raises(SessionLocked) as info:
        SessionLock(session).acquire()
    assert info.value.pid == proc.pid
    proc.communicate(input="", timeout=60)  # clean exit
    with SessionLock(session) as lock:
        assert lock.held


def test_kill_9_frees_the_lock_without_cleanup(holder: tuple[subprocess.Popen[str], Path]) -> None:
    proc, session = holder
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert lock_path(session).exists()  # the stale file is harmless: the kernel dropped the flock
    second = _python(TRY, str(session))
    out, _ = second.communicate(timeout=60)
    assert (second.returncode, out.strip()) == (0, "acquired")


def test_lock_file_sits_beside_the_session(tmp_path: Path) -> None:
    session = tmp_path / "data" / "pulse.session"
    assert lock_path(session) == tmp_path / "data" / "pulse.session.lock"
    with SessionLock(session):
        assert lock_path(session).read_text().strip() == str(os.getpid())
        assert (lock_path(session).stat().st_mode & 0o777) == 0o600


def test_a_folder_that_cannot_hold_the_lock_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the data folder should be")
    with pytest.raises(SessionLockError) as info:
        SessionLock(blocker / "pulse.session").acquire()
    assert str(info.value).startswith(f"cannot create the session lock {blocker / 'pulse.session.lock'}")
    assert "\n" not in str(info.value)


def test_lock_holder_reads_the_pid_from_the_kernel_without_taking_the_lock(
    holder: tuple[subprocess.Popen[str], Path],
) -> None:
    proc, session = holder
    assert lock_holder(session) == proc.pid
    # Asking did not take the lock: a process that really tries is still refused by the holder.
    with pytest.raises(SessionLocked):
        SessionLock(session).acquire()
    proc.communicate(input="", timeout=60)
    assert lock_holder(session) is None


def test_lock_holder_ignores_other_locks_and_waiters(tmp_path: Path) -> None:
    session = tmp_path / "pulse.session"
    assert lock_holder(session) is None  # no lock file at all
    lock_path(session).write_text("")
    st = lock_path(session).stat()
    inode = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    table = tmp_path / "locks"
    table.write_text(
        f"1: POSIX  ADVISORY  WRITE 11 {inode} 0 EOF\n"
        f"2: -> FLOCK  ADVISORY  WRITE 22 {inode} 0 EOF\n"
        f"3: FLOCK  ADVISORY  WRITE 33 00:01:{st.st_ino + 1} 0 EOF\n"
    )
    assert lock_holder(session, proc_locks=table) is None
    table.write_text(table.read_text() + f"4: FLOCK  ADVISORY  WRITE 44 {inode} 0 EOF\n")
    assert lock_holder(session, proc_locks=table) == 44
