"""The load generator of ``load.py``: locust's user classes and the step load, run as a
library (``Environment`` and a local runner, no web UI) in a process of its own.

    python benchmarks/load_users.py PLAN.json RESULT.json

Its own process because importing locust monkey-patches the standard library for gevent
(sockets, threads, subprocesses), which the data-set build and the import workers of
``load.py`` must not run under. ``load.py`` writes the plan (the service's address,
tokens, the identifiers, names and districts to ask about, the entities to file records
about, the repair targets with their accounts, the steps) and reads the result: per phase
(each step, then the sustained run) the users, req/s, and count, failures and p50/p95/p99
of each request type, the failures by type and reason, and the CPU used by this process
and by the whole machine (at one core's worth of locust's own CPU, its clock is late and
the latencies it measures include its own queueing: the saturation is then the load
generator's, not the service's).
"""

from gevent import monkey

monkey.patch_all()  # before anything imports ssl or threading (locust would, later)

import json  # noqa: E402
import random  # noqa: E402
import secrets  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter, deque  # noqa: E402
from pathlib import Path  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402
from locust import between, task  # noqa: E402
from locust.contrib.fasthttp import FastHttpUser  # noqa: E402
from locust.env import Environment  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from credit_service.catalogs.loader import load_catalog_set  # noqa: E402
from credit_service.demo.generator import DemoEntity, generate_records  # noqa: E402

