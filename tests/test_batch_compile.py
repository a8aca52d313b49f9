"""`domc compile` over many files in one run: the same bytes as compiling each file
alone (under --jobs 1 and 2), input order, one failure never stops the others, and
the refusals (two outputs of one name, several domains without --out-dir)."""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from compiler.cli import main
from compiler.commands._batch import MAX_CHUNKS, Progress, chunk_size, run_ordered
from compiler.commands._common import expand_inputs
from compiler.commands.compile import EXTENSIONS, json_text

from .conftest import EXAMPLES, SEED_HOST

HOST = ["--host-root", str(SEED_HOST)]


def _alone(path: Path, fmt: str, capsys) -> tuple[int, str, str]:
    rc = main(["compile", str(path), "--format", fmt, *HOST])
    out, err = capsys.readouterr()
    return rc, out, err


def _batch(inputs: list[str], out_dir: Path, fmt: str, jobs: int, capsys) -> tuple[int, str]:
    rc = main(["compile", *inputs, "--out-dir", str(out_dir), "--format", fmt,
               "--jobs", str(jobs), *HOST])
    out, err = capsys.readouterr()
    assert out == ""
    return rc, err


def _check_same_as_alone(inputs: list[str], files: list[Path], fmt: str, tmp_path: Path,
                         capsys) -> None:
    alone = {f: _alone(f, fmt, capsys) for f in files}
    assert any(rc == 0 for rc, _, _ in alone.values())
    assert any(rc == 2 for rc, _, _ in alone.values())  # the failures are in the batch too
    want_err = "".join(err for _, _, err in alone.values())
    for jobs in (1, 2):
        out_dir = tmp_path / f"{fmt}-{jobs}"
        rc, err = _batch(inputs, out_dir, fmt, jobs, capsys)
        assert rc == 2
        assert err == want_err  # every domain's diagnostics, in input order
        written = sorted(p.name for p in out_dir.iterdir())
        assert written == sorted(f.stem + EXTENSIONS[fmt] for f, (rc, _, _) in alone.items()
                                 if rc == 0)
        for f, (rc1, out1, _) in alone.items():
            if rc1 == 0:
                assert (out_dir / (f.stem + EXTENSIONS[fmt])).read_text() == out1, f


@pytest.mark.parametrize("fmt", sorted(EXTENSIONS))
def test_examples_batch_is_byte_identical(fmt, tmp_path, capsys):
    files = [Path(p) for p in expand_inputs([str(EXAMPLES)])]
    assert len(files) > 10 and any("invalid" in f.parts for f in files)
    _check_same_as_alone([str(EXAMPLES)], files, fmt, tmp_path, capsys)


def test_corpus_batch_is_byte_identical(corpus, tmp_path, capsys):
    cases = corpus / "qemuxml2argv"
    files = [Path(p) for p in expand_inputs([str(cases)])]
    assert len(files) > 200
    _check_same_as_alone([str(cases)], files, "json", tmp_path, capsys)


def test_failures_do_not_stop_the_others(tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a-good.xml").write_bytes((EXAMPLES / "minimal.xml").read_bytes())
    (src / "b-broken.xml").write_text("<domain type='kvm'>\n  <name>x</name>\n")
    (src / "c-bad.xml").write_bytes((EXAMPLES / "invalid" / "pci-conflict.xml").read_bytes())
    (src / "d-good.xml").write_bytes((EXAMPLES / "laptop.xml").read_bytes())
    (src / "notes.txt").write_text("not a domain\n")
    rc, err = _batch([str(src), str(tmp_path / "missing.xml")], tmp_path / "out", "args", 2,
                     capsys)
    assert rc == 2
    # laptop.xml's machine type 'pc' floats: a warning, and its output is written
    lines = [line for line in err.splitlines() if ": warning[" not in line]
    assert [line.split(":")[0].rsplit("/", 1)[-1] for line in lines] == \
        ["b-broken.xml", "c-bad.xml", "missing.xml"]
    assert "d-good.xml:9: warning[machine-alias]" in err
    assert "error[xml-syntax]" in lines[0] and "error[pci-address-conflict]" in lines[1]
    assert lines[2].endswith("error[io]: cannot read: No such file or directory")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a-good.args", "d-good.args"]


def test_two_inputs_of_one_name_are_refused_before_anything_is_written(tmp_path, capsys):
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "laptop.xml").write_bytes((EXAMPLES / "laptop.xml").read_bytes())
    rc, err = _batch([str(EXAMPLES / "minimal.xml"), str(EXAMPLES / "laptop.xml"),
                      str(other / "laptop.xml")], tmp_path / "out", "json", 1, capsys)
    assert rc == 2
    assert err == (f"{other / 'laptop.xml'}: error[out-name]: its output would be laptop.json, "
                   f"as for {EXAMPLES / 'laptop.xml'}: compile them into different "
                   "directories\n")
    assert not (tmp_path / "out").exists()


