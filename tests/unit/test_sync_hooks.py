"""``SyncHooksFlask.ensure_sync``: a plain function or bound method is returned as it is,
and Flask's question is asked once per function, not once per call."""

from __future__ import annotations

from unittest import mock

from flask import Flask

from credit_service.web.sync_hooks import SyncHooksFlask


class View:
    def get(self) -> str:
        return "ok"


def hook() -> None:
    return None


def test_plain_functions_and_bound_methods_are_asked_about_once():
    app = SyncHooksFlask(__name__)
    with mock.patch.object(
        Flask, "ensure_sync", autospec=True, side_effect=lambda _, f: f
    ) as asked:
        for _ in range(3):
            assert app.ensure_sync(hook) is hook
            method = View().get  # bound anew, as a class-based view's is for each request
            assert app.ensure_sync(method) is method
    assert [call.args[1] for call in asked.call_args_list] == [hook, mock.ANY]
    assert asked.call_args_list[1].args[1].__func__ is View.get


def test_a_coroutine_function_is_wrapped_by_flask_every_time():
    async def handler() -> None:
        return None

    app = SyncHooksFlask(__name__)
    wrapped = object()
    with mock.patch.object(Flask, "ensure_sync", autospec=True, return_value=wrapped) as asked:
        assert app.ensure_sync(handler) is wrapped
        assert app.ensure_sync(handler) is wrapped
    assert asked.call_count == 2
