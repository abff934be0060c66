"""Documents and pictures stored in Selectel Cloud Storage."""
