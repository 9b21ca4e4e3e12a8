"""REST API blueprints, one per area."""
