"""The explore pipeline and its figures."""

from .explore import ExploreResult as ExploreResult
from .explore import default_model as default_model
from .explore import explore as explore
from .explore import format_visits as format_visits

__all__ = ["ExploreResult", "default_model", "explore", "format_visits"]
