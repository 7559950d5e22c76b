"""BibTeX for the methods symdln implements."""

from __future__ import annotations

__all__ = ["citation"]

_BIB = {
    "jacot": """@article{jacot2021saddle,
  title   = {Saddle-to-Saddle Dynamics in Deep Linear Networks: Small Initialization Training, Symmetry, and Sparsity},
  author  = {Jacot, Arthur and Ged, Fran{\\c{c}}ois and {\\c{S}}im{\\c{s}}ek, Berfin and Hongler, Cl{\\'e}ment and Gabriel, Franck},
  journal = {arXiv preprint arXiv:2106.15933},
  year    = {2021}
}""",
    "pesme": """@inproceedings{pesme2023saddle,
  title     = {Saddle-to-Saddle Dynamics in Diagonal Linear Networks},
  author    = {Pesme, Scott and Flammarion, Nicolas},
  booktitle = {Advances in Neural Information Processing Systems},
  year      = {2023},
  note      = {arXiv:2304.00488}
}""",
    "saxe": """@inproceedings{saxe2014exact,
  title     = {Exact solutions to the nonlinear dynamics of learning in deep linear neural networks},
  author    = {Saxe, Andrew M. and McClelland, James L. and Ganguli, Surya},
  booktitle = {International Conference on Learning Representations},
  year      = {2014}
}""",
    "baldi": """@article{baldi1989neural,
  title   = {Neural networks and principal component analysis: Learning from examples without local minima},
  author  = {Baldi, Pierre and Hornik, Kurt},
  journal = {Neural Networks},
  volume  = {2},
  number  = {1},
  pages   = {53--58},
  year    = {1989}
}""",
    "gbs": """@book{hairer1993solving,
  title     = {Solving Ordinary Differential Equations I: Nonstiff Problems},
  author    = {Hairer, Ernst and N{\\o}rsett, Syvert P. and Wanner, Gerhard},
  edition   = {2},
  publisher = {Springer},
  year      = {1993}
}""",
}

_METHODS = {
    "flow": ["gbs"],
    "saddles": ["jacot", "baldi"],
    "balanced_init": ["saxe"],
    "diagonal": ["pesme"],
    "explore": ["jacot", "baldi", "saxe", "gbs"],
}


def citation(*methods: str) -> str:
    """BibTeX entries for ``methods`` (``"flow"``, ``"saddles"``, ``"balanced_init"``, ``"diagonal"``, ``"explore"``); all by default.

    >>> "pesme2023saddle" in citation("diagonal")
    True
    """
    if not methods:
        keys = list(_BIB)
    else:
        keys = []
        for m in methods:
            if m not in _METHODS:
                from .errors import OptionError

                raise OptionError(f"unknown method {m!r}; known: {', '.join(sorted(_METHODS))}")
            keys += [k for k in _METHODS[m] if k not in keys]
    return "\n\n".join(_BIB[k] for k in keys)
