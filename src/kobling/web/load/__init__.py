"""`kobling bench load`: the production server under a mix of simulated users (docs/performance.md).

data.py builds the municipalities and signs the users in; runner.py starts the servers and the
load generator; driver.py and users.py are the load generator (locust), which runs in a process
of its own and imports no Django."""
