"""The code behind bench/run (see bench/README.md), split by what each part does:

  settings     paths, server names, time budgets
  diagnostics  the two error kinds, logging, whole-run warnings
  processes    children in their own process groups, always reaped; /proc readings
  environment  build, prerequisites, file limit, machine facts
  servers      server commands, CPU pinning, one server x cell run with the load generator
  matrix       the cells, and medians and paired ratios over repeats
  micro        the Google Benchmark binaries
  report       Markdown tables and atomic file writes
  plots        gnuplot PNGs
  cli          arguments, the run loop, exit status
"""
