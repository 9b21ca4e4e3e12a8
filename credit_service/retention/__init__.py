"""Retention: what is kept past its time is found every night, reported first, and
purged only after an operator could read the report (docs/retention.md).

``plan`` says what is past retention on a day, ``reports`` keeps the dry-run reports
(ids only) under DATA_DIR/retention, ``services`` writes them and purges through the
areas' own services. It sits with the composition modules: it reads every area that
holds a natural person's data, and changes each only through its services.
"""
