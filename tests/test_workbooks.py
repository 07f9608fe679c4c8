"""The annual reports' workbooks in a build (glue/workbooks.py): the missing ones are made by a
forked process beside the rendering and copied with the bytes this process would have made; a
failed process costs only time; a stopped build leaves no process behind."""
from __future__ import annotations

import os
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from gongkai import diskcache
from gongkai.diskcache import DiskCache
from gongkai.glue import preview, workbooks
from gongkai.report.xlsx import write_report_xlsx
from tests.test_report import several_tables, shuyang_tables


@pytest.fixture
def config(tmp_path):
    return SimpleNamespace(site_dir=str(tmp_path / "site"), use_directory_urls=True, plugins=SimpleNamespace(_current_plugin="gongkai"))


@pytest.fixture
def engine(monkeypatch):
    monkeypatch.setattr(diskcache, "engine_id", lambda: "engine-a")


def _jobs():
    tables = [several_tables()[2], shuyang_tables()[2]]
    return [(f"xxgk/gknb/{i}/gknb-{i}.xlsx", tables[i % 2], f"报告{i}") for i in range(workbooks.FORK_MIN_WORKBOOKS + 1)]


def _expected(tmp_path, tables, title) -> bytes:
    target = tmp_path / "expected.xlsx"
    write_report_xlsx(tables, target, title)
    return target.read_bytes()


def test_the_forked_process_makes_the_bytes_this_process_would(tmp_path, config, engine):
    disk = DiskCache(tmp_path)
    batch = workbooks.Batch()
    files = [batch.file(config, uri, tables, title, preview.Session(), disk) for uri, tables, title in _jobs()]
    assert all(isinstance(f, workbooks.WorkbookFile) and f._content is None for f in files)
    batch.start()
    assert batch.pid
    for file, (_uri, tables, title) in zip(files, _jobs()):
        file.copy_file()
        assert Path(file.abs_dest_path).read_bytes() == _expected(tmp_path, tables, title)
    assert batch.pid == 0  # collected with the first workbook copied
    batch.stop()
    # The next build finds every one of them on disk: nothing pending, nothing forked.
    again = workbooks.Batch()
    for uri, tables, title in _jobs():
        cached = again.file(config, uri, tables, title, preview.Session(), disk)
        assert not isinstance(cached, workbooks.WorkbookFile) and cached.content_bytes == _expected(tmp_path, tables, title)
    again.start()
    assert again.pid == 0 and again.pending == {}


def test_a_failed_process_leaves_the_workbooks_to_this_one(tmp_path, config, monkeypatch):
    parent = os.getpid()
    real = preview.make_xlsx

    def failing_in_the_child(tables, title):
        if os.getpid() != parent:
            raise RuntimeError("no")
        return real(tables, title)

    monkeypatch.setattr(workbooks, "make_xlsx", failing_in_the_child)
    batch = workbooks.Batch()
    files = [batch.file(config, uri, tables, title, preview.Session(), DiskCache(None)) for uri, tables, title in _jobs()]
    batch.start()
    assert batch.pid
    for file, (_, tables, title) in zip(files, _jobs()):
        assert file.content_bytes == _expected(tmp_path, tables, title)
    batch.stop()


def test_a_stopped_build_leaves_no_process(tmp_path, config, monkeypatch):
    monkeypatch.setattr(workbooks, "make_xlsx", lambda tables, title: time.sleep(60) or b"")
    batch = workbooks.Batch()
    for uri, tables, title in _jobs():
        batch.file(config, uri, tables, title, preview.Session(), DiskCache(None))
    batch.start()
    pid = batch.pid
    started = time.monotonic()
    batch.stop()
    assert time.monotonic() - started < 10 and batch.pid == 0 and batch.pending == {}
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, 0)  # reaped


def test_few_workbooks_or_a_preview_are_made_here(tmp_path, config):
    batch = workbooks.Batch()
    (uri, tables, title), *_ = _jobs()
    file = batch.file(config, uri, tables, title, preview.Session(), DiskCache(None))
    batch.start()
    assert batch.pid == 0  # too few to fork: made when copied
    assert file.content_bytes == _expected(tmp_path, tables, title)
    session = preview.Session()
    session.preview = True
    at_once = workbooks.Batch().file(config, uri, tables, title, session, DiskCache(None))
    assert not isinstance(at_once, workbooks.WorkbookFile) and session.xlsx_made
