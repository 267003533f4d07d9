"""Account agents' model options and figures through the real server, against recorded provider
traffic on a loopback port (real SDKs, real HTTP: `tests/agent/wire.py`).

- An agent's temperature and maxTokens are on the wire of every request its turns make to a real
  model (Anthropic, Groq, LiteLLM), and an agent without them sends the server's defaults.
- `usage.totalCost` and `costPerInteraction` / `overall.totalCost` are the tokens times the
  provider's list price, computed here from prices written in this test; an unpriced model is
  null; a configured price (FRONTDESK_MODEL_PRICES) wins over the built-in table.
- `leadQualificationRate` is recomputed from the leads read back through REST.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from frontdesk.config import Settings
from tests.agent.test_providers import ANTHROPIC, GROQ, LITELLM, Provider, provider_overrides
from tests.agent.wire import ProviderServer, Recorded, Reply, running
from tests.api.jobs_support import job_settings
from tests.conftest import auth, register, serve

# USD per 1M (input, output) tokens, as the providers publish them / as configured below
GPT_4O_MINI = (0.15, 0.60)
GROQ_CONFIGURED = (1.25, 2.50)  # FRONTDESK_MODEL_PRICES for groq/llama-3.3-70b-versatile
MAX_TOKENS_FIELD = {"anthropic": "max_tokens", "groq": "max_completion_tokens", "openai": "max_tokens"}


@pytest.fixture(scope="module")
def wired(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[httpx.Client, ProviderServer, Settings]]:
    wire = ProviderServer()
    with running(wire) as wire_url:
        wire.url = wire_url
        base = job_settings(tmp_path_factory.mktemp("agent-figures"))
        settings = provider_overrides(base, wire_url, model_prices={GROQ.model: GROQ_CONFIGURED})
        with serve(settings) as url, httpx.Client(base_url=url, timeout=60) as client:
            yield client, wire, settings


def owner(client: httpx.Client) -> dict[str, str]:
    """A new account whose writes run at once (no approval question in the way)."""
    tokens = register(client, "Figures")
    headers = auth(tokens)
    account_id = tokens["account"]["account_id"]  # type: ignore[index]
    r = client.put(f"/accounts/{account_id}", json={"approve_writes": False}, headers=headers)
    assert r.status_code == 200, r.text
    return headers


def new_agent(client: httpx.Client, headers: dict[str, str], name: str, **config: Any) -> str:
    body = {"name": name, "type": "sales", "capabilities": ["pipeline-review"], "config": config}
    r = client.post("/api/agents", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def execute(client: httpx.Client, headers: dict[str, str], agent_id: str, text: str) -> dict[str, Any]:
    r = client.post(f"/api/agents/{agent_id}/execute", json={"input": {"message": text}}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def agent_request(wire: ProviderServer) -> Recorded:
    [request] = wire.requests  # the server's own model is offline: no routing or title request
    return request


def dollars(price: tuple[float, float], usage: dict[str, Any]) -> float:
    return (usage["inputTokens"] * price[0] + usage["outputTokens"] * price[1]) / 1_000_000


@pytest.mark.parametrize("p", [ANTHROPIC, GROQ, LITELLM], ids=lambda p: p.key)
def test_temperature_and_max_tokens_are_on_the_wire(
    p: Provider, wired: tuple[httpx.Client, ProviderServer, Settings]
) -> None:
    client, wire, settings = wired
    headers = owner(client)
    tuned = new_agent(client, headers, "Tuned", model=p.model, temperature=0.35, maxTokens=321)
    plain = new_agent(client, headers, "Plain", model=p.model)

    wire.reset()
    wire.queue(Reply.sse(p.rec("text.sse")))
    execute(client, headers, tuned, "hi")
    body = agent_request(wire).body
    assert body["temperature"] == 0.35 and body[MAX_TOKENS_FIELD[p.key]] == 321

    wire.reset()
    wire.queue(Reply.sse(p.rec("text.sse")))
    execute(client, headers, plain, "hi")
    body = agent_request(wire).body
    assert "temperature" not in body and body[MAX_TOKENS_FIELD[p.key]] == settings.model_max_tokens


def test_anthropic_temperature_is_capped_at_one(wired: tuple[httpx.Client, ProviderServer, Settings]) -> None:
    client, wire, _ = wired
    headers = owner(client)
    hot = new_agent(client, headers, "Hot", model=ANTHROPIC.model, temperature=1.6)
    wire.reset()
    wire.queue(Reply.sse(ANTHROPIC.rec("text.sse")))
    execute(client, headers, hot, "hi")
    assert agent_request(wire).body["temperature"] == 1.0


def test_costs_priced_unpriced_and_configured(wired: tuple[httpx.Client, ProviderServer, Settings]) -> None:
    client, wire, _ = wired
    headers = owner(client)
    agents = {
        p.key: new_agent(client, headers, f"Cost {p.key}", model=p.model) for p in (ANTHROPIC, GROQ, LITELLM)
    }
    runs: dict[str, list[dict[str, Any]]] = {}
    for p in (ANTHROPIC, GROQ, LITELLM):
        for _ in range(2):
            wire.reset()
            wire.queue(Reply.sse(p.rec("text.sse")))
            runs.setdefault(p.key, []).append(execute(client, headers, agents[p.key], "hi"))

    openai_run = runs["openai"][0]["usage"]
    assert (openai_run["inputTokens"], openai_run["outputTokens"]) == LITELLM.text_usage
    assert openai_run["totalCost"] == pytest.approx(dollars(GPT_4O_MINI, openai_run), abs=1e-9)
    groq_run = runs["groq"][0]["usage"]
    assert groq_run["totalCost"] == pytest.approx(dollars(GROQ_CONFIGURED, groq_run), abs=1e-9)
    assert runs["anthropic"][0]["usage"]["totalCost"] is None  # claude-sonnet-5-5 is in no price table

    perf = client.get("/api/analytics/ai-performance", headers=headers).json()
    metrics = {row["agentId"]: row["metrics"] for row in perf["agents"]}
    openai_total = sum(dollars(GPT_4O_MINI, r["usage"]) for r in runs["openai"])
    groq_total = sum(dollars(GROQ_CONFIGURED, r["usage"]) for r in runs["groq"])
    assert metrics[agents["openai"]]["costPerInteraction"] == pytest.approx(openai_total / 2, abs=1e-9)
    assert metrics[agents["groq"]]["costPerInteraction"] == pytest.approx(groq_total / 2, abs=1e-9)
    assert metrics[agents["anthropic"]]["costPerInteraction"] is None
    assert perf["overall"]["totalCost"] is None  # one answering agent is unpriced: no partial sum
    assert perf["overall"]["totalSavings"] is None


def test_offline_costs_nothing_and_the_qualification_rate(
    wired: tuple[httpx.Client, ProviderServer, Settings],
) -> None:
    client, _, _ = wired
    headers = owner(client)
    closer = new_agent(client, headers, "Closer", model="offline")
    asks = [
        "Create a lead named Quinn Able from referral worth $500 with status qualified",
        "Create a lead named Nora Fresh from website worth $300",
        "Create a lead named Carl Won from referral worth $900 with status converted",
    ]
    for text in asks:
        run = execute(client, headers, closer, text)
        assert [a["type"] for a in run["output"]["actions"]] == ["create_lead"], run
        assert run["usage"]["totalCost"] == 0
    execute(client, headers, closer, "How is the pipeline looking?")  # reads only: no lead written

    leads = client.get("/api/leads", params={"limit": 100}, headers=headers).json()["leads"]
    mine = [lead for lead in leads if lead["name"] in {"Quinn Able", "Nora Fresh", "Carl Won"}]
    assert len(mine) == 3
    expected = sum(lead["status"] in ("qualified", "converted") for lead in mine) / len(mine)
    perf = client.get("/api/analytics/ai-performance", headers=headers).json()
    row = next(r for r in perf["agents"] if r["agentId"] == closer)
    assert row["metrics"]["leadQualificationRate"] == pytest.approx(expected, abs=1e-4)
    assert row["metrics"]["costPerInteraction"] == 0 and perf["overall"]["totalCost"] == 0
    assert row["metrics"]["totalInteractions"] == 4


def test_confidence_follows_the_request(wired: tuple[httpx.Client, ProviderServer, Settings]) -> None:
    client, _, _ = wired
    headers = owner(client)
    seller = new_agent(client, headers, "Seller", model="offline")
    body = {"name": "Helper", "type": "support", "capabilities": [], "config": {"model": "offline"}}
    helper = client.post("/api/agents", json=body, headers=headers).json()["id"]
    sales_ask = "Which deals in the pipeline are qualified leads?"
    on_sales = execute(client, headers, seller, sales_ask)["output"]["confidence"]
    on_support = execute(client, headers, helper, sales_ask)["output"]["confidence"]
    assert on_sales > 0.5 > on_support
    support_ask = "A customer has a complaint about their email"
    assert execute(client, headers, helper, support_ask)["output"]["confidence"] > 0.5
    assert execute(client, headers, seller, "zzzz qqqq")["output"]["confidence"] is None
