"""Drawing: the layout's layers, PNG/SVG/PDF written atomically, and the HTML view checked in headless Chromium."""

import os
import shutil
import subprocess

import pytest

from symdln.errors import OptionError
from symdln.graph import limit_graph
from symdln.graph.draw import graph_layout, path_edges, save_graph_figure, write_graph_html
from symdln.limits import limit_path
from symdln.models import deep_linear


@pytest.fixture(scope="module")
def graph():
    return limit_graph(limit_path(deep_linear(spectrum=[3, 2, 1], widths=3)))


def test_layers_are_evenly_spaced_by_loss_and_the_path_is_the_limit(graph):
    pos = graph_layout(graph)
    assert [pos[n][1] for n in ["{}", "{1}", "{1,2}", "{1,2,3}"]] == [3.0, 2.0, 1.0, 0.0]
    assert [pos[n][0] for n in ["{}", "{1}", "{1,2}", "{1,2,3}"]] == [0.0, 1.0, 2.0, 3.0]
    assert path_edges(graph) == set(graph.edges)
    with pytest.raises(OptionError, match="by"):
        graph_layout(graph, by="colour")


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".svg", b"<?xml"), (".pdf", b"%PDF")])
def test_figures_in_every_format(tmp_path, graph, suffix, magic):
    out = save_graph_figure(graph, tmp_path / f"g{suffix}", title="limit path")
    assert out.read_bytes().startswith(magic) and not list(tmp_path.glob("*.part"))


def test_bad_figure_names_leave_nothing(tmp_path, graph):
    with pytest.raises(OptionError, match="extension"):
        save_graph_figure(graph, tmp_path / "g.bmp")
    with pytest.raises(OptionError, match="html"):
        write_graph_html(graph, tmp_path / "g.txt")
    assert not list(tmp_path.iterdir())


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("SYMDLN_REQUIRE_CHROMIUM"):
        pytest.fail("headless Chromium is required here (SYMDLN_REQUIRE_CHROMIUM) but not installed")
    pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium)")


def test_html_view_hovers_in_headless_chromium(tmp_path, graph):
    """The page is self-contained (no http(s) reference) and, opened at #selftest, hovers its first node and
    shows that node's record: Chromium's DOM after the script ran says so."""
    page = write_graph_html(graph, tmp_path / "g.html", title="limit path")
    text = page.read_text()
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "") and "https://" not in text
    exe = _chromium()
    out = subprocess.run([exe, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                          page.as_uri() + "#selftest"], capture_output=True, text=True, timeout=120)
    body = next(line for line in out.stdout.splitlines() if "<body" in line)
    assert 'data-ready="1"' in body and 'data-selftest="pass"' in body, out.stdout[:500]
    assert f'data-nodes="{graph.number_of_nodes()}"' in body
