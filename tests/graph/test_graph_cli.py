"""`symdln graph`: theory + limit by default, saved runs with --from, every output format, errors before work."""

import pytest

from symdln.cli import main
from symdln.graph import read_graph


def test_theory_and_limit_to_every_format(tmp_path, capsys):
    outs = [tmp_path / f"g{s}" for s in (".graphml", ".gexf", ".json", ".dot", ".gml", ".html", ".png", ".svg", ".pdf")]
    argv = ["graph", "--spectrum", "2,1", "--widths", "2"]
    for o in outs:
        argv += ["--out", str(o)]
    assert main(argv) == 0
    assert "sources: limit,theory" in capsys.readouterr().out
    assert all(o.is_file() and o.stat().st_size > 0 for o in outs)
    graphs = [read_graph(o) for o in outs[:5]]
    for G in graphs[1:]:
        assert set(G.edges) == set(graphs[0].edges)
        assert all(dict(G.edges[e]) == dict(graphs[0].edges[e]) for e in G.edges)
    G = graphs[0]
    assert G.edges["{}", "{1}"]["source"] == "limit,theory" and G.edges["{1}", "{1,2}"]["tau_jump_exact"] == "1"


def test_saved_runs_give_the_observed_path(tmp_path, capsys):
    traj = tmp_path / "run.json"
    assert main(["flow", "--spectrum", "2,1", "--widths", "2", "--init", "balanced", "--scale", "1e-20",
                 "--at", "60", "--digits", "6", "--save", str(traj)]) == 0
    capsys.readouterr()
    assert main(["graph", "--from", str(traj), "--limit", "--out", str(tmp_path / "g.json")]) == 0
    G = read_graph(tmp_path / "g.json")
    assert G.edges["{}", "{1}"]["source"] == "limit,observed" and G.nodes["{1}"]["visits"] == 1
    # a run of one model is not merged into the graph of another (the limit times and losses would be the other's)
    for other in (["--spectrum", "3,2,1"], ["--spectrum", "2,1", "--widths", "2", "--rotation-seed", "2"]):
        capsys.readouterr()
        assert main(["graph", "--from", str(traj), *other, "--limit", "--out", str(tmp_path / "h.json")]) == 2
        assert "another model" in capsys.readouterr().err and not (tmp_path / "h.json").exists()
    diag = tmp_path / "diag.json"
    assert main(["flow", "--model", "diagonal", "--X", "1,1/2,-1;1/3,1,2", "--y", "1,-1", "--alpha", "1e-3",
                 "--save", str(diag)]) == 0
    capsys.readouterr()
    assert main(["graph", "--from", str(traj), "--from", str(diag), "--out", str(tmp_path / "h.json")]) == 2
    assert "diagonal network" in capsys.readouterr().err

    # damaged files: a clear error naming the file and the field, no traceback, nothing written (found by an
    # independent sweep: a file without its model gave KeyError, a state of the wrong shape a NumPy broadcast error,
    # and states cut short a one-node graph with exit 0)
    import json

    good = json.loads(traj.read_text())
    broken = {
        "no model": ({k: v for k, v in good.items() if k != "model"}, "lacks the field(s) model"),
        "shape": ({**good, "states": [[W[:1] for W in y] for y in good["states"]]}, "layer shapes"),
        "short": ({**good, "states": good["states"][:3]}, "of one length"),
        "order": ({**good, "ts": good["ts"][::-1]}, "not increasing"),
        "text": ({**good, "losses": [1.5] + good["losses"][1:]}, "not a finite decimal string"),
    }
    for name, (d, message) in broken.items():
        bad = tmp_path / f"bad {name}.json"
        bad.write_text(json.dumps(d))
        capsys.readouterr()
        assert main(["graph", "--from", str(bad), "--out", str(tmp_path / "b.json")]) == 2, name
        err = capsys.readouterr().err
        assert message in err and "bad " + name in err and "Traceback" not in err, (name, err)
        assert "--from" in err, err  # the error names the option
        assert not (tmp_path / "b.json").exists()


@pytest.mark.parametrize("argv, message", [
    (["--out", "g.bmp"], "unknown extension"),
    (["--out", "/nonexistent/dir/g.json"], "does not exist"),
    (["--from", "/nonexistent.json", "--out", "g.json"], "no such file"),
    (["--out", ""], "--out '': an empty file name"),
])
def test_errors_before_any_work(tmp_path, capsys, argv, message, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["graph", "--spectrum", "2,1", "--widths", "2", *argv]) == 2
    assert message in capsys.readouterr().err and not list(tmp_path.iterdir())
