"""Compute kernels. ``scalar`` holds the math written once; ``cpu`` and ``cuda`` hold twin kernels
with the same file and function names."""
