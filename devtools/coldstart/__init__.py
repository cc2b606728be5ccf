"""The Lambda-like cold-start benchmark: `python -m devtools.coldstart` (part of `make bench`); see run.py."""