LIST = "/api/v1/public/dishonesty-list"
REPAIR = "/api/v1/repair-applications"
PURPOSE = "fiscal_funding"
FILING_AUTHORITY = "宣城市知识产权局"  # not the data set's authority: new document numbers
PDF = (  # a PDF of no pages and no active content, as the repair API tests upload
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
PERCENTILES = (0.50, 0.95, 0.99)

plan: dict = {}
shared: dict = {}  # built from the plan once: pools every user draws from
counters: Counter = Counter()
failures: Counter = Counter()  # (request type, reason) over the whole run, start-ups too


def expect(response, *statuses: int, check=None) -> bool:  # type: ignore[no-untyped-def]
    """Mark the response a failure unless its status is one of ``statuses`` (and ``check``
    of its JSON holds): a 4xx or 5xx is always an error, and so is a 200 where a 304 was
    expected (the list does not change during the run)."""
    if response.status_code not in statuses:
        response.failure(f"HTTP {response.status_code} (expected {'/'.join(map(str, statuses))})")
        return False
    if check is not None and not check(response.json()):
        response.failure("unexpected answer")
        return False
    response.success()
    return True


class Public(FastHttpUser):
    """A visitor or a news app: the list page and API, both again with the ETag they hold
    (answered 304), and searches by a fragment of a name and by district."""

    weight = 5
    wait_time = between(0.2, 0.8)

    def on_start(self) -> None:
        self.etags = {}
        for name, path in (("list API", LIST), ("list page", "/list")):
            with self.client.get(path, name=name, catch_response=True) as response:
                if expect(response, 200):
                    self.etags[path] = response.headers.get("ETag")

    @task(2)
    def list_page(self) -> None:
        self._get("/list", "list page")

    @task(2)
    def list_api(self) -> None:
        self._get(LIST, "list API")

    @task(2)
    def list_page_304(self) -> None:
        self._conditional("/list", "list page, 304")

    @task(3)
    def list_api_304(self) -> None:
        self._conditional(LIST, "list API, 304")

    @task(2)
    def search_name_page(self) -> None:
        self._get(f"/list?q={random.choice(shared['fragments'])}", "search name, page")

    @task(1)
    def search_name_api(self) -> None:
        self._get(f"{LIST}?q={random.choice(shared['fragments'])}", "search name, API")

    @task(1)
    def search_district_page(self) -> None:
        self._get(f"/list?region={random.choice(plan['regions'])}", "search district, page")

    @task(1)
    def search_district_api(self) -> None:
        self._get(f"{LIST}?region={random.choice(plan['regions'])}", "search district, API")

    def _get(self, path: str, name: str) -> None:
        with self.client.get(path, name=name, catch_response=True) as response:
            expect(response, 200)

    def _conditional(self, path: str, name: str) -> None:
        headers = {"If-None-Match": self.etags.get(path) or '"none"'}
        with self.client.get(path, name=name, headers=headers, catch_response=True) as response:
            expect(response, 304)


class Regulator(FastHttpUser):
    """A market-regulation officer: tier lookups of one entity, and now and then a
    penalty filed (one in twenty sent twice, as a retry after a lost answer: the same
    document number is answered 200 with the record already filed)."""

    weight = 1
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {plan['regulator']}"}

    @task(9)
    def tier_lookup(self) -> None:
        body = {"identifiers": [random.choice(plan["identifiers"])]}
        with self.client.post(
            "/api/v1/tiers/lookup", json=body, headers=self.headers, name="tier lookup",
            catch_response=True,
        ) as response:  # fmt: skip
            expect(response, 200)

    @task(1)
    def file_record(self) -> None:
        record = next(shared["filings"])
        body = {k: record[k] for k in ("entity", "item_code", "fields")}
        with self.client.post(
            "/api/v1/records", json=body, headers=self.headers, name="record filing",
            catch_response=True,
        ) as response:  # fmt: skip
            if not expect(response, 201):
                return
            filed = response.json()["id"]
        if random.random() < 0.05:
            with self.client.post(
                "/api/v1/records", json=body, headers=self.headers,
                name="record filing, sent again", catch_response=True,
            ) as response:  # fmt: skip
                expect(response, 200, check=lambda r: r["id"] == filed)


class Department(FastHttpUser):
    """Another department's system (public funding, procurement): single credit checks,
    and now and then a batch of 100."""

    weight = 1
    wait_time = between(0.2, 0.8)

    def on_start(self) -> None:
        self.headers = {"Authorization": f"Bearer {plan['checker']}"}

    @task(29)
    def single_check(self) -> None:
        identifier = random.choice(plan["identifiers"])
        with self.client.get(
            f"/api/v1/credit-checks/{identifier}?purpose={PURPOSE}", headers=self.headers,
            name="credit check", catch_response=True,
        ) as response:  # fmt: skip
            expect(response, 200)

    @task(1)
    def batch_check(self) -> None:
        body = {"identifiers": random.sample(plan["identifiers"], 100), "purpose": PURPOSE}
        with self.client.post(
            "/api/v1/credit-checks", json=body, headers=self.headers,
            name="credit check, batch of 100", catch_response=True,
        ) as response:  # fmt: skip
            expect(response, 200, check=lambda r: len(r["items"]) == 100)


class Enterprise(FastHttpUser):
    """An enterprise with a penalty in publicity: a repair application (eligibility, the
    application with its commitment and an Idempotency-Key, one in ten sent twice as a
    double click, the evidence upload, the application read back), or a look at its own
    applications. Each flow takes a repair target and its account from the plan's pool:
    a target can be applied for once."""

    weight = 1
    wait_time = between(5, 15)

    def on_start(self) -> None:
        self.token = random.choice(plan["applications"])[0]

    @task(1)
    def own_applications(self) -> None:
        with self.client.get(
            REPAIR, headers=self._auth(), name="repair: own applications", catch_response=True
        ) as response:
            expect(response, 200)

    @task(1)
    def apply(self) -> None:
        if not shared["targets"]:
            counters["flows without a target left"] += 1
            return self.own_applications()
        self.token, target = shared["targets"].popleft()
        with self.client.get(
            f"/api/v1/repair-eligibility?target={target}", headers=self._auth(),
            name="repair: eligibility", catch_response=True,
        ) as response:  # fmt: skip
            if not expect(response, 200, check=lambda r: r["eligible"]):
                return None
            version = response.json()["commitment"]["version"]
        body = {
            "target": target,
            "reason": "已全面纠正失信行为，申请信用修复",
            "measures_taken": "已缴纳全部罚款并下架涉案产品",
            "obligations_performed": True,
            "commitment_version": version,
            "contact": "李四 13900000000",
        }
        headers = {**self._auth(), "Idempotency-Key": secrets.token_hex(16)}
        with self.client.post(
            REPAIR, json=body, headers=headers, name="repair: apply", catch_response=True
        ) as response:
            if not expect(response, 201):
                return None
            application = response.json()["id"]
        if random.random() < 0.1:
            with self.client.post(
                REPAIR, json=body, headers=headers, name="repair: apply, double click",
                catch_response=True,
            ) as response:  # fmt: skip
                expect(response, 200, check=lambda r: r["id"] == application)
        self._upload(application)
        with self.client.get(
            f"{REPAIR}/{application}", headers=self._auth(), name="repair: read application",
            catch_response=True,
        ) as response:  # fmt: skip
            expect(response, 200, check=lambda r: len(r["evidence"]) == 1)
        return None

    def _upload(self, application: int) -> None:
        boundary = secrets.token_hex(12)
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="commitment.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        )
        body = head.encode() + PDF + f"\r\n--{boundary}--\r\n".encode()
        headers = {**self._auth(), "Content-Type": f"multipart/form-data; boundary={boundary}"}
        with self.client.post(
            f"{REPAIR}/{application}/evidence", data=body, headers=headers,
            name="repair: evidence upload", catch_response=True,
        ) as response:  # fmt: skip
            expect(response, 201)

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def main() -> None:
    plan.update(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))
    shared["fragments"] = plan["fragments"]
    shared["targets"] = deque(tuple(pair) for pair in plan["applications"])
    shared["filings"] = _filings(plan["filing_entities"])
    env = Environment(user_classes=[Public, Regulator, Department, Enterprise], host=plan["base"])
    env.events.request.add_listener(_count_failure)
    runner = env.create_local_runner()
    runner.start(plan["steps"][0], spawn_rate=50)
    gevent.sleep(plan["warmup_seconds"])  # first requests of each worker: not measured
    phases, last_ok = [], None
    for users in plan["steps"]:
        phase = _phase(env, runner, users, plan["step_seconds"])
        phases.append(phase)
        print(_progress(phase), flush=True)
        if phase["total"]["p99_ms"] > plan["p99_limit_ms"]:
            break
        last_ok = users
    sustained = None
    if plan["minutes"] > 0 and last_ok is not None:
        sustained = _phase(env, runner, last_ok, plan["minutes"] * 60)
        print(_progress(sustained), flush=True)
    runner.quit()
    result = {
        "steps": phases,
        "sustained": sustained,
        "failures": [{"type": t, "error": e, "count": n} for (t, e), n in failures.items()],
        "counters": dict(counters),
    }
    Path(sys.argv[2]).write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")


