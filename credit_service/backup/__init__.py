"""Backup and restore of the whole service: the database, the data folder, a manifest.

``operations`` creates, checks and restores a backup; ``postgres`` and ``sqlite`` dump and
restore each engine; ``digests`` counts and digests every table, the same way before and
after; ``archive`` packs the data folder, leaving out the signing key and the checkpoint
copies; ``manifest`` writes and checks the manifest. The operator's guide, with a restore
drill, is docs/backup.md.
"""
