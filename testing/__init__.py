"""Helpers shared by the tests: build repositories in tmp_path, run the CLI."""
