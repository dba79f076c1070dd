"""One module per subcommand; each function takes plain values and returns an exit code."""