def _count_failure(name: str, exception=None, **_: object) -> None:  # type: ignore[no-untyped-def]
    if exception is not None:
        failures[(name, str(exception))] += 1


def _filings(rows: list[dict]):  # type: ignore[no-untyped-def]
    """Penalties valid for their catalog items, about the plan's entities, each with a new
    document number (the generator's, under an authority the data set does not use)."""
    catalogs = load_catalog_set(ROOT / "catalogs")
    items = [i for c in catalogs.catalogs.values() for i in c.items if i.record_type == "penalty"]
    entities = [DemoEntity(row) for row in rows]
    return generate_records(entities, 10**9, 21, items, authority=FILING_AUTHORITY)


def _phase(env: Environment, runner, users: int, seconds: float) -> dict:  # type: ignore[no-untyped-def]
    """``users`` running (started at up to 50 a second), then ``seconds`` measured."""
    runner.start(users, spawn_rate=50)
    while runner.user_count != users:
        gevent.sleep(0.2)
    gevent.sleep(2)  # the last users' first requests
    env.stats.reset_all()
    process = psutil.Process()
    own_before, machine_before = process.cpu_times(), psutil.cpu_times()
    started = time.monotonic()
    gevent.sleep(seconds)
    elapsed = time.monotonic() - started
    own_after, machine_after = process.cpu_times(), psutil.cpu_times()
    own = (own_after.user + own_after.system - own_before.user - own_before.system) / elapsed
    busy = _busy(machine_after) - _busy(machine_before)
    idle = machine_after.idle - machine_before.idle
    return {
        "users": users,
        "seconds": round(elapsed, 1),
        "generator_cpu": round(own, 2),
        "machine_cpu": round(busy / (busy + idle), 2),
        "total": _entry(env.stats.total, elapsed),
        "types": {name: _entry(entry, elapsed) for (name, _), entry in env.stats.entries.items()},
        "errors": [
            {"type": e.name, "error": str(e.error), "count": e.occurrences}
            for e in env.stats.errors.values()
        ],
    }


def _busy(times) -> float:  # type: ignore[no-untyped-def]
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def _entry(entry, elapsed: float) -> dict:  # type: ignore[no-untyped-def]
    result = {"requests": entry.num_requests, "failures": entry.num_failures}
    result["rps"] = round(entry.num_requests / elapsed, 1)
    for p in PERCENTILES:
        value = entry.get_response_time_percentile(p) if entry.num_requests else 0
        result[f"p{round(p * 100)}_ms"] = value
    return result


def _progress(phase: dict) -> str:
    total = phase["total"]
    return (
        f"  {phase['users']:>5} users, {phase['seconds']:.0f} s: {total['rps']:,.0f} req/s, "
        f"p99 {total['p99_ms']:.0f} ms, {total['failures']} failed; load generator "
        f"{phase['generator_cpu']:.0%} of a core, machine {phase['machine_cpu']:.0%}"
    )


if __name__ == "__main__":
    main()
