"""Reporters: turn results into text, JSON, GitHub annotations (and later Markdown).

Reporters never decide anything; they only render. Untrusted text (ids, titles,
messages quoting YAML values) is escaped for the medium it goes to.
"""
