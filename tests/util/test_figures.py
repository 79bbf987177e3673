"""``save_figure``: the format its name asks for, written whole, bad suffixes refused by name."""

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hybridxai._util.figures import agg_figure, figure_format, save_figure
from hybridxai.analysis import gap_profile, min_gap, random_feature_qubo
from hybridxai.exceptions import InvalidArgumentError
from hybridxai.metrics.class_maps import plot_class_map

_MAGIC = {"png": b"\x89PNG", "pdf": b"%PDF-", "svg": b"<?xml", "jpg": b"\xff\xd8\xff"}


def _figure():
    fig = agg_figure((2.0, 2.0))
    fig.add_subplot(1, 1, 1).plot([0, 1], [1, 0])
    return fig


@pytest.mark.parametrize("name,kind", [("a.png", "png"), ("a.PDF", "pdf"), ("a.svg", "svg"),
                                       ("a.jpg", "jpg"), ("no_suffix", "png"), ("v1.2.pdf", "pdf"),
                                       ("gap_s0.5", "png"), ("fig_T10.0", "png"), (".pdf", "pdf")])
def test_the_suffix_chooses_the_format(tmp_path, name, kind):
    path = save_figure(_figure(), tmp_path / "sub folder" / name)
    assert path.read_bytes().startswith(_MAGIC[kind])
    assert [p.name for p in path.parent.iterdir()] == [name]  # no temporary file left


@pytest.mark.parametrize("name", ["plot.foo", "plot.docx", "plot.png.bak", "plot.pgf"])
def test_an_unknown_suffix_is_refused_before_writing(tmp_path, name):
    with pytest.raises(InvalidArgumentError) as info:
        save_figure(_figure(), tmp_path / name)
    message = str(info.value)
    assert "path" in message and name in message and ".pdf" in message and ".png" in message
    assert not any(tmp_path.iterdir())


@settings(max_examples=40, deadline=None)
@given(stem=st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\\\x00"),
                    min_size=1, max_size=20))
def test_any_stem_with_a_known_suffix_keeps_its_format(stem):
    assert figure_format(f"{stem}.pdf") == "pdf" and figure_format(f"{stem}.PNG") == "png"


def test_result_plots_write_the_format_asked_for(tmp_path):
    bqm = random_feature_qubo(5, 0)
    gap_profile(bqm, 8).plot(tmp_path / "profile.pdf")
    min_gap(bqm).plot(tmp_path / "gap.svg")
    plot_class_map([[1.0, 0.5], [0.5, 1.0]], ["cat", "dog"], path=tmp_path / "map.pdf")
    assert (tmp_path / "profile.pdf").read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "gap.svg").read_bytes().startswith(b"<?xml")
    assert (tmp_path / "map.pdf").read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize("which", ["folder", "empty"])
def test_a_folder_is_refused_as_a_file_name(tmp_path, which):
    path = tmp_path if which == "folder" else ""
    with pytest.raises(InvalidArgumentError) as info:
        save_figure(_figure(), path)
    assert "is a folder, not a file name" in str(info.value) and "profile.png" in str(info.value)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_is_named_in_the_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(PermissionError) as info:
            save_figure(_figure(), folder / "a.png")
        assert str(folder / "a.png") in str(info.value) and "Fix:" in str(info.value)
        assert not any(folder.iterdir())
    finally:
        folder.chmod(0o700)
