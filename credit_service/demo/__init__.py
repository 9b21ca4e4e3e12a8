"""Demo: a deterministic synthetic Xuancheng data set."""
