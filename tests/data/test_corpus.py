import gzip

import pytest

from electra_tf.data.corpus import CorpusStats
from electra_tf.data.corpus import expand_globs
from electra_tf.data.corpus import read_documents
from electra_tf.errors import UsageError


def _read(path, **kwargs):
    stats = CorpusStats()
    return list(read_documents([str(path)], stats, **kwargs)), stats


def test_documents_split_at_blank_lines_crlf_and_bom(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes("\ufeffFirst line.\r\nSecond line.\r\n\r\n  \r\nOther doc.\r\n".encode("utf-8"))
    documents, stats = _read(path)
    assert documents == [["First line.", "Second line."], ["Other doc."]]
    assert stats.documents == 2 and stats.lines == 3 and stats.invalid_bytes == 0


def test_gzip_files_are_read(tmp_path):
    path = tmp_path / "a.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.write("one\ntwo\n\nthree")
    assert _read(path)[0] == [["one", "two"], ["three"]]


def test_invalid_utf8_bytes_are_dropped_and_counted(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"caf\xe9 ok\nfine \xff\xfe line\n")
    documents, stats = _read(path)
    assert documents == [["caf ok", "fine  line"]]
    assert stats.invalid_bytes == 3


def test_binary_file_is_refused_by_name(tmp_path):
    path = tmp_path / "picture.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with pytest.raises(UsageError, match="picture.png.*not a text file"):
        _read(path)


def test_a_10mb_line_is_read_in_bounded_pieces(tmp_path):
    path = tmp_path / "long.txt"
    words = ("word%d " % i for i in range(1_500_000))
    path.write_text("".join(words) + "\nnext\n", encoding="utf-8")
    assert path.stat().st_size > 10_000_000
    documents, stats = _read(path)
    pieces = documents[0]
    assert max(len(p) for p in pieces) <= 2 * (1 << 16)
    assert stats.split_lines > 100
    # Cut at whitespace: every word survives whole, in order.
    rebuilt = " ".join(pieces[:-1]).split()
    assert rebuilt[:3] == ["word0", "word1", "word2"] and len(rebuilt) == 1_500_000
    assert rebuilt[-1] == "word1499999" and pieces[-1] == "next"


def test_globs(tmp_path):
    (tmp_path / "b.txt").write_text("x")
    (tmp_path / "a.txt").write_text("y")
    assert [p.split("/")[-1] for p in expand_globs(f"{tmp_path}/*.txt")] == ["a.txt", "b.txt"]
    with pytest.raises(UsageError, match="matches no file"):
        expand_globs(f"{tmp_path}/*.gz")
