"""Jobs: the leader lease and the record of every scheduled run."""
