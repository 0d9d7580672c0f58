"""The command line: the Typer app, the quick route, and the process entry point."""
