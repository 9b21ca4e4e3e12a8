"""Legal procedures as data, run by one engine.

A procedure (a listing case, a repair application, an inspection item's result, and
later an objection) is a ``Procedure`` definition: its states, the steps allowed from
each, who may take each step, the papers it needs and the documents it issues, and the
hooks that compute its deadlines. ``engine.take_step`` is the only code that moves a
procedure's state: it locks the row, checks the step, dates it, records it with its
reason and papers, bumps the version, writes the audit row and refreshes the deadlines.
"""
