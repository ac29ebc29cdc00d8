"""The project as a user installs and runs it: the command line, a fresh machine, code quality, the benchmarks."""
