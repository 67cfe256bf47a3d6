"""The review engine: the project model, the rule table, and the run that joins them."""
