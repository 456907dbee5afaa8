"""A visitor's rights over his data: his privacy pages, and export and erasure behind them."""
