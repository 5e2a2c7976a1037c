import os
from pathlib import Path
import stat

import pytest

from interpbench.atomic import atomic_path, atomic_paths, check_writable, write_text_atomic
from interpbench.errors import OptionError


def test_atomic_write_replaces_and_uses_normal_permissions(tmp_path):
    target = tmp_path / "sub" / "out.txt"
    write_text_atomic(target, "one")
    write_text_atomic(target, "two")
    assert target.read_text() == "two"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in target.parent.iterdir()] == ["out.txt"]


def test_failed_write_leaves_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_write_through_a_symlink_keeps_the_link(tmp_path):
    target = tmp_path / "data" / "real.txt"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    write_text_atomic(link, "new")
    assert link.is_symlink() and target.read_text() == "new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["real.txt"]  # the temporary file was made beside the target
    dangling = tmp_path / "dangling.txt"
    dangling.symlink_to(tmp_path / "data" / "created.txt")
    write_text_atomic(dangling, "made")
    assert dangling.is_symlink() and (tmp_path / "data" / "created.txt").read_text() == "made"


def test_non_regular_files_are_refused_not_replaced(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(OptionError, match="it is a FIFO"):
        write_text_atomic(fifo, "x")
    assert fifo.is_fifo()
    with pytest.raises(OptionError, match="it is a directory"):
        write_text_atomic(tmp_path, "x")
    if os.path.exists("/dev/full"):
        with pytest.raises(OptionError, match="it is a character device"):
            write_text_atomic("/dev/full", "x")
        assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_all_or_none(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("old a")
    with pytest.raises(RuntimeError):
        with atomic_paths([a, b]) as (tmp_a, tmp_b):
            tmp_a.write_text("new a")
            raise RuntimeError("the second output failed")
    assert a.read_text() == "old a" and not b.exists()
    with atomic_paths([a, b]) as (tmp_a, tmp_b):
        tmp_a.write_text("new a")
        tmp_b.write_text("new b")
    assert a.read_text() == "new a" and b.read_text() == "new b"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


def test_check_writable_names_the_problem(tmp_path):
    assert check_writable(tmp_path / "new.json") == tmp_path / "new.json"
    with pytest.raises(OptionError, match="does not exist"):
        check_writable(tmp_path / "missing" / "x.json", what="--output")
    assert list(tmp_path.iterdir()) == []  # the probe file is gone again


def _dead_pid() -> int:
    import subprocess
    import sys

    return int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout)


def _journal(folders, renames, pid, cut=None):
    """Write a multi-file commit's journal copies as a writer with ``pid`` would (the last ``cut`` copy cut short)."""
    import json as json_module

    from interpbench.atomic import _JOURNAL_PREFIX, _JOURNAL_SUFFIX

    name = f"{_JOURNAL_PREFIX}{pid}.abcd1234{_JOURNAL_SUFFIX}"
    journals = [f / name for f in folders]
    text = json_module.dumps({"renames": [[str(a), str(b)] for a, b in renames], "journals": [str(j) for j in journals]})
    for i, journal in enumerate(journals):
        journal.write_text(text[: len(text) // 2] if cut == i else text)
    return journals


def test_a_killed_writers_commit_is_finished_across_folders_by_the_next_write(tmp_path):
    from interpbench.atomic import recover_commits, write_text_atomic

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    pid = _dead_pid()
    (a / "x.json").write_text("old x")
    (b / "y.json").write_text("old y")
    tmp_x, tmp_y = a / f".x.json.{pid}.abcd1234.tmp", b / f".y.json.{pid}.abcd1234.tmp"
    tmp_x.write_text("new x")
    tmp_y.write_text("new y")
    journals = _journal([a, b], [(tmp_y, b / "y.json"), (tmp_x, a / "x.json")], pid)
    os.replace(tmp_y, b / "y.json")  # killed after its first rename
    write_text_atomic(b / "unrelated.txt", "a later write in b finishes the commit")
    assert (a / "x.json").read_text() == "new x" and (b / "y.json").read_text() == "new y"
    assert not any(j.exists() for j in journals) and not tmp_x.exists()
    recover_commits(a)  # nothing left to do: idempotent
    assert sorted(p.name for p in a.iterdir()) == ["x.json"]


def test_an_undecided_commit_is_called_off_and_a_running_writers_is_left_alone(tmp_path):
    from interpbench.atomic import recover_commits

    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    pid = _dead_pid()
    tmp_x, tmp_y = a / f".x.json.{pid}.abcd1234.tmp", b / f".y.json.{pid}.abcd1234.tmp"
    tmp_x.write_text("new x")
    tmp_y.write_text("new y")
    # Killed while storing the second copy: nothing was renamed, so nothing may be.
    journals = _journal([a, b], [(tmp_y, b / "y.json"), (tmp_x, a / "x.json")], pid, cut=1)
    recover_commits(a)
    recover_commits(b)
    assert not (a / "x.json").exists() and not (b / "y.json").exists() and not any(j.exists() for j in journals)
    # A live writer's journal (this process's) is its own business.
    mine = _journal([a], [(tmp_x, a / "x.json")], os.getpid())
    recover_commits(a)
    assert mine[0].exists() and tmp_x.exists() and not (a / "x.json").exists()


def test_a_folder_named_relatively_finishes_its_commits(tmp_path, monkeypatch):
    from interpbench.atomic import recover_commits

    pid = _dead_pid()
    tmp_x = tmp_path / f".x.json.{pid}.abcd1234.tmp"
    tmp_x.write_text("new x")
    _journal([tmp_path], [(tmp_x, tmp_path / "x.json")], pid)
    monkeypatch.chdir(tmp_path)
    recover_commits(".")  # as load_entries does with a leaderboard root given relatively
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.json"]
