"""Performance comparisons: benchmark results and profiles."""
