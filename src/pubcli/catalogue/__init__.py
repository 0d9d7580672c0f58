"""The catalogue file and its rules: finding, reading, validating and writing it."""
