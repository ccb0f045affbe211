"""site_builder: static sites for public budget-disclosure portals (预决算公开)."""

__version__ = "0.1.0"
