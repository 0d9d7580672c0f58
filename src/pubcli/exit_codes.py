"""The process exit codes of pubcli, one name each (SPEC section 5)."""

OK = 0
"""Done."""

NO_MATCH = 1
"""Nothing matched (filter), or no such publication (show)."""

MERGE_CONFLICT = 1
"""merge-driver: the merge left conflicts (or a result that fails check) in the file,
as git's contract for a merge driver asks."""

USAGE = 2
"""Bad option value, bad date, invalid or duplicate new entry."""

CATALOGUE = 3
"""The catalogue cannot be found, read, parsed, validated, written or locked."""

INTERRUPTED = 130
"""Interrupted by Ctrl-C; nothing half-written."""
