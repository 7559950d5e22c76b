import symdln
from symdln.errors import FlowError, ModelError, OptionError, ParseError, PrecisionError, SymdlnError


def test_error_tree_is_also_builtin():
    for cls in (ParseError, ModelError, PrecisionError, OptionError):
        assert issubclass(cls, SymdlnError) and issubclass(cls, ValueError)
    assert issubclass(FlowError, RuntimeError) and issubclass(FlowError, SymdlnError)


def test_public_api_snapshot():
    assert sorted(symdln.__all__) == sorted([
        "DeepLinearModel", "DiagonalLinearModel", "FlowError", "FlowSolution", "ModelError", "OptionError",
        "ParseError", "PivotFamily", "Precision", "PrecisionError", "SaddleVisit", "Status", "SymdlnError",
        "__version__", "balanced_init", "balancedness", "citation", "compile_flow", "deep_linear",
        "detect_visits", "diagonal_linear", "draw_saddle_graph", "explore", "gaussian_init", "gradient",
        "hessian", "integrate_flow", "loss_expr", "parse_matrix", "parse_number", "pf_init", "pivot_families",
        "read_graph", "saddle_graph", "write_graph", "CriticalSet", "Inertia", "PointAnalysis", "analyze_point",
        "classify_real_points", "count_critical_points", "critical_sets", "inertia", "representation_cost",
        "weight_decay_analysis", "InitSpec", "RunPlan", "VerifiedFlow", "load_solution", "plan_run", "verified_flow",
        "Event", "plateau_events", "Landscape", "landscape", "limit_path", "LimitPath", "DLNLimitPath",
        "NonUniqueLimitError", "landscape_graph", "limit_graph", "merge_graphs", "observed_graph",
        "count_tikhonov", "classify_tikhonov", "tikhonov_data",
    ])
    for name in symdln.__all__:
        assert hasattr(symdln, name)


def test_citation():
    assert "jacot2021saddle" in symdln.citation("saddles")
    assert symdln.citation().count("@") == 5


def test_import_is_light():
    """`import symdln` loads no SymPy, networkx or matplotlib (PEP 562 lazy attributes): heavy imports happen on use."""
    import subprocess
    import sys

    code = "import sys, symdln; print(sorted(m for m in ('sympy', 'networkx', 'matplotlib', 'scipy') if m in sys.modules))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr
