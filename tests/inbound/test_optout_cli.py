"""``smsrelay optout set/show/reset`` as an operator uses them (separate processes, SQLite)."""

from __future__ import annotations

from pathlib import Path

from .test_cli import smsrelay


def test_optout_set_show_and_reset(tmp_path: Path) -> None:
    """Defaults shown until set; ``set`` keeps what it is not given; a number gets its own
    row; a word both stopping and starting is one clear line, exit 1; ``reset`` removes."""
    smsrelay("migrate", cwd=tmp_path)
    smsrelay("account", "create", "ann", "--password", "pw", cwd=tmp_path)
    shown = smsrelay("optout", "show", "ann", cwd=tmp_path).stdout
    assert "stop=STOP,СТОП,ОТПИСКА,UNSUBSCRIBE\tstart=START,СТАРТ" in shown
    assert "(defaults)" in shown
    smsrelay(
        "optout",
        "set",
        "ann",
        "--keywords",
        "хватит, stop",
        "--confirm-text",
        "Вы отписаны",
        cwd=tmp_path,
    )
    smsrelay("optout", "set", "ann", "--number", "3443", "--start-keywords", "ещё", cwd=tmp_path)
    lines = smsrelay("optout", "show", "ann", cwd=tmp_path).stdout.splitlines()
    assert [
        "(account)\tstop=ХВАТИТ,STOP\tstart=START,СТАРТ\tconfirm='Вы отписаны'\t"
        "confirm_start=''\tsender=(the number written to)",
        "3443\tstop=ХВАТИТ,STOP\tstart=ЕЩЁ\tconfirm='Вы отписаны'\t"
        "confirm_start=''\tsender=(the number written to)",
    ] == lines
    bad = smsrelay("optout", "set", "ann", "--keywords", "start", cwd=tmp_path, check=False)
    assert (1, "Error: a word cannot both stop and start\n") == (bad.returncode, bad.stderr)
    smsrelay("optout", "reset", "ann", "--number", "3443", cwd=tmp_path)
    assert 1 == len(smsrelay("optout", "show", "ann", cwd=tmp_path).stdout.splitlines())