def test_several_domains_need_an_out_dir(capsys):
    assert main(["compile", str(EXAMPLES / "minimal.xml"), str(EXAMPLES / "laptop.xml")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == ("compile: error[usage]: 2 domains to compile: give --out-dir DIR for their "
                   "outputs (one file per domain)\n")
    # a directory too, even of one domain: how many it holds is not known in advance
    assert main(["compile", str(EXAMPLES / "placement")]) == 2
    assert "error[usage]" in capsys.readouterr().err


def test_an_empty_directory(tmp_path, capsys):
    assert main(["compile", str(tmp_path), "--out-dir", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err == f"{tmp_path}: error[io]: no *.xml files in this directory\n"


def test_standard_input(monkeypatch, capsys):
    data = (EXAMPLES / "laptop.xml").read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["compile", "-", *HOST]) == 0
    from_stdin = capsys.readouterr().out
    assert from_stdin == _alone(EXAMPLES / "laptop.xml", "args", capsys)[1]
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b"<domain type='kvm'>\n")))
    assert main(["compile", "-"]) == 2
    assert capsys.readouterr().err.startswith("<stdin>:2: error[xml-syntax]: ")


def test_standard_input_has_no_name_for_an_out_dir(tmp_path, capsys):
    assert main(["compile", "-", "--out-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err.startswith("<stdin>: error[out-name]: standard input has no "
                                              "file name")


def test_an_output_is_replaced(tmp_path, capsys):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    (out_dir / "minimal.sh").write_text("stale, and longer than the launcher will be\n" * 999)
    rc, _ = _batch([str(EXAMPLES / "minimal.xml")], out_dir, "shell", 1, capsys)
    assert rc == 0
    script = out_dir / "minimal.sh"
    assert script.read_text() == _alone(EXAMPLES / "minimal.xml", "shell", capsys)[1]
    assert os.access(script, os.X_OK)  # the launcher runs as written
    assert [p.name for p in out_dir.iterdir()] == ["minimal.sh"]
    os.utime(script, (1, 1))
    assert _batch([str(EXAMPLES / "minimal.xml")], out_dir, "shell", 1, capsys)[0] == 0
    assert script.stat().st_mtime > 1  # the same bytes again: touched, so make sees it new
    assert script.read_text() == _alone(EXAMPLES / "minimal.xml", "shell", capsys)[1]


def test_an_output_replaces_a_symlink_not_its_target(tmp_path, capsys):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me\n")
    (out_dir / "minimal.args").symlink_to(precious)
    assert _batch([str(EXAMPLES / "minimal.xml")], out_dir, "args", 1, capsys)[0] == 0
    assert precious.read_text() == "keep me\n"
    assert not (out_dir / "minimal.args").is_symlink()
    assert (out_dir / "minimal.args").read_text() == _alone(EXAMPLES / "minimal.xml", "args",
                                                            capsys)[1]


def test_expand_inputs(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.xml").write_text("")
    (tmp_path / "b" / "a.txt").write_text("")
    (tmp_path / "a.xml").write_text("")
    (tmp_path / "c.xml").write_text("")
    (tmp_path / "b.xml").write_text("")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "h.xml").write_text("")
    got = expand_inputs(["-", str(tmp_path), "nope.xml", str(tmp_path / "a.xml")])
    assert [os.path.relpath(p, tmp_path) if p.startswith(str(tmp_path)) else p for p in got] == \
        ["-", "a.xml", "b.xml", "b/z.xml", "c.xml", "nope.xml"]  # each once


def _square(n: str) -> str:
    return str(int(n) ** 2)


def test_run_ordered_keeps_input_order():
    items = [str(n) for n in range(200, 0, -1)]
    for jobs in (1, 2, 3):
        assert list(run_ordered(_square, items, jobs)) == [_square(n) for n in items]


_PARENT = os.getpid()


def _dies_in_a_worker(n: str) -> str:
    if os.getpid() != _PARENT:
        os._exit(9)  # a worker that dies without a word, at its first item
    time.sleep(0.002)  # this process is slow enough for the workers to claim chunks
    return n


def test_a_dead_worker_loses_its_chunk_only():
    items = [str(n) for n in range(200)]
    size = chunk_size(199, 3)
    got = list(run_ordered(_dies_in_a_worker, items, 3, lost=lambda n: f"lost {n}"))
    # each of the two workers claims one chunk and dies on it: those items are lost,
    # every other item is run here, and everything comes back in input order
    lost = [i for i, g in enumerate(got) if g != str(i)]
    assert all(got[i] == f"lost {i}" for i in lost)
    assert 1 <= len(lost) <= 2 * size
    chunks = {(i - 1) // size for i in lost}  # item 0 runs before the chunks
    assert len(lost) == sum(len(items[1:][c * size:(c + 1) * size]) for c in chunks)


def test_chunks_cover_the_items():
    assert chunk_size(272, 2) == 16 and chunk_size(40, 2) == 2 and chunk_size(3, 8) == 1
    assert -(-10**6 // chunk_size(10**6, 2)) <= MAX_CHUNKS  # the chunk numbers fit a pipe
    for n in (2, 5, 40, 199, 1000):
        for jobs in (2, 3, 8):
            items = [str(i) for i in range(n)]
            assert list(run_ordered(_square, items, jobs)) == [_square(i) for i in items]


def test_large_results_come_back_whole():
    # results far larger than a pipe holds (64 KiB) or one read returns: each comes back
    # whole and in order, read while this process ran its own block and after it
    items = [str(n) for n in range(40)]
    got = list(run_ordered(_big, items, 2))
    assert got == [_big(n) for n in items]


def _big(n: str) -> str:
    return n * 20000


def test_stopping_early_ends_the_workers():
    before = {p.pid for p in _children()}
    results = run_ordered(_square, [str(n) for n in range(500)], 3)
    assert next(results) == "0" and next(results) == "1"
    assert len({p.pid for p in _children()} - before) == 2  # the two workers
    results.close()  # the workers are killed and reaped; nothing is left running
    assert {p.pid for p in _children()} - before == set()


def _children():
    import collections

    """This process's children, zombies included (a child not reaped is still one)."""
    Proc = collections.namedtuple("Proc", "pid ppid")
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    stat = fh.read()
            except OSError:
                continue
            proc = Proc(int(d), int(stat[stat.rindex(")") + 2:].split()[1]))
            if proc.ppid == os.getpid():
                out.append(proc)
    return out


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_only_on_a_terminal():
    plain = io.StringIO()
    bar = Progress(3, "domains", plain)
    bar.step(1)
    bar.write("x.xml:1: error[io]: boom\n")
    bar.step(3)
    bar.clear()
    assert plain.getvalue() == "x.xml:1: error[io]: boom\n"
    tty = _Tty()
    bar = Progress(3, "domains", tty)
    bar.step(1)
    bar.write("x.xml:1: error[io]: boom\n")
    bar.step(3)
    bar.clear()
    assert tty.getvalue() == ("\r[" + "#" * 10 + "." * 20 + "] 1/3 domains\x1b[K"
                              "\r\x1b[Kx.xml:1: error[io]: boom\n"
                              "\r[" + "#" * 30 + "] 3/3 domains\x1b[K\r\x1b[K")
    assert Progress(1, "domains", _Tty()).on is False  # one domain: no bar



_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=4),
    max_leaves=20)


@given(_JSON)
def test_json_text_is_json_dumps(value):
    assert json_text(value) == json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
