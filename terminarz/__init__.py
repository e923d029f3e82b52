"""terminarz — deadline and duty engine for Polish public-sector reporting."""

__version__ = "0.1.0"
