"""Built-in rules, one module per rule family; the table that lists them is `registry.py`."""
