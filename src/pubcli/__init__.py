"""pubcli: a command-line catalogue of publications."""

__version__ = "0.1.0"
