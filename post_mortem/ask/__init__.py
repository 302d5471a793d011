"""Ask the desk: questions in plain words, answered by Claude through read-only tools, with every
number of the answer traced back to a tool result (see `tools`, `tracing` and services.ask)."""
