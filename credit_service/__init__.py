"""IP credit-supervision and severe-dishonesty list service.

知识产权信用监管与严重失信主体名单服务。

Importing the core must not import Flask: the web layer lives in ``credit_service.web``.
"""

__version__ = "0.1.0"
