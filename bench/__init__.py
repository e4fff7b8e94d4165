"""Benchmarks and the bulk data they (and the scale tests) use."""
