"""Dishonesty: the severe-dishonesty list (严重失信主体名单) workflow and publication."""
