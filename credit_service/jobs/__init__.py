"""Jobs: the leader lease, the record of every scheduled run, and the console's import queue."""
