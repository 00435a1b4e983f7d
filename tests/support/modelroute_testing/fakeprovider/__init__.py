"""A fake Anthropic/OpenAI provider for tests: `with FakeProvider() as fake: fake.queue(Reply(...))`."""

from modelroute_testing.fakeprovider.script import Fault, Reply, ScriptedToolCall, fault
from modelroute_testing.fakeprovider.server import FakeProvider, RecordedRequest

__all__ = ["FakeProvider", "Fault", "RecordedRequest", "Reply", "ScriptedToolCall", "fault"]
