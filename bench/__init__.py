"""`make bench`: the benchmark suite (bench/run.py) and its seed data (bench/seed.py)."""
