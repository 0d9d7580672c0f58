"""Everything printed: streams and terminal facts, machine formats, Rich views."""
