"""Several models: the user picks one for a conversation in the header, and the answer records it (its label
under the answer; the emulator saw that model's deployment).

Needs the e2e stack to offer two models: the api's environment in the e2e compose must carry
MODELS=[{"id":"chat","label":"Chat"},{"id":"chat-mini","label":"Chat mini"}] (the emulator serves any
deployment name). Without it there is one model and no picker: the test is skipped."""

import pytest
from playwright.sync_api import Page, expect

from stack.support import new_tag, upstream_end

from .test_chat import last_answer, send


def test_a_picked_model_answers_and_is_shown_under_the_answer(page: Page) -> None:
    send(page, f"First, on the default\n@emulator ttft_ms=0 token_ms=0 tokens=3 tag={new_tag()}")
    expect(last_answer(page)).to_have_attribute("data-status", "done")
    picker = page.get_by_label("Model")
    if picker.count() == 0:
        pytest.skip("the stack offers one model (set MODELS with two deployments in the e2e compose)")
    expect(last_answer(page).get_by_test_id("answer-model")).to_have_text("Chat")

    picker.select_option(label="Chat mini")
    tag = new_tag()
    send(page, f"Then on the small one\n@emulator ttft_ms=0 token_ms=0 tokens=3 tag={tag}")
    answer = last_answer(page)
    expect(answer).to_have_attribute("data-status", "done")
    expect(answer.get_by_test_id("answer-model")).to_have_text("Chat mini")
    assert upstream_end(tag)["deployment"] == "chat-mini"

    page.reload()  # the conversation keeps its model, and each answer its own
    expect(page.get_by_label("Model")).to_have_value("chat-mini")
    labels = page.get_by_test_id("answer-model")
    expect(labels).to_have_text(["Chat", "Chat mini"])
